// Upstream side: a `response` object → canonical response, and error answers → a neutral
// upstream_error.
//
// The output items are read by detail::read_output_item (common.cpp), which the stream decoder
// shares for items it did not see streamed. The finish reason comes from `status` and
// `incomplete_details.reason` (table in usage.hpp): "failed" is the error finish, its
// `error` {code, message} kept in extra.

#include "formats/json_util.hpp"
#include "formats/openai_chat/codec.hpp"
#include "formats/openai_responses/codec.hpp"
#include "formats/openai_responses/common.hpp"

#include <boost/json/monotonic_resource.hpp>

namespace gateway::formats::openai_responses {

namespace json = boost::json;

namespace {

class response_reader {
  public:
    explicit response_reader(conversion_report& report) : report_(report) {}

    bool read(const json::object& root, response& res);

  private:
    bool fail(std::string_view param, std::string_view what) {
        return detail::report_failure(report_, param, what);
    }

    bool opt_string(const json::object& o, std::string_view key, std::string_view path,
                    std::string_view& out) {
        return detail::optional_string(o, key, out) || fail(path, "expected a string");
    }

    conversion_report& report_;
};

bool response_reader::read(const json::object& root, response& res) {
    std::string_view status;
    if (!opt_string(root, "status", "status", status)) return false;
    if (const json::value* err = root.if_contains("error"); err != nullptr && !err->is_null()) {
        // A failed response (ResponseError {code, message}): the error finish of the table in
        // usage.hpp, with the error kept for a Responses client.
        if (!err->is_object()) return fail("error", "expected an object or null");
        res.extra["error"] = *err;
        res.extra_format = detail::format_name;
        if (status.empty()) status = "failed";
    }
    std::string_view s;
    if (!opt_string(root, "id", "id", s)) return false;
    res.id = s;
    if (!opt_string(root, "model", "model", s)) return false;
    res.model = s;
    if (const json::value* c = root.if_contains("created_at"); c != nullptr && !c->is_null()) {
        // A unixtime "number" in the spec: some servers send a float.
        const auto created = get_number(root, "created_at");
        if (!created) return fail("created_at", "expected a number");
        res.created = static_cast<std::int64_t>(*created);
    }
    const json::array* output = get_array(root, "output");
    if (output == nullptr) return fail("output", "missing or not an array");
    detail::output_flags flags;
    for (std::size_t i = 0; i < output->size(); ++i) {
        const std::string path = detail::index_path("output", i);
        const json::object* item = (*output)[i].if_object();
        if (item == nullptr) return fail(path, "expected an object");
        detail::read_failure failure;
        if (!detail::read_output_item(*item, res.content, flags, failure)) {
            return fail(detail::member_path(path, failure.path), failure.what);
        }
    }
    std::string_view reason;
    if (const json::value* d = root.if_contains("incomplete_details");
        d != nullptr && !d->is_null()) {
        if (!d->is_object()) return fail("incomplete_details", "expected an object or null");
        if (!opt_string(d->get_object(), "reason", "incomplete_details.reason", reason)) {
            return false;
        }
    }
    // No status at all (a minimal compatible server): an answer that is there is complete.
    res.finish = detail::finish_from_wire(status.empty() ? std::string_view("completed") : status,
                                          reason, flags.function_call, flags.refusal);
    if (const json::value* u = root.if_contains("usage"); u != nullptr && !u->is_null()) {
        if (!u->is_object() || !detail::parse_usage(u->get_object(), res.usage)) {
            return fail("usage", "malformed usage object");
        }
    }
    if (const json::value* tier = root.if_contains("service_tier");
        tier != nullptr && tier->is_string()) {
        res.extra["service_tier"] = *tier;
        res.extra_format = detail::format_name;
    }
    return true;
}

}  // namespace

result<response> decode_response(std::string_view body, const request* /*original*/,
                                 conversion_report& report) {
    json::monotonic_resource arena(read_arena_size(body));
    auto parsed = parse_upstream_object(body, report, &arena);
    if (!parsed) return parsed.error();
    response res;
    response_reader reader(report);
    if (!reader.read(parsed->get_object(), res)) return errc::bad_upstream_response;
    return res;
}

upstream_error decode_error(unsigned http_status, std::string_view body) {
    // Responses errors use Chat's envelope (error-insufficient-quota.json,
    // error-400-stream-request.cassette.yaml): one interpretation for both.
    return openai_chat::decode_error(http_status, body);
}

}  // namespace gateway::formats::openai_responses
