#include "providers/mock/mock.hpp"

#include <gateway/stream/sse_parser.hpp>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

namespace mock = gateway::providers::mock;
namespace json = boost::json;
using gateway::api_format;

namespace {

struct parsed_event {
    std::string name;
    json::value data;
};

std::vector<parsed_event> parse_events(const std::vector<std::string>& events) {
    std::vector<parsed_event> out;
    gateway::stream::sse_parser parser;
    for (const auto& e : events) {
        auto fed = parser.feed(e, [&](const gateway::stream::sse_event& ev) {
            out.push_back({std::string(ev.event),
                           ev.data == "[DONE]" ? json::value("[DONE]") : json::parse(ev.data)});
        });
        REQUIRE(fed);
    }
    return out;
}

const json::object chat_request =
    json::parse(
        R"({"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Ping?"}]}]})")
        .as_object();

}  // namespace

TEST_CASE("the mock reply quotes the last user text, deterministically", "[mock]") {
    auto a = mock::make_reply(chat_request, api_format::openai_chat);
    auto b = mock::make_reply(chat_request, api_format::openai_chat);
    REQUIRE(a.text == "Hello from the gatewayd mock provider. You said: Ping?");
    REQUIRE(a.text == b.text);
    std::string joined;
    for (const auto& p : a.pieces) joined += p;
    REQUIRE(joined == a.text);
    REQUIRE(a.output_tokens == static_cast<std::int64_t>(a.pieces.size()));
    REQUIRE(a.input_tokens > 0);

    auto responses = mock::make_reply(json::parse(R"({"input":"Hi there"})").as_object(),
                                      api_format::openai_responses);
    REQUIRE(responses.text.ends_with("You said: Hi there"));
    auto long_text = std::string(300, 'x');
    auto truncated = mock::make_reply(
        json::parse(R"({"messages":[{"role":"user","content":")" + long_text + R"("}]})")
            .as_object(),
        api_format::anthropic_messages);
    REQUIRE(truncated.text.ends_with(std::string(200, 'x') + "..."));
}

TEST_CASE("mock chat stream has the OpenAI chunk sequence", "[mock]") {
    auto r = mock::make_reply(chat_request, api_format::openai_chat);
    mock::identity who{"abc", "mock-gpt-4o", 1700000000};
    auto events = parse_events(mock::chat_completion_stream(r, who, true));
    REQUIRE(events.front().data.at("choices").at(0).at("delta").at("role") == "assistant");
    REQUIRE(events.back().data == "[DONE]");
    const auto& usage_chunk = events[events.size() - 2].data;
    REQUIRE(usage_chunk.at("choices").as_array().empty());
    REQUIRE(usage_chunk.at("usage").at("completion_tokens").as_int64() == r.output_tokens);
    const auto& finish = events[events.size() - 3].data;
    REQUIRE(finish.at("choices").at(0).at("finish_reason") == "stop");
    REQUIRE(finish.at("id") == "chatcmpl-abc");
    auto without_usage = parse_events(mock::chat_completion_stream(r, who, false));
    REQUIRE(without_usage.size() == events.size() - 1);
    REQUIRE(!without_usage.front().data.as_object().contains("usage"));
}

TEST_CASE("mock Responses stream numbers its events and ends completed", "[mock]") {
    auto r = mock::make_reply(chat_request, api_format::openai_chat);
    auto events = parse_events(mock::responses_stream(r, {"abc", "m", 1}));
    REQUIRE(events.front().name == "response.created");
    REQUIRE(events.back().name == "response.completed");
    for (std::size_t i = 0; i < events.size(); ++i) {
        REQUIRE(events[i].data.at("type").as_string() == events[i].name);
        REQUIRE(events[i].data.at("sequence_number").as_int64() == static_cast<std::int64_t>(i));
    }
    const auto& done = events.back().data.at("response");
    REQUIRE(done.at("id") == "resp_abc");
    REQUIRE(done.at("output").at(0).at("content").at(0).at("text").as_string() == r.text);
    REQUIRE(done.at("usage").at("output_tokens").as_int64() == r.output_tokens);
}

TEST_CASE("mock Messages stream follows Anthropic's event order", "[mock]") {
    auto r = mock::make_reply(chat_request, api_format::anthropic_messages);
    auto events = parse_events(mock::messages_stream(r, {"abc", "claude", 1}));
    std::vector<std::string> names;
    std::string text;
    for (const auto& e : events) {
        names.push_back(e.name);
        REQUIRE(e.data.at("type").as_string() == e.name);
        if (e.name == "content_block_delta") text += e.data.at("delta").at("text").as_string();
    }
    REQUIRE(names[0] == "message_start");
    REQUIRE(names[1] == "content_block_start");
    REQUIRE(names[2] == "ping");
    REQUIRE(names[names.size() - 3] == "content_block_stop");
    REQUIRE(names[names.size() - 2] == "message_delta");
    REQUIRE(names.back() == "message_stop");
    REQUIRE(text == r.text);
    REQUIRE(events[0].data.at("message").at("id") == "msg_abc");
    auto whole = json::parse(mock::messages_object(r, {"abc", "claude", 1}));
    REQUIRE(whole.at("stop_reason") == "end_turn");
    REQUIRE(whole.at("content").at(0).at("text").as_string() == r.text);
}
