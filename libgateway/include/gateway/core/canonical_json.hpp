#pragma once
/// The canonical types as JSON, for golden files, logs and debugging: one readable document per
/// request, response or stream event (`canonical.jsonl` files hold one event per line).
///
/// Field names follow the C++ members; empty strings, empty arrays, `none` enums and unset
/// optionals are omitted so golden files show only what matters.

#include "gateway/core/error.hpp"
#include "gateway/core/request.hpp"
#include "gateway/core/response.hpp"
#include "gateway/core/stream_event.hpp"

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace gateway {

boost::json::value to_json(const content_block& block);
boost::json::value to_json(const request& req);
boost::json::value to_json(const response& res);
boost::json::value to_json(const upstream_error& error);
boost::json::value to_json(const stream_event& event);

/// Records a canonical stream as JSON lines (one `to_json(event)` per line), e.g. to compare a
/// decoder's output with a golden `canonical.jsonl`.
class event_recorder final : public event_sink {
  public:
    void on_event(const stream_event& event) override;
    const std::string& jsonl() const noexcept { return lines_; }
    std::size_t count() const noexcept { return count_; }

  private:
    std::string lines_;
    std::size_t count_ = 0;
};

/// Replays JSON lines written by `event_recorder` into `sink` (for golden tests of stream
/// encoders). Errors: `errc::bad_request` for a line that is not such an event.
result<void> replay_events(std::string_view jsonl, event_sink& sink);

}  // namespace gateway
