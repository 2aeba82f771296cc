#include "providers/mock/mock.hpp"

#include "gateway/stream/sse_writer.hpp"

#include <fmt/format.h>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace gateway::providers::mock {

namespace json = boost::json;

namespace {

// Text of a message content: a string, or the text parts of an array of content parts
// (Chat `{"type":"text"}`, Responses `{"type":"input_text"}`, Claude `{"type":"text"}`).
std::string content_text(const json::value& content) {
    if (content.is_string()) return std::string(content.get_string());
    std::string out;
    if (const auto* parts = content.if_array()) {
        for (const auto& part : *parts) {
            const auto* obj = part.if_object();
            if (obj == nullptr) continue;
            if (const auto* text = obj->if_contains("text"); text && text->is_string()) {
                if (!out.empty()) out += ' ';
                out += text->get_string();
            }
        }
    }
    return out;
}

std::int64_t count_words(std::string_view text) {
    std::int64_t words = 0;
    bool in_word = false;
    for (char c : text) {
        bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
        if (!space && !in_word) ++words;
        in_word = !space;
    }
    return words;
}

std::string last_user_text(const json::object& request, api_format format) {
    const char* list_key = format == api_format::openai_responses ? "input" : "messages";
    const auto* list = request.if_contains(list_key);
    if (list == nullptr) return {};
    if (list->is_string()) return std::string(list->get_string());  // Responses `input: "…"`
    const auto* items = list->if_array();
    if (items == nullptr) return {};
    for (auto it = items->rbegin(); it != items->rend(); ++it) {
        const auto* obj = it->if_object();
        if (obj == nullptr) continue;
        const auto* role = obj->if_contains("role");
        if (role == nullptr || !role->is_string() || role->get_string() != "user") continue;
        if (const auto* content = obj->if_contains("content")) return content_text(*content);
    }
    return {};
}

std::int64_t prompt_words(const json::object& request) {
    // A stable, format-independent stand-in for a tokenizer: the words of every text, plus a
    // few per message as real tokenizers count for roles and separators.
    constexpr std::int64_t per_message = 3;
    std::int64_t words = 0;
    for (const char* key : {"system", "instructions"}) {
        if (const auto* v = request.if_contains(key)) words += count_words(content_text(*v));
    }
    for (const char* key : {"messages", "input"}) {
        const auto* list = request.if_contains(key);
        if (list == nullptr) continue;
        if (list->is_string()) words += per_message + count_words(list->get_string());
        if (const auto* items = list->if_array()) {
            for (const auto& item : *items) {
                const auto* obj = item.if_object();
                if (obj == nullptr) continue;
                words += per_message;
                if (const auto* content = obj->if_contains("content")) {
                    words += count_words(content_text(*content));
                }
            }
        }
    }
    return std::max<std::int64_t>(1, words);
}

std::string event(std::string_view name, const json::object& data) {
    std::string out;
    stream::append_sse_event(out, name, json::serialize(data));
    return out;
}

json::object chat_usage(const reply& r) {
    return {{"prompt_tokens", r.input_tokens},
            {"completion_tokens", r.output_tokens},
            {"total_tokens", r.input_tokens + r.output_tokens},
            {"prompt_tokens_details", {{"cached_tokens", 0}, {"audio_tokens", 0}}},
            {"completion_tokens_details",
             {{"reasoning_tokens", 0},
              {"audio_tokens", 0},
              {"accepted_prediction_tokens", 0},
              {"rejected_prediction_tokens", 0}}}};
}

json::object responses_usage(const reply& r) {
    return {{"input_tokens", r.input_tokens},
            {"input_tokens_details", {{"cached_tokens", 0}}},
            {"output_tokens", r.output_tokens},
            {"output_tokens_details", {{"reasoning_tokens", 0}}},
            {"total_tokens", r.input_tokens + r.output_tokens}};
}

json::object anthropic_usage(const reply& r, std::int64_t output_tokens) {
    return {{"input_tokens", r.input_tokens},
            {"cache_creation_input_tokens", 0},
            {"cache_read_input_tokens", 0},
            {"output_tokens", output_tokens}};
}

json::object output_text_part(std::string_view text) {
    return {{"type", "output_text"}, {"annotations", json::array{}}, {"text", text}};
}

json::object message_item(std::string_view item_id, std::string_view status, std::string_view text,
                          bool with_content) {
    json::array content;
    if (with_content) content.push_back(output_text_part(text));
    return {{"id", item_id},
            {"type", "message"},
            {"status", status},
            {"content", std::move(content)},
            {"role", "assistant"}};
}

json::object response_object(const reply& r, const identity& who, std::string_view status,
                             bool finished) {
    json::array output;
    json::value usage = nullptr;
    if (finished) {
        output.push_back(
            message_item(fmt::format("msg_{}", who.id_suffix), "completed", r.text, true));
        usage = responses_usage(r);
    }
    return {{"id", fmt::format("resp_{}", who.id_suffix)},
            {"object", "response"},
            {"created_at", who.created},
            {"status", status},
            {"error", nullptr},
            {"incomplete_details", nullptr},
            {"instructions", nullptr},
            {"max_output_tokens", nullptr},
            {"model", who.model},
            {"output", std::move(output)},
            {"parallel_tool_calls", true},
            {"previous_response_id", nullptr},
            {"reasoning", {{"effort", nullptr}, {"summary", nullptr}}},
            {"store", false},
            {"temperature", 1.0},
            {"text", {{"format", {{"type", "text"}}}}},
            {"tool_choice", "auto"},
            {"tools", json::array{}},
            {"top_p", 1.0},
            {"truncation", "disabled"},
            {"usage", std::move(usage)},
            {"user", nullptr},
            {"metadata", json::object{}}};
}

}  // namespace

reply make_reply(const json::object& request, api_format format) {
    std::string said = last_user_text(request, format);
    if (said.size() > 200) {
        said.resize(200);
        // Do not cut a UTF-8 sequence in half.
        while (!said.empty() && (static_cast<unsigned char>(said.back()) & 0xC0) == 0x80) {
            said.pop_back();
        }
        if (!said.empty() && (static_cast<unsigned char>(said.back()) & 0x80) != 0) said.pop_back();
        said += "...";
    }
    reply r;
    r.text = said.empty()
                 ? std::string("Hello from the gatewayd mock provider.")
                 : fmt::format("Hello from the gatewayd mock provider. You said: {}", said);
    // Word-by-word pieces that concatenate back to the text exactly.
    std::size_t start = 0;
    while (start < r.text.size()) {
        auto next = r.text.find(' ', start + 1);
        if (next == std::string::npos) next = r.text.size();
        r.pieces.push_back(r.text.substr(start, next - start));
        start = next;
    }
    r.input_tokens = prompt_words(request);
    r.output_tokens = static_cast<std::int64_t>(r.pieces.size());
    return r;
}

// https://platform.openai.com/docs/api-reference/chat/object
std::string chat_completion(const reply& r, const identity& who) {
    json::object message{{"role", "assistant"},
                         {"content", r.text},
                         {"refusal", nullptr},
                         {"annotations", json::array{}}};
    json::object choice{{"index", 0},
                        {"message", std::move(message)},
                        {"logprobs", nullptr},
                        {"finish_reason", "stop"}};
    json::object body{{"id", fmt::format("chatcmpl-{}", who.id_suffix)},
                      {"object", "chat.completion"},
                      {"created", who.created},
                      {"model", who.model},
                      {"choices", json::array{std::move(choice)}},
                      {"usage", chat_usage(r)},
                      {"service_tier", "default"},
                      {"system_fingerprint", "fp_gatewayd_mock"}};
    return json::serialize(body);
}

// https://platform.openai.com/docs/api-reference/chat-streaming
std::vector<std::string> chat_completion_stream(const reply& r, const identity& who,
                                                bool include_usage) {
    const auto id = fmt::format("chatcmpl-{}", who.id_suffix);
    auto chunk_object = [&](json::array choices) {
        return json::object{{"id", id},
                            {"object", "chat.completion.chunk"},
                            {"created", who.created},
                            {"model", who.model},
                            {"service_tier", "default"},
                            {"system_fingerprint", "fp_gatewayd_mock"},
                            {"choices", std::move(choices)}};
    };
    auto chunk = [&](json::object delta, json::value finish_reason) {
        json::object choice{{"index", 0},
                            {"delta", std::move(delta)},
                            {"logprobs", nullptr},
                            {"finish_reason", std::move(finish_reason)}};
        auto body = chunk_object(json::array{std::move(choice)});
        if (include_usage) body["usage"] = nullptr;
        return event({}, body);
    };
    std::vector<std::string> events;
    events.push_back(
        chunk({{"role", "assistant"}, {"content", ""}, {"refusal", nullptr}}, nullptr));
    for (const auto& piece : r.pieces) events.push_back(chunk({{"content", piece}}, nullptr));
    events.push_back(chunk({}, "stop"));
    if (include_usage) {
        auto body = chunk_object(json::array{});
        body["usage"] = chat_usage(r);
        events.push_back(event({}, body));
    }
    events.emplace_back(stream::sse_done);
    return events;
}

// https://platform.openai.com/docs/api-reference/responses/object
std::string responses_object(const reply& r, const identity& who) {
    auto body = response_object(r, who, "completed", true);
    body["output_text"] = r.text;
    return json::serialize(body);
}

// https://platform.openai.com/docs/api-reference/responses-streaming
std::vector<std::string> responses_stream(const reply& r, const identity& who) {
    const auto item_id = fmt::format("msg_{}", who.id_suffix);
    std::int64_t seq = 0;
    std::vector<std::string> events;
    auto emit = [&](std::string_view type, json::object fields) {
        json::object body{{"type", type}};
        for (auto& [k, v] : fields) body[k] = std::move(v);
        body["sequence_number"] = seq++;
        events.push_back(event(type, body));
    };
    emit("response.created", {{"response", response_object(r, who, "in_progress", false)}});
    emit("response.in_progress", {{"response", response_object(r, who, "in_progress", false)}});
    emit("response.output_item.added",
         {{"output_index", 0}, {"item", message_item(item_id, "in_progress", "", false)}});
    emit("response.content_part.added", {{"item_id", item_id},
                                         {"output_index", 0},
                                         {"content_index", 0},
                                         {"part", output_text_part("")}});
    for (const auto& piece : r.pieces) {
        emit("response.output_text.delta", {{"item_id", item_id},
                                            {"output_index", 0},
                                            {"content_index", 0},
                                            {"delta", piece},
                                            {"logprobs", json::array{}}});
    }
    emit("response.output_text.done", {{"item_id", item_id},
                                       {"output_index", 0},
                                       {"content_index", 0},
                                       {"text", r.text},
                                       {"logprobs", json::array{}}});
    emit("response.content_part.done", {{"item_id", item_id},
                                        {"output_index", 0},
                                        {"content_index", 0},
                                        {"part", output_text_part(r.text)}});
    emit("response.output_item.done",
         {{"output_index", 0}, {"item", message_item(item_id, "completed", r.text, true)}});
    emit("response.completed", {{"response", response_object(r, who, "completed", true)}});
    return events;
}

// https://docs.anthropic.com/en/api/messages
std::string messages_object(const reply& r, const identity& who) {
    json::object body{{"id", fmt::format("msg_{}", who.id_suffix)},
                      {"type", "message"},
                      {"role", "assistant"},
                      {"model", who.model},
                      {"content", json::array{json::object{{"type", "text"}, {"text", r.text}}}},
                      {"stop_reason", "end_turn"},
                      {"stop_sequence", nullptr},
                      {"usage", anthropic_usage(r, r.output_tokens)}};
    return json::serialize(body);
}

// https://docs.anthropic.com/en/api/messages-streaming
std::vector<std::string> messages_stream(const reply& r, const identity& who) {
    std::vector<std::string> events;
    json::object message{{"id", fmt::format("msg_{}", who.id_suffix)},
                         {"type", "message"},
                         {"role", "assistant"},
                         {"model", who.model},
                         {"content", json::array{}},
                         {"stop_reason", nullptr},
                         {"stop_sequence", nullptr},
                         {"usage", anthropic_usage(r, 1)}};
    events.push_back(
        event("message_start", {{"type", "message_start"}, {"message", std::move(message)}}));
    events.push_back(
        event("content_block_start", {{"type", "content_block_start"},
                                      {"index", 0},
                                      {"content_block", {{"type", "text"}, {"text", ""}}}}));
    events.push_back(event("ping", {{"type", "ping"}}));
    for (const auto& piece : r.pieces) {
        events.push_back(
            event("content_block_delta", {{"type", "content_block_delta"},
                                          {"index", 0},
                                          {"delta", {{"type", "text_delta"}, {"text", piece}}}}));
    }
    events.push_back(event("content_block_stop", {{"type", "content_block_stop"}, {"index", 0}}));
    events.push_back(event("message_delta",
                           {{"type", "message_delta"},
                            {"delta", {{"stop_reason", "end_turn"}, {"stop_sequence", nullptr}}},
                            {"usage", anthropic_usage(r, r.output_tokens)}}));
    events.push_back(event("message_stop", {{"type", "message_stop"}}));
    return events;
}

}  // namespace gateway::providers::mock
