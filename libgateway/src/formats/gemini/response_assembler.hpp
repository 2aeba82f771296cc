#pragma once
// Gemini GenerateContentResponse objects -> canonical events (private to the gemini format).
//
// One assembler serves both the non-stream answer of `generateContent` (one object, fed to a
// response_builder) and the chunks of `streamGenerateContent` (one object per SSE event or array
// element), so both paths turn the same parts into the same blocks by construction.
//
// Wire reference: https://ai.google.dev/api/generate-content#generatecontentresponse and the
// recorded traffic in the project's reference set (every chunk is a complete
// GenerateContentResponse; `finishReason` arrives only on the last chunk; `usageMetadata` is a
// cumulative snapshot on every chunk).

#include "gateway/core/error.hpp"
#include "gateway/core/message.hpp"
#include "gateway/core/response.hpp"
#include "gateway/core/stream_event.hpp"
#include "gateway/core/usage.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace gateway::formats::gemini {

/// `usageMetadata` in canonical terms: input = promptTokenCount (cached tokens included, as
/// Google documents) + toolUsePromptTokenCount; output = candidatesTokenCount +
/// thoughtsTokenCount (Gemini counts thoughts apart); reasoning = thoughtsTokenCount;
/// cache_read = cachedContentTokenCount. `reported` only when a count is present (Vertex sends
/// `usageMetadata: {trafficType}` on intermediate chunks).
usage usage_from_metadata(const boost::json::object& metadata) noexcept;

/// A Gemini `finishReason` in canonical terms (usage.hpp's table). `called_function` turns STOP
/// into tool_use. Unknown values (the enum grows) map to `error` rather than a silent `stop`.
finish_reason finish_from_wire(std::string_view reason, bool called_function) noexcept;

/// A Google error object (`{"code","message","status","details"}`, the value of `error`) as a
/// neutral upstream error; `http_status` is used when `status`/`code` are absent.
upstream_error error_from_object(const boost::json::object& error, unsigned http_status);

class response_assembler {
  public:
    /// Processes one GenerateContentResponse (or an `{"error":…}` object, which becomes an
    /// `error` event). Errors: `errc::bad_upstream_response` (see `detail()`) for an object that
    /// does not follow the schema; nothing more is emitted after such an error.
    result<void> on_chunk(const boost::json::object& chunk, event_sink& sink);

    /// Ends the response: closes the open block and emits `message_stop` when a finish reason
    /// was seen. Returns false when the response stopped before its finish reason (nothing was
    /// emitted after the last block).
    bool finish(event_sink& sink);

    /// An `error` event was emitted: the stream is over, further chunks are ignored.
    bool errored() const noexcept { return errored_; }
    bool started() const noexcept { return started_; }
    std::string_view detail() const noexcept { return detail_; }
    /// `finishMessage` of the last candidate (newer models explain the finish reason).
    std::string_view finish_message() const noexcept { return finish_message_; }

  private:
    enum class open_kind : std::uint8_t { none, text, thinking };

    result<void> fail(std::string message);
    result<void> on_part(const boost::json::object& part, std::size_t index, event_sink& sink);
    result<void> on_function_call(const boost::json::object& call, std::string_view signature,
                                  std::size_t index, event_sink& sink);
    result<void> on_media(const boost::json::object& media, bool inline_data, std::size_t index,
                          event_sink& sink);
    void on_text(std::string_view text, bool thought, std::string_view signature, event_sink& sink);
    void open_block(block_kind kind, event_sink& sink);
    void close_block(event_sink& sink);
    void emit_delta(delta_type type, std::string_view data, event_sink& sink);
    void emit_message_delta(event_sink& sink);

    content_block scratch_;  // the block of block_start events, reused
    std::string id_;
    std::string model_;
    std::string detail_;
    std::string finish_message_;
    std::string call_id_;  // generated tool call ids, reused
    usage usage_;
    finish_reason finish_ = finish_reason::none;
    std::uint32_t next_index_ = 0;
    std::uint32_t generated_ids_ = 0;
    open_kind open_ = open_kind::none;
    bool open_signed_ = false;  // the open block already carries a signature
    bool started_ = false;
    bool finished_ = false;  // a finish reason was emitted
    bool called_function_ = false;
    bool errored_ = false;
    bool failed_ = false;
};

}  // namespace gateway::formats::gemini
