#pragma once
// Helpers shared by the gemini format tests (and by other formats' stream tests): a sink that
// checks the canonical stream grammar (stream_event.hpp) and a driver that runs a stream decoder
// over a chunked input.

#include "formats/gemini/codec.hpp"

#include "gateway/core/canonical_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gateway::test::gemini {

/// Checks   message_start (block_start block_delta* block_stop)* message_delta* message_stop
/// with `error` allowed anywhere and nothing after message_stop or error. Records the first
/// violation instead of failing, so fuzz loops can report the input that caused it.
class grammar_checker final : public event_sink {
  public:
    void on_event(const stream_event& e) override {
        if (!violation_.empty()) return;
        if (state_ == state::ended) return violate("event after the end");
        if (e.type == stream_event_type::error) {
            if (e.error == nullptr) return violate("error event without error");
            state_ = state::ended;
            errored_ = true;
            return;
        }
        switch (state_) {
            case state::before_start:
                if (e.type != stream_event_type::message_start) return violate("no message_start");
                state_ = state::between_blocks;
                return;
            case state::between_blocks:
                if (e.type == stream_event_type::block_start) {
                    if (e.index != next_index_) return violate("block index out of sequence");
                    if (e.block == nullptr) return violate("block_start without block");
                    state_ = state::in_block;
                    kind_ = e.block->kind;
                    return;
                }
                [[fallthrough]];
            case state::after_delta:
                if (e.type == stream_event_type::message_delta) {
                    state_ = state::after_delta;
                    return;
                }
                if (e.type == stream_event_type::message_stop) {
                    state_ = state::ended;
                    stopped_ = true;
                    return;
                }
                return violate("unexpected event between blocks");
            case state::in_block:
                if (e.index != next_index_) return violate("event for a block that is not open");
                if (e.type == stream_event_type::block_delta) {
                    const bool ok =
                        e.delta == delta_type::signature ||
                        (e.delta == delta_type::text && kind_ == block_kind::text) ||
                        (e.delta == delta_type::thinking && kind_ == block_kind::thinking) ||
                        (e.delta == delta_type::tool_arguments && kind_ == block_kind::tool_use);
                    if (!ok) return violate("delta type does not fit the block");
                    return;
                }
                if (e.type == stream_event_type::block_stop) {
                    ++next_index_;
                    state_ = state::between_blocks;
                    return;
                }
                return violate("unexpected event inside a block");
            case state::ended:
                return;
        }
    }

    const std::string& violation() const noexcept { return violation_; }
    bool stopped() const noexcept { return stopped_; }
    bool errored() const noexcept { return errored_; }
    bool in_block() const noexcept { return state_ == state::in_block; }

  private:
    enum class state : std::uint8_t { before_start, between_blocks, in_block, after_delta, ended };
    void violate(std::string what) { violation_ = std::move(what); }

    state state_ = state::before_start;
    std::uint32_t next_index_ = 0;
    block_kind kind_ = block_kind::text;
    std::string violation_;
    bool stopped_ = false;
    bool errored_ = false;
};

/// Forwards to two sinks.
class tee final : public event_sink {
  public:
    tee(event_sink& a, event_sink& b) : a_(a), b_(b) {}
    void on_event(const stream_event& e) override {
        a_.on_event(e);
        b_.on_event(e);
    }

  private:
    event_sink& a_;
    event_sink& b_;
};

struct stream_run {
    std::string jsonl;      ///< the canonical events (event_recorder)
    error_code error;       ///< the first error of feed() or finish()
    std::string violation;  ///< a grammar violation, empty when the stream was well formed
    bool stopped = false;   ///< message_stop was emitted
};

/// The errors a stream decoder may end with on hostile input (fuzz tests): none, or a refusal of
/// the stream (corrupt, cut short, an event above the limit).
inline bool clean_stream_error(const error_code& ec) {
    return !ec || ec == make_error_code(errc::bad_upstream_response) ||
           ec == make_error_code(errc::stream_truncated) ||
           ec == make_error_code(errc::body_too_large);
}

/// Decodes `chunks` with `decoder` (of any format), checking the grammar on the way.
inline stream_run run_decoder(upstream::stream_decoder& decoder,
                              std::span<const std::string_view> chunks) {
    event_recorder recorder;
    grammar_checker grammar;
    tee sink(recorder, grammar);
    stream_run run;
    for (const std::string_view c : chunks) {
        if (auto r = decoder.feed(c, sink); !r) {
            run.error = r.error();
            break;
        }
    }
    if (!run.error) {
        if (auto r = decoder.finish(sink); !r) run.error = r.error();
    }
    run.jsonl = recorder.jsonl();
    run.violation = grammar.violation();
    run.stopped = grammar.stopped();
    // A decoder error ends the stream: whatever came before must still be a valid prefix, and a
    // successful finish must have ended it.
    if (run.violation.empty() && !run.error && !grammar.stopped() && !grammar.errored()) {
        run.violation = "finish() succeeded without message_stop or error";
    }
    if (run.violation.empty() && run.error && grammar.stopped()) {
        run.violation = "an error after message_stop";
    }
    return run;
}

/// Decodes `chunks` with a fresh gemini decoder, checking the grammar on the way.
inline stream_run run_stream(std::span<const std::string_view> chunks,
                             std::size_t max_event_bytes = 16 * 1024 * 1024) {
    upstream::stream_decoder_options options;
    options.max_event_bytes = max_event_bytes;
    auto decoder = formats::gemini::make_stream_decoder(options);
    return run_decoder(*decoder, chunks);
}

inline stream_run run_stream(std::string_view bytes,
                             std::size_t max_event_bytes = 16 * 1024 * 1024) {
    const std::string_view one[] = {bytes};
    return run_stream(std::span<const std::string_view>(one), max_event_bytes);
}

/// Seeded mutations of golden inputs for the fuzz tests: byte edits, cuts, repeated pieces,
/// inserted tokens, and structure-aware swaps of one JSON value (in a `data:` line or the body).
class mutator {
  public:
    /// `tokens`: byte strings worth inserting (framing, format keywords); `replacements`: JSON
    /// values to swap in for any value of a parsed document. Both must outlive the mutator.
    mutator(std::uint32_t seed, std::span<const char* const> tokens,
            std::span<const char* const> replacements)
        : rng_(seed), tokens_(tokens), replacements_(replacements) {}

    std::size_t below(std::size_t n) {
        return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
    }

    std::string mutate(std::string s) {
        const std::size_t rounds = 1 + below(3);
        for (std::size_t r = 0; r < rounds; ++r) s = mutate_once(std::move(s));
        return s;
    }

    /// Replaces one value somewhere in a JSON document by a value of another type.
    void type_swap(boost::json::value& root) {
        std::vector<boost::json::value*> nodes;
        collect(root, nodes);
        boost::json::value& target = *nodes[below(nodes.size())];

        target = boost::json::parse(replacements_[below(replacements_.size())]);
    }

    std::vector<std::string_view> chunk(std::string_view bytes) {
        std::vector<std::string_view> chunks;
        std::size_t pos = 0;
        while (pos < bytes.size()) {
            const std::size_t n = 1 + below(below(2) == 0 ? 8 : 512);
            chunks.push_back(bytes.substr(pos, n));
            pos += std::min(n, bytes.size() - pos);
        }
        return chunks;
    }

  private:
    static void collect(boost::json::value& v, std::vector<boost::json::value*>& out) {
        out.push_back(&v);
        if (boost::json::object* o = v.if_object()) {
            for (auto& kv : *o) collect(kv.value(), out);
        } else if (boost::json::array* a = v.if_array()) {
            for (boost::json::value& item : *a) collect(item, out);
        }
    }

    std::string mutate_once(std::string s) {
        if (s.empty()) return tokens_[below(tokens_.size())];
        switch (below(7)) {
            case 0:
                s[below(s.size())] = static_cast<char>(below(256));
                break;
            case 1: {
                const std::size_t at = below(s.size());
                s.erase(at, 1 + below(16));
                break;
            }
            case 2:
                s.insert(below(s.size() + 1), tokens_[below(tokens_.size())]);
                break;
            case 3:
                s.resize(below(s.size()));
                break;
            case 4: {
                const std::size_t at = below(s.size());
                const std::string piece = s.substr(at, 1 + below(64));
                s.insert(below(s.size() + 1), piece);
                break;
            }
            default: {
                // Structure-aware: swap a value in one JSON document (a data line or the body).
                std::size_t start = 0;
                std::size_t end = s.size();
                if (const std::size_t d = s.find("data: ", below(s.size()));
                    d != std::string::npos) {
                    start = d + 6;
                    end = s.find('\r', start);
                    if (end == std::string::npos) end = s.find('\n', start);
                    if (end == std::string::npos) end = s.size();
                }
                error_code ec;
                boost::json::value v =
                    boost::json::parse(std::string_view(s).substr(start, end - start), ec);
                if (ec) break;
                type_swap(v);
                s.replace(start, end - start, boost::json::serialize(v));
                break;
            }
        }
        return s;
    }

    std::mt19937 rng_;
    std::span<const char* const> tokens_;
    std::span<const char* const> replacements_;
};

}  // namespace gateway::test::gemini
