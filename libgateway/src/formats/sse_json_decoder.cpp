#include "formats/sse_json_decoder.hpp"

namespace gateway::formats {

namespace json = boost::json;

sse_json_decoder::sse_json_decoder(std::size_t max_event_bytes) : sse_(max_event_bytes) {}

result<void> sse_json_decoder::feed(std::string_view bytes, event_sink& sink) {
    if (failed_) return failure_;
    if (done_) return {};  // nothing can follow the end of the stream
    blocks_.bind(&sink);
    auto fed = sse_.feed(bytes, [this](const stream::sse_event& e) { on_sse(e); });
    blocks_.bind(nullptr);
    if (!fed && !failed_) {
        return fail(fed.error(), "an SSE event of the upstream exceeds the size limit");
    }
    if (failed_) return failure_;
    return {};
}

result<void> sse_json_decoder::end_input() {
    sse_.finish();
    if (failed_) return failure_;
    return {};
}

result<void> sse_json_decoder::fail(error_code ec, std::string_view why) {
    failed_ = true;
    failure_ = ec;
    detail_ = why;
    return ec;
}

void sse_json_decoder::fail_event(std::string_view why) {
    if (!failed_) fail(errc::bad_upstream_response, why);
}

void sse_json_decoder::on_sse(const stream::sse_event& e) {
    if (failed_ || done_) return;
    const std::string_view data = e.data;
    if (data.empty()) return;
    if (data == "[DONE]") return on_done();
    json_.reset(arena_.next());
    error_code ec;
    json_.write(data.data(), data.size(), ec);
    if (ec) return fail_event("an upstream event is not valid JSON");
    const json::value event = json_.release();
    const json::object* o = event.if_object();
    if (o == nullptr) return fail_event("an upstream event is not a JSON object");
    on_json(e.event, *o);
}

}  // namespace gateway::formats
