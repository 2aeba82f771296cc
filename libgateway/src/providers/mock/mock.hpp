#pragma once
// The built-in mock provider: deterministic answers in each client format, with no upstream.
// It backs channels of type "mock" and the no-key sandbox routes, so a first request works
// without any provider account and client parsers can be tested against real wire shapes.

#include "gateway/core/api_format.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gateway::providers::mock {

struct reply {
    std::string text;                 // the whole answer
    std::vector<std::string> pieces;  // the answer split into stream deltas (word by word)
    std::int64_t input_tokens = 0;
    std::int64_t output_tokens = 0;
};

/// The answer to a request body of the given format: it quotes the last user text, so a
/// caller can see its request went through. Same request, same reply.
reply make_reply(const boost::json::object& request, api_format format);

struct identity {
    std::string_view id_suffix;  // made into chatcmpl-…, resp_…, msg_… ids
    std::string_view model;
    std::int64_t created = 0;  // unix seconds
};

/// Complete response bodies.
std::string chat_completion(const reply& r, const identity& who);
std::string responses_object(const reply& r, const identity& who);
std::string messages_object(const reply& r, const identity& who);

/// Streams as a list of complete SSE events (each one flushed on its own by the caller).
std::vector<std::string> chat_completion_stream(const reply& r, const identity& who,
                                                bool include_usage);
std::vector<std::string> responses_stream(const reply& r, const identity& who);
std::vector<std::string> messages_stream(const reply& r, const identity& who);

}  // namespace gateway::providers::mock
