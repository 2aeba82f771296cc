// Canonical types: response_builder assembles a stream; canonical JSON round-trips events.

#include "gateway/core/canonical_json.hpp"
#include "gateway/core/conversion.hpp"
#include "gateway/core/request.hpp"
#include "gateway/core/stream_event.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <string>

namespace {

using namespace gateway;

// A tool-calling stream with thinking, as every decoder emits it.
const std::string tool_stream_jsonl =
    R"({"type":"message_start","id":"msg_1","model":"claude-x","usage":{"input_tokens":12,"output_tokens":0}})"
    "\n"
    R"({"type":"block_start","index":0,"block":{"kind":"thinking"}})"
    "\n"
    R"({"type":"block_delta","index":0,"delta":"thinking","data":"Let me "})"
    "\n"
    R"({"type":"block_delta","index":0,"delta":"thinking","data":"check."})"
    "\n"
    R"({"type":"block_delta","index":0,"delta":"signature","data":"sig=="})"
    "\n"
    R"({"type":"block_stop","index":0})"
    "\n"
    R"({"type":"block_start","index":1,"block":{"kind":"tool_use","id":"call_9","name":"get_weather"}})"
    "\n"
    R"({"type":"block_delta","index":1,"delta":"tool_arguments","data":"{\"city\":"})"
    "\n"
    R"({"type":"block_delta","index":1,"delta":"tool_arguments","data":"\"Paris\"}"})"
    "\n"
    R"({"type":"block_stop","index":1})"
    "\n"
    R"({"type":"message_delta","finish":"tool_use"})"
    "\n"
    R"({"type":"message_delta","usage":{"input_tokens":12,"output_tokens":30,"cache_read_tokens":4,"reasoning_tokens":9}})"
    "\n"
    R"({"type":"message_stop"})"
    "\n";

}  // namespace

TEST_CASE("response_builder assembles blocks, finish and the last usage", "[core][canonical]") {
    response_builder builder;
    REQUIRE(replay_events(tool_stream_jsonl, builder).has_value());
    REQUIRE(builder.done());
    CHECK(builder.error() == nullptr);
    const response& r = builder.response();
    CHECK(r.id == "msg_1");
    CHECK(r.model == "claude-x");
    REQUIRE(r.content.size() == 2);
    CHECK(r.content[0].kind == block_kind::thinking);
    CHECK(r.content[0].text == "Let me check.");
    CHECK(r.content[0].signature == "sig==");
    CHECK(r.content[1].kind == block_kind::tool_use);
    CHECK(r.content[1].id == "call_9");
    CHECK(r.content[1].name == "get_weather");
    CHECK(r.content[1].arguments == R"({"city":"Paris"})");
    CHECK(r.finish == finish_reason::tool_use);
    CHECK(r.usage.output_tokens == 30);
    CHECK(r.usage.cache_read_tokens == 4);
    CHECK(r.usage.reasoning_tokens == 9);
    CHECK(r.usage.reported);
}

TEST_CASE("an error event ends the stream with the error kept", "[core][canonical]") {
    response_builder builder;
    REQUIRE(replay_events(
                R"({"type":"message_start","id":"x"})"
                "\n"
                R"({"type":"error","error":{"status":429,"type":"rate_limit_error","message":"slow down"}})"
                "\n",
                builder)
                .has_value());
    REQUIRE(builder.done());
    REQUIRE(builder.error() != nullptr);
    CHECK(builder.error()->status == 429);
    CHECK(builder.error()->type == "rate_limit_error");
    CHECK(builder.error()->message == "slow down");
}

TEST_CASE("event_recorder writes what replay_events reads", "[core][canonical]") {
    event_recorder recorder;
    REQUIRE(replay_events(tool_stream_jsonl, recorder).has_value());
    CHECK(recorder.count() == 13);
    // Line by line the same JSON values (key order and number spelling aside).
    std::string_view a = recorder.jsonl();
    std::string_view b = tool_stream_jsonl;
    while (!a.empty() && !b.empty()) {
        const auto ea = a.find('\n');
        const auto eb = b.find('\n');
        CHECK(boost::json::parse(a.substr(0, ea)) == boost::json::parse(b.substr(0, eb)));
        a.remove_prefix(ea + 1);
        b.remove_prefix(eb + 1);
    }
    CHECK(a.empty());
    CHECK(b.empty());
}

TEST_CASE("replay_events rejects lines that are not events", "[core][canonical]") {
    event_recorder recorder;
    CHECK_FALSE(replay_events("{\"type\":\"nonsense\"}\n", recorder).has_value());
    CHECK_FALSE(replay_events("not json\n", recorder).has_value());
    CHECK_FALSE(replay_events("[1,2]\n", recorder).has_value());
    CHECK(recorder.count() == 0);
}

TEST_CASE("request to_json omits what is unset", "[core][canonical]") {
    request req;
    req.model = "gpt-4o";
    message m;
    m.content.push_back(content_block::make_text("hi"));
    req.messages.push_back(m);
    req.sampler.temperature = 0.5;
    const auto v = to_json(req);
    CHECK(v == boost::json::parse(
                   R"({"source_format":"openai_chat","model":"gpt-4o",
                       "messages":[{"role":"user","content":[{"kind":"text","text":"hi"}]}],
                       "sampling":{"temperature":0.5}})"));
}

TEST_CASE("conversion_report lists adjustments for the header", "[core][canonical]") {
    conversion_report report;
    CHECK(report.header_value().empty());
    report.dropped("seed");
    report.changed("max_tokens", "renamed to max_completion_tokens");
    CHECK(report.header_value() == "seed=dropped, max_tokens=renamed to max_completion_tokens");
}

TEST_CASE("effort and budget map both ways", "[core][canonical]") {
    for (const char* effort : {"minimal", "low", "medium", "high"}) {
        INFO(effort);
        CHECK(budget_to_effort(effort_to_budget(effort)) == effort);
    }
    CHECK(effort_to_budget("none") == 0);
    CHECK(budget_to_effort(0) == "none");
}
