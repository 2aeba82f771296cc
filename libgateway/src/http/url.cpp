#include "http/url.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <openssl/evp.h>
#include <charconv>

namespace gateway::http::detail {

namespace urls = boost::urls;

namespace {

bool is_host_name_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

char ascii_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// The URL's host, lowercase, or its IP literal without brackets.
bool read_host(const urls::url_view& u, std::string& host, bool& is_ip) {
    switch (u.host_type()) {
        case urls::host_type::name: {
            std::string_view const encoded = u.encoded_host_address();
            if (encoded.empty()) return false;
            host.reserve(encoded.size());
            for (char c : encoded) {
                const char l = ascii_lower(c);
                // Percent escapes or other bytes cannot name a DNS host.
                if (!is_host_name_char(l)) return false;
                host.push_back(l);
            }
            is_ip = false;
            return true;
        }
        case urls::host_type::ipv4:
        case urls::host_type::ipv6:
            host = std::string(u.encoded_host_address());
            is_ip = true;
            return true;
        default:
            return false;
    }
}

/// The URL's port if it gives one (`port` unchanged otherwise); false for a bad one.
bool read_port(const urls::url_view& u, std::uint16_t& port) {
    if (!u.has_port() || u.port().empty()) return true;
    std::string_view const p = u.port();
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
    if (ec != std::errc{} || end != p.data() + p.size() || value == 0 || value > 65535) {
        return false;
    }
    port = static_cast<std::uint16_t>(value);
    return true;
}

std::string base64(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()),
                                  static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

}  // namespace

result<upstream_target> parse_upstream_url(std::string_view url) {
    // parse_uri (not parse_absolute_uri) so that a fragment is accepted and ignored, as browsers
    // and other HTTP clients do; it is never sent.
    auto parsed = urls::parse_uri(url);
    if (!parsed) return errc::bad_request;
    const urls::url_view& u = *parsed;

    upstream_target t;
    std::uint16_t default_port = 0;
    switch (u.scheme_id()) {
        case urls::scheme::http:
            default_port = 80;
            break;
        case urls::scheme::https:
            t.tls = true;
            default_port = 443;
            break;
        default:
            return errc::bad_request;
    }
    if (!u.has_authority() || u.has_userinfo()) return errc::bad_request;
    // After an authority the path is empty or starts with '/' (RFC 3986 path-abempty). Boost.URL
    // 1.81 accepts "http://host:12ab/" as port 12 and path "ab/": reject that here.
    if (std::string_view const path = u.encoded_path(); !path.empty() && path.front() != '/') {
        return errc::bad_request;
    }

    if (!read_host(u, t.host, t.host_is_ip)) return errc::bad_request;

    t.port = default_port;
    if (!read_port(u, t.port)) return errc::bad_request;

    const bool ipv6 = u.host_type() == urls::host_type::ipv6;
    t.host_header.reserve(t.host.size() + 8);
    if (ipv6) t.host_header.push_back('[');
    t.host_header += t.host;
    if (ipv6) t.host_header.push_back(']');
    if (t.port != default_port) {
        t.host_header.push_back(':');
        t.host_header += std::to_string(t.port);
    }

    std::string_view const target = u.encoded_target();
    if (target.empty() || target.front() != '/') t.target.push_back('/');
    t.target += target;
    return t;
}

result<proxy_target> parse_proxy_url(std::string_view url) {
    auto parsed = urls::parse_uri(url);
    if (!parsed) return errc::bad_request;
    const urls::url_view& u = *parsed;
    if (u.scheme_id() != urls::scheme::http || !u.has_authority() || u.has_query() ||
        u.has_fragment()) {
        return errc::bad_request;
    }
    if (std::string_view const path = u.encoded_path(); !path.empty() && path != "/") {
        return errc::bad_request;
    }
    proxy_target p;
    if (!read_host(u, p.host, p.host_is_ip) || !read_port(u, p.port)) return errc::bad_request;
    if (u.has_userinfo()) {
        std::string credentials = u.user();
        credentials += ':';
        credentials += u.password();
        p.authorization = "Basic " + base64(credentials);
    }
    return p;
}

bool bypasses_proxy(const std::vector<std::string>& no_proxy, std::string_view host) noexcept {
    for (std::string_view entry : no_proxy) {
        if (entry == "*") return true;
        if (entry.empty()) continue;
        if (entry.front() == '.') {
            if (host.size() > entry.size() && host.ends_with(entry)) return true;
            continue;
        }
        if (host == entry) return true;
        // `example.com` also covers its subdomains, as curl and most tools read NO_PROXY.
        if (host.size() > entry.size() && host.ends_with(entry) &&
            host[host.size() - entry.size() - 1] == '.') {
            return true;
        }
    }
    return false;
}

}  // namespace gateway::http::detail
