#pragma once
// The anthropic_messages wire format, both directions (private to the library): the functions
// behind gateway::ingress and gateway::upstream for this format. Semantics: see those headers.

#include "gateway/ingress/codec.hpp"
#include "gateway/upstream/codec.hpp"

namespace gateway::formats::anthropic_messages {

// ---- client side (this format as spoken by clients) ----------------------------------------
result<boost::json::value> parse_request(std::string_view body, conversion_report& report);
result<request> decode_request(const boost::json::object& body, conversion_report& report);
std::string encode_response(const response& res, const ingress::encode_options& options);
std::unique_ptr<ingress::stream_encoder> make_stream_encoder(
    const ingress::encode_options& options);
std::string encode_error(const upstream_error& error);

// ---- upstream side (this format as spoken by an upstream) ----------------------------------
result<upstream::http_request_parts> encode_request(const request& req,
                                                    const upstream::encode_options& options,
                                                    conversion_report& report);
result<response> decode_response(std::string_view body, const request* original,
                                 conversion_report& report);
std::unique_ptr<upstream::stream_decoder> make_stream_decoder(
    const upstream::stream_decoder_options& options);
upstream_error decode_error(unsigned http_status, std::string_view body);

}  // namespace gateway::formats::anthropic_messages
