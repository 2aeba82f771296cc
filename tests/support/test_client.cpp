#include "support/test_client.hpp"

#include "support/tcp_segments.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <poll.h>

#include <stdexcept>

namespace gateway::test {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

http_result http_call(std::uint16_t port, http::verb method, std::string_view target,
                      std::string body,
                      const std::vector<std::pair<std::string, std::string>>& headers) {
    net::io_context ioc;
    tcp::socket socket{ioc};
    socket.connect({net::ip::make_address("127.0.0.1"), port});
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) req.set(name, value);
    if (!body.empty() || method == http::verb::post) {
        if (req[http::field::content_type].empty()) {
            req.set(http::field::content_type, "application/json");
        }
        req.body() = std::move(body);
    }
    req.prepare_payload();
    http::write(socket, req);
    boost::beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(256 * 1024 * 1024);
    http::read(socket, buffer, parser);
    auto res = parser.release();
    http_result out;
    out.status = res.result_int();
    out.headers = res.base();
    out.body = std::move(res.body());
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    return out;
}

struct raw_connection::impl {
    net::io_context ioc;
    tcp::socket socket{ioc};
};

raw_connection::raw_connection(std::uint16_t port) : impl_(std::make_unique<impl>()) {
    impl_->socket.connect({net::ip::make_address("127.0.0.1"), port});
}

raw_connection::~raw_connection() { close(); }

std::uint32_t raw_connection::data_segments_received() const {
    return gateway::test::data_segments_received(impl_->socket.native_handle());
}

void raw_connection::send(std::string_view bytes) {
    net::write(impl_->socket, net::buffer(bytes.data(), bytes.size()));
}

namespace {

// Waits until the socket is readable or the deadline passes; false on timeout.
bool wait_readable(tcp::socket& socket, std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{socket.native_handle(), POLLIN, 0};
    return ::poll(&pfd, 1, static_cast<int>(left.count())) > 0;
}

}  // namespace

std::string raw_connection::read_until(std::string_view needle, std::chrono::milliseconds timeout) {
    std::string received;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[4096];
    while (received.find(needle) == std::string::npos) {
        if (!wait_readable(impl_->socket, deadline)) break;
        boost::system::error_code ec;
        auto n = impl_->socket.read_some(net::buffer(buf), ec);
        if (ec) break;
        received.append(buf, n);
    }
    return received;
}

std::string raw_connection::read_to_end(std::chrono::milliseconds timeout) {
    std::string received;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[4096];
    for (;;) {
        if (!wait_readable(impl_->socket, deadline)) break;
        boost::system::error_code ec;
        auto n = impl_->socket.read_some(net::buffer(buf), ec);
        if (ec) break;
        received.append(buf, n);
    }
    return received;
}

void raw_connection::close() {
    boost::system::error_code ignored;
    if (impl_ && impl_->socket.is_open()) {
        impl_->socket.shutdown(tcp::socket::shutdown_both, ignored);
        impl_->socket.close(ignored);
    }
}

std::string raw_post(std::string_view target, std::string_view body,
                     std::string_view extra_headers) {
    std::string out;
    out += "POST ";
    out += target;
    out += " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";
    out += extra_headers;
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    out += body;
    return out;
}

std::string dechunk(std::string_view chunked) {
    std::string out;
    while (!chunked.empty()) {
        auto eol = chunked.find("\r\n");
        if (eol == std::string_view::npos) throw std::runtime_error("dechunk: no chunk size");
        auto size = std::stoul(std::string(chunked.substr(0, eol)), nullptr, 16);
        chunked.remove_prefix(eol + 2);
        if (size == 0) break;
        if (chunked.size() < size + 2) throw std::runtime_error("dechunk: short chunk");
        out.append(chunked.substr(0, size));
        chunked.remove_prefix(size + 2);
    }
    return out;
}

}  // namespace gateway::test
