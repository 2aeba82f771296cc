#include "http/url.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

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

    switch (u.host_type()) {
        case urls::host_type::name: {
            std::string_view const encoded = u.encoded_host_address();
            if (encoded.empty()) return errc::bad_request;
            t.host.reserve(encoded.size());
            for (char c : encoded) {
                const char l = ascii_lower(c);
                // Percent escapes or other bytes cannot name a DNS host.
                if (!is_host_name_char(l)) return errc::bad_request;
                t.host.push_back(l);
            }
            break;
        }
        case urls::host_type::ipv4:
        case urls::host_type::ipv6:
            t.host = std::string(u.encoded_host_address());
            t.host_is_ip = true;
            break;
        default:
            return errc::bad_request;
    }

    t.port = default_port;
    if (u.has_port() && !u.port().empty()) {
        std::string_view const p = u.port();
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
        if (ec != std::errc{} || end != p.data() + p.size() || value == 0 || value > 65535) {
            return errc::bad_request;
        }
        t.port = static_cast<std::uint16_t>(value);
    }

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

}  // namespace gateway::http::detail
