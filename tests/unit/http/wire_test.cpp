// The flat header writer against Beast's own serializer: the bytes on the wire must not change.

#include "http/wire.hpp"

#include <boost/asio/buffers_iterator.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <catch2/catch.hpp>

#include <sstream>
#include <string>

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
