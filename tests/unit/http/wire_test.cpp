// The flat header writer against Beast's own serializer: the bytes on the wire must not change.

#include "http/wire.hpp"

#include <boost/asio/buffers_iterator.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using gateway::http::detail::append_head;
using gateway::http::detail::chunk_buffers;

template <class Message>
std::string beast_bytes(const Message& message) {
    std::ostringstream out;
    out << message;
    return out.str();
}

std::string flat(const auto& buffers) {
    std::string out;
    for (const auto& b : buffers) out.append(static_cast<const char*>(b.data()), b.size());
    return out;
}

}  // namespace

TEST_CASE("a response header is written as Beast writes it") {
    bhttp::response<bhttp::string_body> res{bhttp::status::too_many_requests, 11, R"({"e":1})"};
    res.set("X-Gateway-Adjusted", "max_tokens=dropped");
    res.set(bhttp::field::content_type, "application/json");
    res.set("X-Request-Id", "req-1");
    res.keep_alive(false);
    res.prepare_payload();
    std::string out = "stale";
    out.clear();
    append_head(out, res.base());
    CHECK(out + res.body() == beast_bytes(res));
    CHECK(out.starts_with("HTTP/1.1 429 Too Many Requests\r\n"));
    CHECK(out.ends_with("\r\n\r\n"));
}

TEST_CASE("a response head written from its parts is the one Beast writes from set() calls") {
    using gateway::http::detail::response_head;
    struct input {
        unsigned status;
        std::vector<std::pair<std::string, std::string>> extra;
        bool keep_alive;
        bool chunked;
        std::string body;
    };
    const input inputs[] = {
        {200, {}, true, false, R"({"id":"x"})"},
        {200, {{"X-Gateway-Adjusted", "temperature=dropped"}}, true, false, "{}"},
        {429, {{"Retry-After", "3"}}, false, false, R"({"error":{}})"},
        {502, {{"content-type", "text/plain"}, {"X-Other", "1"}}, true, false, ""},
        {200, {{"X-Gateway-Adjusted", "top_p=dropped"}}, true, true, ""},
        {200, {{"Cache-Control", "max-age=5"}, {"Connection", "close"}}, false, true, ""},
        {404, {{"x-request-id", "spoofed"}, {"Content-Length", "99"}}, true, false, "none"},
    };
    for (const auto& in : inputs) {
        bhttp::fields extra;
        for (const auto& [name, value] : in.extra) extra.insert(name, value);
        bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(in.status), 11};
        for (const auto& f : extra) res.set(f.name_string(), f.value());
        res.set(bhttp::field::content_type, "application/json");
        if (in.chunked) res.set(bhttp::field::cache_control, "no-cache");
        res.set("X-Request-Id", "req-7");
        res.keep_alive(in.keep_alive);
        std::string want;
        if (in.chunked) {
            res.chunked(true);
            append_head(want, res.base());
        } else {
            res.body() = in.body;
            res.prepare_payload();
            want = beast_bytes(res);
            want.resize(want.size() - in.body.size());
        }
        response_head head;
        head.status = in.status;
        head.extra = &extra;
        head.content_type = "application/json";
        head.request_id = "req-7";
        head.keep_alive = in.keep_alive;
        head.chunked = in.chunked;
        head.body_size = in.body.size();
        std::string got = "kept ";
        append_head(got, head);
        INFO(want);
        CHECK(got == "kept " + want);
    }
}

TEST_CASE("a response with a custom reason and a chunked stream head keep their bytes") {
    bhttp::response<bhttp::empty_body> res{bhttp::status::ok, 11};
    res.reason("Fine");
    res.set(bhttp::field::content_type, "text/event-stream");
    res.set(bhttp::field::cache_control, "no-cache");
    res.chunked(true);
    std::string out;
    append_head(out, res.base());
    // Beast writes the whole (empty) chunked body after the header: the last chunk.
    CHECK(out + std::string(gateway::http::detail::last_chunk) == beast_bytes(res));
    CHECK(out.starts_with("HTTP/1.1 200 Fine\r\n"));
}

TEST_CASE("a request header is written as Beast writes it, appended after what was there") {
    bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/v1/messages?beta=true", 11,
                                           R"({"model":"m"})"};
    req.set(bhttp::field::host, "127.0.0.1:8080");
    req.set(bhttp::field::content_type, "application/json");
    req.set("anthropic-version", "2023-06-01");
    req.prepare_payload();
    std::string out = "before";
    append_head(out, req.base());
    CHECK(out ==
          "before" + beast_bytes(req).substr(0, beast_bytes(req).size() - req.body().size()));
    CHECK(out.substr(6).starts_with("POST /v1/messages?beta=true HTTP/1.1\r\n"));
}

TEST_CASE("an upstream request head written from its parts is the one Beast writes") {
    using gateway::http::detail::request_head;
    struct input {
        bhttp::verb method;
        std::string target;
        std::vector<std::pair<std::string, std::string>> headers;
        std::string proxy_authorization;
        bool gzip;
        std::string body;
    };
    const input inputs[] = {
        {bhttp::verb::post,
         "/v1/chat/completions",
         {{"Authorization", "Bearer sk-up"}, {"Content-Type", "application/json"}},
         "",
         true,
         R"({"model":"m"})"},
        {bhttp::verb::post,
         "/v1/messages",
         {{"x-api-key", "k"},
          {"anthropic-version", "2023-06-01"},
          {"User-Agent", "mine/1"},
          {"Accept-Encoding", "identity"}},
         "",
         true,
         "{}"},
        {bhttp::verb::get,
         "/v1/models?x=1",
         {{"Host", "spoofed"}, {"Connection", "close"}},
         "",
         false,
         ""},
        {bhttp::verb::post,
         "http://up.example:8080/v1/embeddings",
         {{"Proxy-Authorization", "Basic old"},
          {"Transfer-Encoding", "chunked"},
          {"Content-Length", "3"}},
         "Basic dXNlcjpwdw==",
         true,
         ""},
        {bhttp::verb::put, "/x", {{"X-A", "1"}, {"X-A", "2"}}, "", false, ""},
    };
    for (const auto& in : inputs) {
        bhttp::fields headers;
        for (const auto& [name, value] : in.headers) headers.insert(name, value);
        // What the client built before: a Beast request given the caller's headers.
        bhttp::request<bhttp::string_body> msg;
        static_cast<bhttp::fields&>(msg) = headers;
        msg.method(in.method);
        msg.target(in.target);
        if (!in.proxy_authorization.empty()) {
            msg.set(bhttp::field::proxy_authorization, in.proxy_authorization);
        }
        if (in.gzip && msg.find(bhttp::field::accept_encoding) == msg.end()) {
            msg.set(bhttp::field::accept_encoding, "gzip");
        }
        msg.version(11);
        msg.set(bhttp::field::host, "up.example:8080");
        if (msg.find(bhttp::field::user_agent) == msg.end()) {
            msg.set(bhttp::field::user_agent, "gatewayd/0.1");
        }
        msg.set(bhttp::field::connection, "keep-alive");
        msg.erase(bhttp::field::transfer_encoding);
        msg.erase(bhttp::field::content_length);
        msg.body() = in.body;
        msg.prepare_payload();
        std::string want;
        append_head(want, msg.base());

        request_head head;
        head.method = in.method;
        head.target = in.target;
        head.headers = &headers;
        head.host = "up.example:8080";
        head.proxy_authorization = in.proxy_authorization;
        head.accept_gzip = in.gzip;
        head.user_agent = "gatewayd/0.1";
        head.body_size = in.body.size();
        std::string got;
        append_head(got, head);
        INFO(want);
        CHECK(got == want);
        CHECK(want + in.body == beast_bytes(msg));
    }
}

TEST_CASE("a chunk is framed with its size in hex, as Beast frames it") {
    for (const std::string& data :
         {std::string("x"), std::string(15, 'a'), std::string(16, 'b'), std::string(4097, 'c')}) {
        const chunk_buffers chunk(data);
        CHECK(flat(chunk.buffers()) ==
              flat(bhttp::make_chunk(net::const_buffer(data.data(), data.size()))));
    }
    CHECK(flat(chunk_buffers(std::string(255, 'd')).buffers()).starts_with("ff\r\n"));
    CHECK(flat(bhttp::make_chunk_last()) == gateway::http::detail::last_chunk);
}
