// gateway::upstream: one switch per entry point over the upstream formats, nothing else.

#include "gateway/upstream/codec.hpp"

#include "formats/anthropic_messages/codec.hpp"
#include "formats/gemini/codec.hpp"
#include "formats/openai_chat/codec.hpp"
#include "formats/openai_responses/codec.hpp"

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
            return false;
    }
    return false;
}

result<http_request_parts> encode_request(upstream_format format, const request& req,
                                          const encode_options& options,
                                          conversion_report& report) {
    // Callers without a configured table get the built-in one for the model.
    if (options.capabilities == nullptr) {
        const model_capabilities builtin = builtin_capabilities(format, options.model);
        encode_options with_table = options;
        with_table.capabilities = &builtin;
        return encode_request(format, req, with_table, report);
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
    }
    return errc::unsupported_feature;
}

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
    }
    return nullptr;
}

upstream_error decode_error(upstream_format format, unsigned http_status, std::string_view body) {
    switch (format) {
        case upstream_format::openai_chat:
            return formats::openai_chat::decode_error(http_status, body);
        case upstream_format::openai_responses:
            return formats::openai_responses::decode_error(http_status, body);
        case upstream_format::anthropic_messages:
            return formats::anthropic_messages::decode_error(http_status, body);
        case upstream_format::gemini:
            return formats::gemini::decode_error(http_status, body);
    }
    return {};
}

}  // namespace gateway::upstream
