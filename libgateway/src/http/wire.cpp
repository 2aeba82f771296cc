#include "http/wire.hpp"

#include <boost/beast/core/string.hpp>

#include <charconv>

namespace gateway::http::detail {

namespace bhttp = boost::beast::http;

namespace {

void append_field(std::string& out, std::string_view name, std::string_view value) {
    out.append(name);
    out.append(": ");
    out.append(value);
    out.append("\r\n");
}

void append_fields(std::string& out, const bhttp::fields& fields) {
    for (const auto& f : fields) append_field(out, f.name_string(), f.value());
    out.append("\r\n");
}

void append_content_length(std::string& out, std::size_t size) {
    char digits[24];
    const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, size);
    (void)ec;  // 24 digits hold any size_t
    append_field(out, "Content-Length",
                 std::string_view(digits, static_cast<std::size_t>(end - digits)));
}

void append_version(std::string& out, unsigned version) {
    out.append("HTTP/");
    out.push_back(static_cast<char>('0' + version / 10));
    out.push_back('.');
    out.push_back(static_cast<char>('0' + version % 10));
}

}  // namespace

void append_head(std::string& out, const bhttp::response_header<>& head) {
    append_version(out, head.version());
    const unsigned code = head.result_int();
    const char status[] = {' ', static_cast<char>('0' + code / 100 % 10),
                           static_cast<char>('0' + code / 10 % 10),
                           static_cast<char>('0' + code % 10), ' '};
    out.append(status, sizeof status);
    out.append(head.reason());
    out.append("\r\n");
    append_fields(out, head);
}

void append_head(std::string& out, const response_head& head) {
    append_version(out, 11);
    const unsigned code = head.status;
    const char status[] = {' ', static_cast<char>('0' + code / 100 % 10),
                           static_cast<char>('0' + code / 10 % 10),
                           static_cast<char>('0' + code % 10), ' '};
    out.append(status, sizeof status);
    out.append(bhttp::obsolete_reason(static_cast<bhttp::status>(code)));
    out.append("\r\n");
    if (head.extra != nullptr) {
        for (const auto& f : *head.extra) {
            switch (f.name()) {
                case bhttp::field::content_type:
                case bhttp::field::content_length:
                case bhttp::field::transfer_encoding:
                case bhttp::field::connection:
                    continue;
                case bhttp::field::cache_control:
                    if (head.chunked) continue;
                    break;
                default:
                    if (boost::beast::iequals(f.name_string(), "X-Request-Id")) continue;
            }
            append_field(out, f.name_string(), f.value());
        }
    }
    append_field(out, "Content-Type", head.content_type);
    if (head.chunked) append_field(out, "Cache-Control", "no-cache");
    append_field(out, "X-Request-Id", head.request_id);
    if (!head.keep_alive) append_field(out, "Connection", "close");
    if (head.chunked) {
        if (!head.close_delimited) append_field(out, "Transfer-Encoding", "chunked");
    } else {
        append_content_length(out, head.body_size);
    }
    out.append("\r\n");
}

void append_head(std::string& out, const request_head& head) {
    out.append(bhttp::to_string(head.method));
    out.push_back(' ');
    out.append(head.target);
    out.push_back(' ');
    append_version(out, 11);
    out.append("\r\n");
    bool has_encoding = false;
    bool has_agent = false;
    if (head.headers != nullptr) {
        for (const auto& f : *head.headers) {
            switch (f.name()) {
                case bhttp::field::host:
                case bhttp::field::connection:
                case bhttp::field::content_length:
                case bhttp::field::transfer_encoding:
                    continue;
                case bhttp::field::proxy_authorization:
                    if (!head.proxy_authorization.empty()) continue;
                    break;
                case bhttp::field::accept_encoding:
                    has_encoding = true;
                    break;
                case bhttp::field::user_agent:
                    has_agent = true;
                    break;
                default:
                    break;
            }
            append_field(out, f.name_string(), f.value());
        }
    }
    if (!head.proxy_authorization.empty())
        append_field(out, "Proxy-Authorization", head.proxy_authorization);
    if (head.accept_gzip && !has_encoding) append_field(out, "Accept-Encoding", "gzip");
    append_field(out, "Host", head.host);
    if (!has_agent) append_field(out, "User-Agent", head.user_agent);
    append_field(out, "Connection", "keep-alive");
    const auto method = head.method;
    if (head.body_size > 0 || method == bhttp::verb::options || method == bhttp::verb::put ||
        method == bhttp::verb::post) {
        append_content_length(out, head.body_size);
    }
    out.append("\r\n");
}

void append_head(std::string& out, const bhttp::request_header<>& head) {
    out.append(head.method_string());
    out.push_back(' ');
    out.append(head.target());
    out.push_back(' ');
    append_version(out, head.version());
    out.append("\r\n");
    append_fields(out, head);
}

chunk_buffers::chunk_buffers(std::string_view data) noexcept {
    static constexpr char digits[] = "0123456789abcdef";
    std::size_t n = data.size();
    auto end = size_line_.end() - 2;
    auto begin = end;
    do {
        *--begin = digits[n & 0xf];
        n >>= 4;
    } while (n != 0);
    end[0] = '\r';
    end[1] = '\n';
    buffers_ = {
        boost::asio::const_buffer(begin, static_cast<std::size_t>(size_line_.end() - begin)),
        boost::asio::const_buffer(data.data(), data.size()), boost::asio::const_buffer("\r\n", 2)};
}

}  // namespace gateway::http::detail
