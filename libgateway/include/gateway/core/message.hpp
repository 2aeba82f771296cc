#pragma once
/// Canonical conversation content: the hub every client and upstream format converts through.
///
/// A message is a role and a list of content blocks, as in Anthropic Messages (the richest of the
/// formats); Chat Completions messages, Responses items and Gemini parts are projections of it.
/// Plain value types: copyable, no shared state, no I/O.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gateway {

/// Who can read an opaque reasoning token (a Claude thinking signature, an OpenAI
/// `encrypted_content`, a Gemini `thoughtSignature`). Such state goes back only to an upstream of
/// the same family; every other upstream gets the block without it (or not at all).
enum class reasoning_origin : std::uint8_t { none, anthropic, openai, gemini };

std::string_view to_string(reasoning_origin origin) noexcept;

enum class block_kind : std::uint8_t {
    text,               ///< `text`
    image,              ///< `source`
    document,           ///< `source` (PDF, plain text, a file id)
    tool_use,           ///< `id`, `name`, `arguments`
    tool_result,        ///< `id` (of the tool_use), `content`, `is_error`
    thinking,           ///< `text` (may be empty: a summary-less reasoning item), `signature`
    redacted_thinking,  ///< `signature` holds the opaque `data`
    refusal,            ///< `text`: the model declined (OpenAI `refusal`)
};

std::string_view to_string(block_kind kind) noexcept;

/// Where the bytes of an image or document are.
struct media_source {
    enum class kind : std::uint8_t { url, base64, file_id, text };
    kind type = kind::url;
    std::string media_type;  ///< MIME type ("image/png", "application/pdf"); may be empty for a URL
    /// The URL (also a `data:` URL as clients send it), the base64 data (without a `data:`
    /// prefix), the provider's file id, or the plain text of a text document.
    std::string data;
    std::string detail;    ///< OpenAI image `detail` ("low", "high", "auto"), empty when unset
    std::string filename;  ///< a document's file name, when the client gave one
};

/// One piece of content. A tagged struct rather than a variant: converters read a few fields per
/// kind (documented on `block_kind`), and every field has a neutral empty value.
struct content_block {
    block_kind kind = block_kind::text;
    std::string text;
    media_source source;
    std::string id;  ///< tool_use: the call id; tool_result: the id of the call it answers
    std::string name;
    /// tool_use: the input as JSON text, exactly as the model produced it (an object; "{}" when
    /// empty). Kept as text so streamed fragments reassemble to the same bytes.
    std::string arguments;
    std::vector<content_block> content;  ///< tool_result: text and image blocks
    bool is_error = false;               ///< tool_result
    /// Opaque reasoning state: a thinking block's signature, a redacted_thinking block's data,
    /// an OpenAI reasoning item's `encrypted_content`, or a Gemini `thoughtSignature` (which
    /// Gemini also attaches to text and functionCall parts, hence on any kind of block).
    std::string signature;
    reasoning_origin signature_origin = reasoning_origin::none;
    /// Format-specific fields kept for an upstream of the same format (`cache_control`,
    /// `citations`, `annotations`, an OpenAI reasoning item's `id`, ...). Keys are the wire names
    /// of the format named by `extra_format`; other formats ignore them.
    boost::json::object extra;
    std::string_view extra_format;  ///< "openai_chat", "anthropic_messages", ... (static string)

    static content_block make_text(std::string text);
    static content_block make_tool_use(std::string id, std::string name, std::string arguments);
    static content_block make_tool_result(std::string id, std::string text, bool is_error = false);
};

enum class role : std::uint8_t {
    user,
    assistant,
    /// A system or developer instruction that appears inside the conversation (Chat and Responses
    /// allow it; Anthropic and Gemini do not: their encoders fold it into the system prompt).
    system,
};

std::string_view to_string(role r) noexcept;

/// One turn. Tool results are blocks of a user message (Anthropic's model): a run of Chat
/// `role: "tool"` messages or Responses `function_call_output` items becomes one user message.
struct message {
    gateway::role role = gateway::role::user;
    std::vector<content_block> content;
    std::string name;  ///< Chat `name` of a participant, rarely used
    bool developer = false;  ///< a `system` message that arrived with the `developer` role
};

}  // namespace gateway
