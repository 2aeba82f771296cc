// Many events larger than a decoder's inline arena, through every upstream stream decoder.
//
// Each decoder parses an event's JSON into an arena that starts on an inline buffer (8 or 16 KiB)
// and spills to heap blocks for a bigger event. Boost 1.81's monotonic_resource::release() keeps
// doubling the next block's size, so a decoder that released instead of rebuilding its arena
// asked for ~2^47 bytes after about 32 spilling events and aborted. 100 events of 20 KiB each
// must decode to the same 2,000 KiB of text in every format.

#include "gateway/core/stream_event.hpp"
#include "gateway/stream/aws_event_stream.hpp"
#include "gateway/upstream/codec.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace {

using gateway::response_builder;
using gateway::upstream::upstream_format;
namespace gs = gateway::stream;

constexpr std::size_t event_count = 100;
constexpr std::size_t text_bytes = 20 * 1024;

/// 20 KiB of text that needs no JSON escaping, different per event so a repeated or dropped
/// event changes the result.
std::string piece(std::size_t i) {
    std::string text(text_bytes, 'a');
    text[0] = static_cast<char>('A' + i % 26);
    return text;
}

std::string expected_text() {
    std::string all;
    for (std::size_t i = 0; i < event_count; ++i) all += piece(i);
    return all;
}

std::string sse(std::string_view event, const std::string& data) {
    std::string out;
    if (!event.empty()) {
        out += "event: ";
        out += event;
        out += '\n';
    }
    out += "data: ";
    out += data;
    out += "\n\n";
    return out;
}

// Event shapes as the providers' API references show them (the golden folders hold recorded
// transcripts of each).

std::string openai_chat_stream() {
    const std::string head = R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,)"
                             R"("model":"gpt-4o","choices":[{"index":0,"delta":)";
    std::string out =
        sse("", head + R"({"role":"assistant","content":""},"finish_reason":null}]})");
    for (std::size_t i = 0; i < event_count; ++i) {
        out += sse("", head + R"({"content":")" + piece(i) + R"("},"finish_reason":null}]})");
    }
    out += sse("", head + R"({},"finish_reason":"stop"}]})");
    out += sse("", "[DONE]");
    return out;
}

std::string openai_responses_stream() {
    std::string out =
        sse("response.created", R"({"type":"response.created","response":{"id":"resp_1",)"
                                R"("object":"response","status":"in_progress","model":"gpt-4o",)"
                                R"("output":[]},"sequence_number":0})");
    out += sse("response.output_item.added",
               R"({"type":"response.output_item.added","item":{"id":"msg_1","type":"message",)"
               R"("status":"in_progress","content":[],"role":"assistant"},"output_index":0,)"
               R"("sequence_number":1})");
    out += sse("response.content_part.added",
               R"({"type":"response.content_part.added","content_index":0,"item_id":"msg_1",)"
               R"("output_index":0,"part":{"type":"output_text","annotations":[],"text":""},)"
               R"("sequence_number":2})");
    for (std::size_t i = 0; i < event_count; ++i) {
        out += sse("response.output_text.delta",
                   R"({"type":"response.output_text.delta","content_index":0,"delta":")" +
                       piece(i) + R"(","item_id":"msg_1","output_index":0,"sequence_number":3})");
    }
    out += sse("response.completed",
               R"({"type":"response.completed","response":{"id":"resp_1","object":"response",)"
               R"("status":"completed","model":"gpt-4o","output":[],"usage":{"input_tokens":1,)"
               R"("output_tokens":2,"total_tokens":3}},"sequence_number":4})");
    return out;
}

std::string anthropic_stream() {
    std::string out = sse("message_start",
                          R"({"type":"message_start","message":{"id":"msg_1","type":"message",)"
                          R"("role":"assistant","model":"claude-sonnet-4-5","content":[],)"
                          R"("stop_reason":null,"usage":{"input_tokens":1,"output_tokens":1}}})");
    out += sse(
        "content_block_start",
        R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})");
    for (std::size_t i = 0; i < event_count; ++i) {
        out +=
            sse("content_block_delta",
                R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":")" +
                    piece(i) + R"("}})");
    }
    out += sse("content_block_stop", R"({"type":"content_block_stop","index":0})");
    out += sse(
        "message_delta",
        R"({"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2}})");
    out += sse("message_stop", R"({"type":"message_stop"})");
    return out;
}

std::string gemini_stream() {
    std::string out;
    for (std::size_t i = 0; i < event_count; ++i) {
        const bool last = i + 1 == event_count;
        out += sse("", R"({"candidates":[{"content":{"parts":[{"text":")" + piece(i) +
                           R"("}],"role":"model"})" + (last ? R"(,"finishReason":"STOP")" : "") +
                           R"(}],"modelVersion":"gemini-2.5-flash","responseId":"r1"})");
    }
    return out;
}

std::string cohere_stream() {
    std::string out =
        sse("message-start",
            R"({"id":"c1","type":"message-start","delta":{"message":{"role":"assistant",)"
            R"("content":[],"tool_plan":"","tool_calls":[],"citations":[]}}})");
    out += sse(
        "content-start",
        R"({"type":"content-start","index":0,"delta":{"message":{"content":{"type":"text","text":""}}}})");
    for (std::size_t i = 0; i < event_count; ++i) {
        out += sse("content-delta",
                   R"({"type":"content-delta","index":0,"delta":{"message":{"content":{"text":")" +
                       piece(i) + R"("}}}})");
    }
    out += sse("content-end", R"({"type":"content-end","index":0})");
    out += sse("message-end",
               R"({"type":"message-end","delta":{"finish_reason":"COMPLETE","usage":{"tokens":)"
               R"({"input_tokens":1,"output_tokens":2}}}})");
    return out;
}

std::string bedrock_message(std::string_view event_type, const std::string& payload) {
    return gs::encode_aws_event_stream_event(event_type, payload);
}

std::string bedrock_stream() {
    std::string out = bedrock_message("messageStart", R"({"role":"assistant"})");
    for (std::size_t i = 0; i < event_count; ++i) {
        out += bedrock_message("contentBlockDelta",
                               R"({"contentBlockIndex":0,"delta":{"text":")" + piece(i) + R"("}})");
    }
    out += bedrock_message("contentBlockStop", R"({"contentBlockIndex":0})");
    out += bedrock_message("messageStop", R"({"stopReason":"end_turn"})");
    out += bedrock_message("metadata",
                           R"({"usage":{"inputTokens":1,"outputTokens":2,"totalTokens":3},)"
                           R"("metrics":{"latencyMs":10}})");
    return out;
}

std::string decoded_text(upstream_format format, const std::string& wire, std::size_t split) {
    auto decoder = gateway::upstream::make_stream_decoder(format);
    response_builder builder;
    for (std::size_t at = 0; at < wire.size(); at += split) {
        const auto fed = decoder->feed(std::string_view(wire).substr(at, split), builder);
        INFO("at byte " << at << ": " << decoder->error_detail());
        REQUIRE(fed);
    }
    const auto finished = decoder->finish(builder);
    INFO(decoder->error_detail());
    REQUIRE(finished);
    REQUIRE(builder.done());
    REQUIRE(builder.error() == nullptr);
    const auto& content = builder.response().content;
    REQUIRE(content.size() == 1);
    return content.front().text;
}

}  // namespace

TEST_CASE("100 events of 20 KiB decode in every upstream format", "[decoder][arena]") {
    const std::string expected = expected_text();
    const auto [format, wire] = GENERATE_REF(table<upstream_format, std::string>({
        {upstream_format::openai_chat, openai_chat_stream()},
        {upstream_format::openai_responses, openai_responses_stream()},
        {upstream_format::anthropic_messages, anthropic_stream()},
        {upstream_format::gemini, gemini_stream()},
        {upstream_format::cohere_chat, cohere_stream()},
        {upstream_format::bedrock_converse, bedrock_stream()},
    }));
    INFO("format " << static_cast<int>(format));
    // Whole, and in reads of a few KiB as a socket delivers them.
    CHECK(decoded_text(format, wire, wire.size()) == expected);
    CHECK(decoded_text(format, wire, 4096) == expected);
}
