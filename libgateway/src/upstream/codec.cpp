// gateway::upstream: one switch per entry point over the upstream formats, nothing else.

#include "gateway/upstream/codec.hpp"

#include "formats/anthropic_messages/codec.hpp"
#include "formats/bedrock_converse/codec.hpp"
#include "formats/cohere_chat/codec.hpp"
#include "formats/gemini/codec.hpp"
#include "formats/json_util.hpp"
#include "formats/openai_chat/codec.hpp"
#include "formats/openai_responses/codec.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace gateway::upstream {

std::string_view to_string(upstream_format format) noexcept {
    switch (format) {
        case upstream_format::openai_chat:
            return "openai_chat";
        case upstream_format::openai_responses:
            return "openai_responses";
        case upstream_format::anthropic_messages:
            return "anthropic_messages";
        case upstream_format::gemini:
            return "gemini";
        case upstream_format::cohere_chat:
            return "cohere_chat";
        case upstream_format::bedrock_converse:
            return "bedrock_converse";
    }
    return "openai_chat";
}

bool same_format(upstream_format upstream, api_format client) noexcept {
    switch (upstream) {
        case upstream_format::openai_chat:
            return client == api_format::openai_chat;
        case upstream_format::openai_responses:
            return client == api_format::openai_responses;
        case upstream_format::anthropic_messages:
            return client == api_format::anthropic_messages;
        case upstream_format::gemini:
        case upstream_format::cohere_chat:
        case upstream_format::bedrock_converse:
            return false;
    }
    return false;
}

std::string request_path(upstream_format format, std::string_view model, bool stream) {
    switch (format) {
        case upstream_format::openai_chat:
            return "/chat/completions";
        case upstream_format::openai_responses:
            return "/responses";
        case upstream_format::anthropic_messages:
            return "/messages";
        case upstream_format::gemini: {
            std::string path = "/models/";
            path += model;
            path += stream ? ":streamGenerateContent?alt=sse" : ":generateContent";
            return path;
        }
        case upstream_format::cohere_chat:
            return "/chat";
        case upstream_format::bedrock_converse:
            return formats::bedrock_converse::request_path(model, stream);
    }
    return "/";
}

void apply_body_tuning(boost::json::object& body, const encode_options& options) {
    for (const auto& [from, to] : options.renames) {
        if (auto* v = body.if_contains(from)) {
            boost::json::value moved = std::move(*v);
            body.erase(from);
            body[to] = std::move(moved);
        }
    }
    for (const auto& kv : options.extra_body) body[kv.key()] = kv.value();
    if (!options.model_in_body) body.erase("model");
}

namespace {

/// The row that governs a top-level wire field of `format`.
std::string_view row_for(upstream_format format, std::string_view field) noexcept {
    if (field == "max_completion_tokens" || field == "max_output_tokens") return "max_tokens";
    if (field == "reasoning_effort") return "reasoning";
    if (format == upstream_format::openai_responses && field == "reasoning") return "reasoning";
    if (format == upstream_format::openai_responses && field == "text") return "response_format";
    if (format == upstream_format::anthropic_messages) {
        if (field == "thinking") return "reasoning";
        if (field == "stop_sequences") return "stop";
    }
    return field;
}

}  // namespace

result<void> apply_capabilities(upstream_format format, boost::json::object& body,
                                const model_capabilities& caps, conversion_report& report) {
    if (caps.params.empty()) return {};
    for (auto it = body.begin(); it != body.end();) {
        const std::string_view field = it->key();
        if (field == "model" || field == "messages" || field == "input" || field == "stream") {
            ++it;
            continue;
        }
        // Only rows the table has: a missing row means "as the client sent it".
        constexpr auto unset = static_cast<param_action>(0xff);
        const param_action action = caps.action(row_for(format, field), unset);
        if (action == param_action::reject) {
            std::string message(field);
            message += ": not supported by the upstream model";
            report.fail(field, message);
            return errc::unsupported_feature;
        }
        if (action == param_action::drop) {
            report.dropped(field);
            it = body.erase(it);
            continue;
        }
        ++it;
    }
    return {};
}

namespace {

bool has_body_tuning(const encode_options& options) noexcept {
    return !options.renames.empty() || !options.extra_body.empty() || !options.model_in_body;
}

result<http_request_parts> encode_for(upstream_format format, const request& req,
                                      const encode_options& options, conversion_report& report);

}  // namespace

result<http_request_parts> encode_request(upstream_format format, const request& req,
                                          const encode_options& options,
                                          conversion_report& report) {
    auto parts = encode_for(format, req, options, report);
    if (!parts || !has_body_tuning(options)) return parts;
    // Provider quirks touch a few top-level fields of a body the encoder finished: one more
    // parse, paid only on the providers that have such quirks.
    boost::system::error_code ec;
    boost::json::value body = boost::json::parse(parts->body, ec);
    if (ec || !body.is_object()) return parts;  // encoders write objects: cannot happen
    apply_body_tuning(body.get_object(), options);
    parts->body = boost::json::serialize(body);
    return parts;
}

namespace {

result<http_request_parts> encode_for(upstream_format format, const request& req,
                                      const encode_options& options, conversion_report& report) {
    // Callers without a configured table get the built-in one for the model.
    if (options.capabilities == nullptr) {
        const model_capabilities builtin = builtin_capabilities(format, options.model);
        encode_options with_table = options;
        with_table.capabilities = &builtin;
        return encode_for(format, req, with_table, report);
    }
    switch (format) {
        case upstream_format::openai_chat:
            return formats::openai_chat::encode_request(req, options, report);
        case upstream_format::openai_responses:
            return formats::openai_responses::encode_request(req, options, report);
        case upstream_format::anthropic_messages:
            return formats::anthropic_messages::encode_request(req, options, report);
        case upstream_format::gemini:
            return formats::gemini::encode_request(req, options, report);
        case upstream_format::cohere_chat:
            return formats::cohere_chat::encode_request(req, options, report);
        case upstream_format::bedrock_converse:
            return formats::bedrock_converse::encode_request(req, options, report);
    }
    return errc::unsupported_feature;
}

}  // namespace

result<response> decode_response(upstream_format format, std::string_view body,
                                 const request* original, conversion_report& report) {
    switch (format) {
        case upstream_format::openai_chat:
            return formats::openai_chat::decode_response(body, original, report);
        case upstream_format::openai_responses:
            return formats::openai_responses::decode_response(body, original, report);
        case upstream_format::anthropic_messages:
            return formats::anthropic_messages::decode_response(body, original, report);
        case upstream_format::gemini:
            return formats::gemini::decode_response(body, original, report);
        case upstream_format::cohere_chat:
            return formats::cohere_chat::decode_response(body, original, report);
        case upstream_format::bedrock_converse:
            return formats::bedrock_converse::decode_response(body, original, report);
    }
    return errc::bad_upstream_response;
}

std::unique_ptr<stream_decoder> make_stream_decoder(upstream_format format,
                                                    const stream_decoder_options& options) {
    switch (format) {
        case upstream_format::openai_chat:
            return formats::openai_chat::make_stream_decoder(options);
        case upstream_format::openai_responses:
            return formats::openai_responses::make_stream_decoder(options);
        case upstream_format::anthropic_messages:
            return formats::anthropic_messages::make_stream_decoder(options);
        case upstream_format::gemini:
            return formats::gemini::make_stream_decoder(options);
        case upstream_format::cohere_chat:
            return formats::cohere_chat::make_stream_decoder(options);
        case upstream_format::bedrock_converse:
            return formats::bedrock_converse::make_stream_decoder(options);
    }
    return nullptr;
}

upstream_error decode_error(upstream_format format, unsigned http_status, std::string_view body,
                            std::string_view error_type) {
    switch (format) {
        case upstream_format::openai_chat:
            return formats::openai_chat::decode_error(http_status, body);
        case upstream_format::openai_responses:
            return formats::openai_responses::decode_error(http_status, body);
        case upstream_format::anthropic_messages:
            return formats::anthropic_messages::decode_error(http_status, body);
        case upstream_format::gemini:
            return formats::gemini::decode_error(http_status, body);
        case upstream_format::cohere_chat:
            return formats::cohere_chat::decode_error(http_status, body);
        case upstream_format::bedrock_converse:
            return formats::bedrock_converse::decode_error(http_status, body, error_type);
    }
    return {};
}

std::string_view stream_content_type(upstream_format format) noexcept {
    return format == upstream_format::bedrock_converse ? "application/vnd.amazon.eventstream"
                                                       : "text/event-stream";
}

}  // namespace gateway::upstream
