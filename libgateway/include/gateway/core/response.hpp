#pragma once
/// The canonical (non-streamed) generation result, and upstream errors.

#include "gateway/core/message.hpp"
#include "gateway/core/usage.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace gateway {

struct response {
    std::string id;     ///< the upstream's id; client encoders give it their format's shape
    std::string model;  ///< the upstream's model name; gatewayd shows the client's instead
    /// The assistant's output in order: thinking, text, refusal and tool_use blocks.
    std::vector<content_block> content;
    finish_reason finish = finish_reason::none;
    std::string stop_sequence;  ///< finish_reason::stop_sequence: the sequence that matched
    gateway::usage usage;
    std::int64_t created = 0;  ///< seconds since the epoch, 0 when the upstream gave none
    /// Upstream fields without a canonical home (`system_fingerprint`, `service_tier`, Gemini
    /// `modelVersion`, ...), in the wire names of `extra_format`.
    boost::json::object extra;
    std::string_view extra_format;
};

/// An error reported by an upstream (HTTP error body or an error event inside a stream), in
/// neutral terms that every client format can express.
struct upstream_error {
    unsigned status = 502;  ///< the HTTP status to give the client
    /// OpenAI-style type: "invalid_request_error", "authentication_error", "permission_error",
    /// "not_found_error", "rate_limit_error", "api_error", "overloaded_error",
    /// "insufficient_quota", "server_error"; client encoders map it to their own vocabulary.
    std::string type;
    std::string code;   ///< provider code when there is one ("context_length_exceeded")
    std::string param;  ///< the offending parameter, when the provider named it
    std::string message;
};

}  // namespace gateway
