// Gemini streamGenerateContent bodies -> canonical events.
//
// Two framings of the same chunks
// (https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent):
// - `?alt=sse` (what encode_request asks for): `data: <GenerateContentResponse>\r\n\r\n` per
//   chunk, no event names, no terminator; the body simply ends.
// - without `alt`: one JSON array streamed element by element (`[{…}\n,\r\n{…}\n]`), as recorded
//   in the reference set. Told apart by the first byte that is not white space.
// Every chunk is a complete GenerateContentResponse and goes through the response assembler.

#include "formats/event_arena.hpp"
#include "formats/gemini/codec.hpp"
#include "formats/gemini/response_assembler.hpp"

#include "gateway/stream/sse_parser.hpp"

#include <boost/json/parser.hpp>

#include <memory>
#include <string>

namespace gateway::formats::gemini {

namespace json = boost::json;

namespace {

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

class gemini_stream_decoder final : public upstream::stream_decoder {
  public:
    explicit gemini_stream_decoder(const upstream::stream_decoder_options& options)
        : max_event_bytes_(options.max_event_bytes),
          sse_(options.max_event_bytes),
          parser_(json::storage_ptr(), parse_options()) {}

    result<void> feed(std::string_view bytes, event_sink& sink) override {
        if (failure_) return failure_;
        if (framing_ == framing::unknown) {
            while (!bytes.empty() && is_space(bytes.front())) bytes.remove_prefix(1);
            if (bytes.empty()) return {};
            framing_ = bytes.front() == '[' ? framing::array : framing::sse;
        }
        if (framing_ == framing::sse) {
            const result<void> r = sse_.feed(bytes, [&](const stream::sse_event& ev) {
                if (!failure_) on_document(ev.data, sink);
            });
            if (!r && !failure_) {
                failure_ = r.error();
                detail_ = "a streamed chunk exceeds the event size limit";
            }
        } else {
            feed_array(bytes, sink);
        }
        if (failure_) return failure_;
        return {};
    }

    result<void> finish(event_sink& sink) override {
        if (failure_) return failure_;
        // An unterminated last event is discarded (WHATWG); an array without its `]` is cut.
        // Either matters only before the finish reason: Gemini sends it on the last chunk, so
        // once it is in, the answer is complete and a fragment after it loses nothing.
        if (framing_ == framing::sse) sse_.finish();
        if (assembler_.errored()) return {};  // the error event ended the stream
        if (assembler_.finish(sink)) return {};
        failure_ = errc::stream_truncated;
        detail_ = assembler_.started() ? "the stream ended before a finishReason"
                                       : "the stream ended before its first chunk";
        return failure_;
    }

    std::string_view error_detail() const noexcept override { return detail_; }

  private:
    enum class framing : std::uint8_t { unknown, sse, array };
    enum class array_state : std::uint8_t {
        before_open,
        before_value,
        in_value,
        after_value,
        closed
    };

    static json::parse_options parse_options() {
        json::parse_options o;
        o.max_depth = 128;  // tool arguments nest; the byte limit bounds memory
        return o;
    }

    void fail(error_code ec, std::string detail) {
        failure_ = ec;
        detail_ = std::move(detail);
    }

    /// Parses one chunk (an SSE data field or an array element) and hands it to the assembler.
    /// The parse allocates from an arena that starts on an inline buffer and is rebuilt for
    /// each chunk, so chunks below that size cost no heap allocation.
    void on_document(std::string_view text, event_sink& sink) {
        if (text.empty()) return;  // an event without data: nothing to decode
        parser_.reset(arena_.next());
        error_code ec;
        parser_.write(text.data(), text.size(), ec);  // a complete document, or an error
        if (ec) {
            fail(errc::bad_upstream_response,
                 "a streamed chunk is not valid JSON: " + ec.message());
            return;
        }
        const json::value chunk = parser_.release();
        const json::object* obj = chunk.if_object();
        if (obj == nullptr) {
            fail(errc::bad_upstream_response, "a streamed chunk is not a JSON object");
            return;
        }
        if (auto r = assembler_.on_chunk(*obj, sink); !r) {
            fail(r.error(), "malformed Gemini chunk: " + std::string(assembler_.detail()));
        }
    }

    /// The array framing: splits top-level elements by tracking strings and nesting, and
    /// buffers one element at a time (bounded by max_event_bytes).
    void feed_array(std::string_view bytes, event_sink& sink) {
        std::size_t i = 0;
        while (i < bytes.size() && !failure_) {
            const char c = bytes[i];
            switch (array_state_) {
                case array_state::before_open:
                    if (c != '[') return fail(errc::bad_upstream_response, "expected `[`");
                    array_state_ = array_state::before_value;
                    ++i;
                    break;
                case array_state::before_value:
                case array_state::after_value:
                    if (is_space(c)) {
                        ++i;
                    } else if (c == ']') {
                        array_state_ = array_state::closed;
                        ++i;
                    } else if (c == ',' && array_state_ == array_state::after_value) {
                        array_state_ = array_state::before_value;
                        ++i;
                    } else if (c == '{' && array_state_ == array_state::before_value) {
                        array_state_ = array_state::in_value;
                        element_.clear();
                        depth_ = 0;
                        in_string_ = false;
                        escaped_ = false;
                    } else {
                        return fail(errc::bad_upstream_response,
                                    "unexpected byte between streamed array elements");
                    }
                    break;
                case array_state::in_value: {
                    const std::size_t start = i;
                    bool complete = false;
                    for (; i < bytes.size(); ++i) {
                        const char d = bytes[i];
                        if (in_string_) {
                            if (escaped_) {
                                escaped_ = false;
                            } else if (d == '\\') {
                                escaped_ = true;
                            } else if (d == '"') {
                                in_string_ = false;
                            }
                        } else if (d == '"') {
                            in_string_ = true;
                        } else if (d == '{' || d == '[') {
                            ++depth_;
                        } else if (d == '}' || d == ']') {
                            if (--depth_ == 0) {
                                ++i;
                                complete = true;
                                break;
                            }
                        }
                    }
                    if (element_.size() + (i - start) > max_event_bytes_) {
                        return fail(errc::body_too_large,
                                    "a streamed chunk exceeds the event size limit");
                    }
                    element_.append(bytes.data() + start, i - start);
                    if (complete) {
                        array_state_ = array_state::after_value;
                        on_document(element_, sink);
                    }
                    break;
                }
                case array_state::closed:
                    if (!is_space(c)) {
                        return fail(errc::bad_upstream_response, "bytes after the closing `]`");
                    }
                    ++i;
                    break;
            }
        }
    }

    std::size_t max_event_bytes_;
    stream::sse_parser sse_;
    // Chunks of a long answer are a few hundred bytes to a few KiB; 16 KiB covers them.
    event_arena<16 * 1024> arena_;
    json::parser parser_;
    response_assembler assembler_;
    std::string element_;  // the array element being received
    std::string detail_;
    error_code failure_;
    framing framing_ = framing::unknown;
    array_state array_state_ = array_state::before_open;
    std::int64_t depth_ = 0;
    bool in_string_ = false;
    bool escaped_ = false;
};

}  // namespace

std::unique_ptr<upstream::stream_decoder> make_stream_decoder(
    const upstream::stream_decoder_options& options) {
    return std::make_unique<gemini_stream_decoder>(options);
}

}  // namespace gateway::formats::gemini
