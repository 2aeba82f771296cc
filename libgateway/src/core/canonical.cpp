// Names of the canonical enums, small helpers of the canonical types, and response_builder.

#include "gateway/core/conversion.hpp"
#include "gateway/core/message.hpp"
#include "gateway/core/request.hpp"
#include "gateway/core/stream_event.hpp"
#include "gateway/core/usage.hpp"

#include <utility>

namespace gateway {

std::string_view to_string(reasoning_origin origin) noexcept {
    switch (origin) {
        case reasoning_origin::none: return "none";
        case reasoning_origin::anthropic: return "anthropic";
        case reasoning_origin::openai: return "openai";
        case reasoning_origin::gemini: return "gemini";
    }
    return "none";
}

std::string_view to_string(block_kind kind) noexcept {
    switch (kind) {
        case block_kind::text: return "text";
        case block_kind::image: return "image";
        case block_kind::document: return "document";
        case block_kind::tool_use: return "tool_use";
        case block_kind::tool_result: return "tool_result";
        case block_kind::thinking: return "thinking";
        case block_kind::redacted_thinking: return "redacted_thinking";
        case block_kind::refusal: return "refusal";
    }
    return "text";
}

std::string_view to_string(role r) noexcept {
    switch (r) {
        case role::user: return "user";
        case role::assistant: return "assistant";
        case role::system: return "system";
    }
    return "user";
}

std::string_view to_string(finish_reason reason) noexcept {
    switch (reason) {
        case finish_reason::none: return "none";
        case finish_reason::stop: return "stop";
        case finish_reason::stop_sequence: return "stop_sequence";
        case finish_reason::length: return "length";
        case finish_reason::tool_use: return "tool_use";
        case finish_reason::content_filter: return "content_filter";
        case finish_reason::refusal: return "refusal";
        case finish_reason::pause_turn: return "pause_turn";
        case finish_reason::context_window: return "context_window";
        case finish_reason::error: return "error";
    }
    return "none";
}

std::string_view to_string(stream_event_type type) noexcept {
    switch (type) {
        case stream_event_type::message_start: return "message_start";
        case stream_event_type::block_start: return "block_start";
        case stream_event_type::block_delta: return "block_delta";
        case stream_event_type::block_stop: return "block_stop";
        case stream_event_type::message_delta: return "message_delta";
        case stream_event_type::message_stop: return "message_stop";
        case stream_event_type::error: return "error";
    }
    return "error";
}

std::string_view to_string(delta_type type) noexcept {
    switch (type) {
        case delta_type::text: return "text";
        case delta_type::thinking: return "thinking";
        case delta_type::signature: return "signature";
        case delta_type::tool_arguments: return "tool_arguments";
    }
    return "text";
}

content_block content_block::make_text(std::string text) {
    content_block b;
    b.kind = block_kind::text;
    b.text = std::move(text);
    return b;
}

content_block content_block::make_tool_use(std::string id, std::string name,
                                           std::string arguments) {
    content_block b;
    b.kind = block_kind::tool_use;
    b.id = std::move(id);
    b.name = std::move(name);
    b.arguments = std::move(arguments);
    return b;
}

content_block content_block::make_tool_result(std::string id, std::string text, bool is_error) {
    content_block b;
    b.kind = block_kind::tool_result;
    b.id = std::move(id);
    b.is_error = is_error;
    if (!text.empty()) b.content.push_back(make_text(std::move(text)));
    return b;
}

// The budgets Anthropic documents as sensible starting points per depth of thinking (minimum
// 1024), and the bands used to go back from a budget to an OpenAI effort level.
std::int64_t effort_to_budget(std::string_view effort) noexcept {
    if (effort == "none") return 0;
    if (effort == "minimal") return 1024;
    if (effort == "low") return 2048;
    if (effort == "medium") return 8192;
    if (effort == "high") return 24576;
    if (effort == "xhigh") return 32768;
    return 8192;
}

std::string_view budget_to_effort(std::int64_t budget_tokens) noexcept {
    if (budget_tokens <= 0) return "none";
    if (budget_tokens <= 1024) return "minimal";
    if (budget_tokens <= 4096) return "low";
    if (budget_tokens <= 16384) return "medium";
    return "high";
}

std::string conversion_report::header_value() const {
    std::string out;
    for (const adjustment& a : adjustments) {
        if (!out.empty()) out += ", ";
        out += a.param;
        out += '=';
        out += a.action;
    }
    return out;
}

void response_builder::on_event(const stream_event& event) {
    switch (event.type) {
        case stream_event_type::message_start:
            response_.id = event.id;
            response_.model = event.model;
            if (event.tokens != nullptr) response_.usage = *event.tokens;
            break;
        case stream_event_type::block_start:
            if (event.block != nullptr) {
                response_.content.push_back(*event.block);
            } else {
                response_.content.emplace_back();
            }
            break;
        case stream_event_type::block_delta: {
            if (event.index >= response_.content.size()) break;  // outside the grammar: ignore
            content_block& b = response_.content[event.index];
            switch (event.delta) {
                case delta_type::text:
                case delta_type::thinking: b.text.append(event.data); break;
                case delta_type::signature: b.signature.append(event.data); break;
                case delta_type::tool_arguments: b.arguments.append(event.data); break;
            }
            break;
        }
        case stream_event_type::block_stop: break;
        case stream_event_type::message_delta:
            if (event.finish != finish_reason::none) {
                response_.finish = event.finish;
                response_.stop_sequence = event.stop_sequence;
            }
            if (event.tokens != nullptr) response_.usage = *event.tokens;
            break;
        case stream_event_type::message_stop: done_ = true; break;
        case stream_event_type::error:
            if (event.error != nullptr) error_ = *event.error;
            failed_ = true;
            done_ = true;
            break;
    }
}

void response_builder::reset() {
    response_ = {};
    error_ = {};
    failed_ = false;
    done_ = false;
}

}  // namespace gateway
