// gateway::ingress: one switch per entry point over the client formats, nothing else.

#include "gateway/ingress/codec.hpp"

#include "formats/anthropic_messages/codec.hpp"
#include "formats/openai_chat/codec.hpp"
#include "formats/openai_responses/codec.hpp"

namespace gateway::ingress {

result<request> decode_request(api_format format, std::string_view body,
                               conversion_report& report) {
    auto tree = parse_request_body(format, body, report);
    if (!tree) return tree.error();
    return decode_request(format, tree->get_object(), report);
}

result<boost::json::value> parse_request_body(api_format format, std::string_view body,
                                              conversion_report& report) {
    switch (format) {
        case api_format::openai_chat:
            return formats::openai_chat::parse_request(body, report);
        case api_format::openai_responses:
            return formats::openai_responses::parse_request(body, report);
        case api_format::anthropic_messages:
            return formats::anthropic_messages::parse_request(body, report);
    }
    return errc::bad_request;
}

result<request> decode_request(api_format format, const boost::json::object& body,
                               conversion_report& report) {
    switch (format) {
        case api_format::openai_chat:
            return formats::openai_chat::decode_request(body, report);
        case api_format::openai_responses:
            return formats::openai_responses::decode_request(body, report);
        case api_format::anthropic_messages:
            return formats::anthropic_messages::decode_request(body, report);
    }
    return errc::bad_request;
}

std::string encode_response(api_format format, const response& res, const encode_options& options) {
    switch (format) {
        case api_format::openai_chat:
            return formats::openai_chat::encode_response(res, options);
        case api_format::openai_responses:
            return formats::openai_responses::encode_response(res, options);
        case api_format::anthropic_messages:
            return formats::anthropic_messages::encode_response(res, options);
    }
    return {};
}

std::unique_ptr<stream_encoder> make_stream_encoder(api_format format,
                                                    const encode_options& options) {
    switch (format) {
        case api_format::openai_chat:
            return formats::openai_chat::make_stream_encoder(options);
        case api_format::openai_responses:
            return formats::openai_responses::make_stream_encoder(options);
        case api_format::anthropic_messages:
            return formats::anthropic_messages::make_stream_encoder(options);
    }
    return nullptr;
}

std::string encode_error(api_format format, const upstream_error& error) {
    switch (format) {
        case api_format::openai_chat:
            return formats::openai_chat::encode_error(error);
        case api_format::openai_responses:
            return formats::openai_responses::encode_error(error);
        case api_format::anthropic_messages:
            return formats::anthropic_messages::encode_error(error);
    }
    return {};
}

}  // namespace gateway::ingress
