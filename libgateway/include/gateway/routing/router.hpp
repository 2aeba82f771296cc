#pragma once
/// Chooses the channel (upstream account) that serves a model.
///
/// Candidates are ordered by priority (highest first); among channels of equal priority the
/// order is a weighted random shuffle, so traffic spreads by `weight` and a failed channel
/// can be followed by the next candidate. Upstream keys of a channel are used in turn.
/// Thread safety: immutable after construction except atomic key cursors; share freely.

#include "gateway/core/conversion.hpp"
#include "gateway/storage/store.hpp"

#include <boost/json/object.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace gateway::routing {

struct channel {
    std::int64_t id = 0;
    std::string name;
    std::string type;
    std::string base_url;
    std::vector<std::string> keys;
    std::vector<std::string> models;
    std::map<std::string, std::string, std::less<>> model_mapping;
    int priority = 0;
    int weight = 1;
    std::string settings_json;
    boost::json::object settings;  ///< `settings_json` parsed (empty when it is not an object)
    /// From `settings`: the wire format the upstream speaks ("openai_chat", "openai_responses",
    /// ...; empty: the channel type's own) and the `max_tokens` sent when a client gave none to
    /// an upstream that requires one (0: the library default).
    std::string upstream_format;
    std::int64_t default_max_tokens = 0;
    /// From `settings.params`: what this channel's models do with a parameter, overriding the
    /// built-in capability rows ("temperature" → drop, ...), and `settings.reasoning_model`
    /// (unset: judged from the model name).
    std::vector<std::pair<std::string, param_action>> param_overrides;
    std::optional<bool> reasoning_model;
    /// From `settings.timeouts` (`connect_ms`, `first_byte_ms`, `idle_ms`, `total_ms`): this
    /// channel's upstream deadlines in milliseconds, each overriding the gateway-wide one
    /// (0 = none); -1 where the channel sets none.
    struct deadline_overrides {
        std::int64_t connect_ms = -1;
        std::int64_t first_byte_ms = -1;
        std::int64_t idle_ms = -1;
        std::int64_t total_ms = -1;
    } deadlines;
    mutable std::atomic<std::size_t> key_cursor{0};

    /// The next upstream key in turn (empty when the channel has none).
    std::string_view next_key() const noexcept;
    /// The model name to send upstream for a requested one.
    std::string_view upstream_model(std::string_view requested) const noexcept;
};

class router {
  public:
    /// Disabled channels are left out.
    explicit router(const std::vector<storage::channel_record>& records);

    /// Channels serving `model`, best first. Empty when none does.
    std::vector<const channel*> candidates(std::string_view model) const;

    /// Every model some channel serves, sorted, with the type of its first channel.
    std::vector<std::pair<std::string, std::string>> models() const;

    std::size_t channel_count() const noexcept { return channels_.size(); }

  private:
    std::vector<std::unique_ptr<channel>> channels_;
    std::unordered_map<std::string, std::vector<const channel*>> by_model_;
};

}  // namespace gateway::routing
