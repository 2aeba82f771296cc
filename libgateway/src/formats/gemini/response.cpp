// Gemini generateContent answers (non-stream) and error bodies -> canonical.

#include "core/utf8.hpp"
#include "formats/gemini/codec.hpp"
#include "formats/gemini/response_assembler.hpp"
#include "formats/json_util.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>

#include <string>

namespace gateway::formats::gemini {

namespace json = boost::json;

namespace {

/// Deeper than Boost.JSON's default of 32: tool arguments nest, and the limit only guards the
/// parser's stack, not memory (the body size is bounded by the HTTP client).
constexpr std::size_t max_json_depth = 128;

}  // namespace

result<response> decode_response(std::string_view body, const request* /*original*/,
                                 conversion_report& report) {
    // Gemini has native structured output (responseJsonSchema), so `original` is not needed to
    // undo an emulation.
    json::monotonic_resource arena;
    json::parse_options opts;
    opts.max_depth = max_json_depth;
    error_code ec;
    const json::value doc = json::parse(body, ec, &arena, opts);
    if (ec) {
        report.fail("", "Gemini response is not valid JSON: " + ec.message());
        return errc::bad_upstream_response;
    }
    const json::object* obj = doc.if_object();
    if (obj == nullptr) {
        report.fail("", "Gemini response is not a JSON object");
        return errc::bad_upstream_response;
    }
    if (const json::object* err = get_object(*obj, "error")) {
        report.fail("",
                    "Gemini answered with an error: " + std::string(get_string(*err, "message")));
        return errc::bad_upstream_response;
    }

    response_builder builder;
    response_assembler assembler;
    if (auto r = assembler.on_chunk(*obj, builder); !r) {
        report.fail("", "malformed Gemini response: " + std::string(assembler.detail()));
        return r.error();
    }
    assembler.finish(builder);
    response res = builder.take();
    if (const std::string_view m = assembler.finish_message(); !m.empty()) {
        res.extra["finishMessage"] = m;
    }
    if (const json::object* pf = get_object(*obj, "promptFeedback")) {
        if (const std::string_view reason = get_string(*pf, "blockReason"); !reason.empty()) {
            res.extra["blockReason"] = reason;
        }
    }
    if (!res.extra.empty()) res.extra_format = "gemini";
    return res;
}

upstream_error decode_error(unsigned http_status, std::string_view body) {
    json::monotonic_resource arena;
    error_code ec;
    const json::value doc = json::parse(body, ec, &arena);
    if (!ec) {
        // `{"error":{…}}`; the streaming endpoint without alt=sse wraps it in an array.
        const json::value* v = &doc;
        if (const json::array* a = doc.if_array(); a != nullptr && !a->empty()) v = &a->front();
        if (const json::object* o = v->if_object()) {
            if (const json::object* err = get_object(*o, "error")) {
                return error_from_object(*err, http_status);
            }
        }
    }
    // Not Google's envelope (a proxy's HTML page, an empty body): keep a short, printable
    // excerpt so the client sees what happened without a page of markup.
    json::object empty;
    upstream_error e = error_from_object(empty, http_status);
    std::string_view head = body.substr(0, 200);
    if (head.size() < body.size()) {  // do not cut a UTF-8 sequence in two
        while (!head.empty() && (static_cast<unsigned char>(head.back()) & 0xC0U) == 0x80U) {
            head.remove_suffix(1);
        }
        if (!head.empty() && static_cast<unsigned char>(head.back()) >= 0xC0U)
            head.remove_suffix(1);
    }
    // Control characters as spaces, bytes that are not UTF-8 as '?': the message goes into the
    // client's JSON.
    std::string excerpt = gateway::detail::printable_excerpt(head);
    while (!excerpt.empty() && excerpt.back() == ' ') excerpt.pop_back();
    if (!excerpt.empty()) {
        e.message += e.message.ends_with(": ") ? "" : ": ";
        e.message += excerpt;
    }
    return e;
}

}  // namespace gateway::formats::gemini
