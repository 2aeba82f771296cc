#include "providers/bedrock/sigv4.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>

namespace gateway::providers::bedrock {
namespace {

using digest = std::array<unsigned char, 32>;

constexpr std::string_view algorithm = "AWS4-HMAC-SHA256";

const unsigned char* bytes_of(std::string_view s) noexcept {
    return reinterpret_cast<const unsigned char*>(s.data());
}

std::string_view view_of(const digest& d) noexcept {
    return {reinterpret_cast<const char*>(d.data()), d.size()};
}

std::string to_hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (char c : bytes) {
        auto b = static_cast<unsigned char>(c);
        out += digits[b >> 4];
        out += digits[b & 0x0F];
    }
    return out;
}

// HMAC-SHA256(key, data); false only if OpenSSL fails (out of memory, broken provider).
bool hmac_sha256(std::string_view key, std::string_view data, digest& out) noexcept {
    unsigned int len = 0;
    const unsigned char* r = HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                                  bytes_of(data), data.size(), out.data(), &len);
    return r != nullptr && len == out.size();
}

bool is_unreserved(unsigned char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

char ascii_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_space(char c) noexcept { return c == ' ' || c == '\t'; }

// RFC 9110 token characters: a header name must be one.
bool is_token(std::string_view name) noexcept {
    if (name.empty()) return false;
    constexpr std::string_view specials = "!#$%&'*+-.^_`|~";
    return std::all_of(name.begin(), name.end(), [&](char c) {
        auto b = static_cast<unsigned char>(c);
        return (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') ||
               specials.find(c) != std::string_view::npos;
    });
}

// AWS: "trim leading and trailing spaces, convert sequential spaces to a single space".
std::string trim_all(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    bool pending_space = false;
    for (char c : value) {
        if (is_space(c)) {
            pending_space = !out.empty();
            continue;
        }
        if (pending_space) out += ' ';
        pending_space = false;
        out += c;
    }
    return out;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), ascii_lower);
    return out;
}

// The canonical URI: for services other than S3 each segment of the (already once encoded)
// path is encoded again, so '%' becomes "%25" and a literal ':' becomes "%3A".
std::string canonical_uri(std::string_view path, bool encode) {
    if (path.empty()) return "/";
    if (!encode) return std::string(path);
    return aws_uri_encode(path, /*keep_slash=*/true);
}

std::string canonical_query(const std::vector<std::pair<std::string, std::string>>& query) {
    std::vector<std::pair<std::string, std::string>> encoded;
    encoded.reserve(query.size());
    for (const auto& [name, value] : query) {
        encoded.emplace_back(aws_uri_encode(name), aws_uri_encode(value));
    }
    // Sorted by encoded name, then by value (byte order).
    std::sort(encoded.begin(), encoded.end());
    std::string out;
    for (const auto& [name, value] : encoded) {
        if (!out.empty()) out += '&';
        out += name;
        out += '=';
        out += value;
    }
    return out;
}

bool produced_by_signer(std::string_view lower_name) noexcept {
    return lower_name == "authorization" || lower_name == "x-amz-date" ||
           lower_name == "x-amz-security-token" || lower_name == "x-amz-content-sha256";
}

struct amz_time {
    std::string date_time;  // 20150830T123600Z
    std::string date;       // 20150830
};

std::optional<amz_time> format_time(std::chrono::system_clock::time_point now) {
    using namespace std::chrono;
    auto secs = floor<seconds>(now);
    auto day = floor<days>(secs);
    year_month_day ymd{day};
    hh_mm_ss<seconds> hms{secs - day};
    int y = static_cast<int>(ymd.year());
    if (y < 1970 || y > 9999) return std::nullopt;
    std::array<char, 20> buf{};
    int n = std::snprintf(buf.data(), buf.size(), "%04d%02u%02u", y,
                          static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    if (n != 8) return std::nullopt;
    amz_time t;
    t.date.assign(buf.data(), 8);
    n = std::snprintf(
        buf.data(), buf.size(), "T%02d%02d%02dZ", static_cast<int>(hms.hours().count()),
        static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
    if (n != 8) return std::nullopt;
    t.date_time = t.date + std::string(buf.data(), 8);
    return t;
}

}  // namespace

std::string aws_uri_encode(std::string_view bytes, bool keep_slash) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(bytes.size());
    for (char c : bytes) {
        auto b = static_cast<unsigned char>(c);
        if (is_unreserved(b) || (keep_slash && c == '/')) {
            out += c;
        } else {
            out += '%';
            out += digits[b >> 4];
            out += digits[b & 0x0F];
        }
    }
    return out;
}

std::string sha256_hex(std::string_view bytes) {
    digest d{};
    SHA256(bytes_of(bytes), bytes.size(), d.data());
    return to_hex(view_of(d));
}

result<sigv4_signature> sign_v4(const sigv4_request& request, const aws_credentials& credentials,
                                const sigv4_options& options,
                                std::chrono::system_clock::time_point now) {
    if (credentials.access_key_id.empty() || credentials.secret_access_key.empty() ||
        options.region.empty() || options.service.empty() || request.method.empty()) {
        return errc::bad_request;
    }
    auto time = format_time(now);
    if (!time) return errc::bad_request;

    const std::string payload_hash = sha256_hex(request.payload);

    // Canonical headers: lower-case names, sorted; repeated names joined with ',' in order.
    std::map<std::string, std::string> headers;
    for (const auto& [name, value] : request.headers) {
        if (!is_token(name)) return errc::bad_request;
        if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
            return errc::bad_request;
        }
        std::string key = lower(name);
        if (produced_by_signer(key)) continue;
        auto [it, inserted] = headers.try_emplace(std::move(key), trim_all(value));
        if (!inserted) {
            it->second += ',';
            it->second += trim_all(value);
        }
    }
    if (headers.find("host") == headers.end()) return errc::bad_request;

    sigv4_signature out;
    headers["x-amz-date"] = time->date_time;
    out.headers.emplace_back("X-Amz-Date", time->date_time);
    if (credentials.session_token) {
        if (credentials.session_token->find_first_of(std::string_view("\r\n\0", 3)) !=
            std::string::npos) {
            return errc::bad_request;
        }
        headers["x-amz-security-token"] = *credentials.session_token;
        out.headers.emplace_back("X-Amz-Security-Token", *credentials.session_token);
    }
    if (options.add_content_sha256_header) {
        headers["x-amz-content-sha256"] = payload_hash;
        out.headers.emplace_back("x-amz-content-sha256", payload_hash);
    }

    std::string canonical_headers;
    for (const auto& [name, value] : headers) {
        canonical_headers += name;
        canonical_headers += ':';
        canonical_headers += value;
        canonical_headers += '\n';
        if (!out.signed_headers.empty()) out.signed_headers += ';';
        out.signed_headers += name;
    }

    std::string& creq = out.canonical_request;
    creq += request.method;
    creq += '\n';
    creq += canonical_uri(request.path, options.uri_encode_path);
    creq += '\n';
    creq += canonical_query(request.query);
    creq += '\n';
    creq += canonical_headers;
    creq += '\n';
    creq += out.signed_headers;
    creq += '\n';
    creq += payload_hash;

    std::string scope = time->date;
    scope += '/';
    scope += options.region;
    scope += '/';
    scope += options.service;
    scope += "/aws4_request";

    std::string& sts = out.string_to_sign;
    sts += algorithm;
    sts += '\n';
    sts += time->date_time;
    sts += '\n';
    sts += scope;
    sts += '\n';
    sts += sha256_hex(creq);

    // kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")
    std::string secret = "AWS4" + credentials.secret_access_key;
    digest k_date{}, k_region{}, k_service{}, k_signing{}, sig{};
    bool ok = hmac_sha256(secret, time->date, k_date) &&
              hmac_sha256(view_of(k_date), options.region, k_region) &&
              hmac_sha256(view_of(k_region), options.service, k_service) &&
              hmac_sha256(view_of(k_service), "aws4_request", k_signing) &&
              hmac_sha256(view_of(k_signing), sts, sig);
    OPENSSL_cleanse(secret.data(), secret.size());
    OPENSSL_cleanse(k_signing.data(), k_signing.size());
    if (!ok) return boost::system::errc::make_error_code(boost::system::errc::io_error);
    out.signature = to_hex(view_of(sig));

    out.authorization = std::string(algorithm);
    out.authorization += " Credential=";
    out.authorization += credentials.access_key_id;
    out.authorization += '/';
    out.authorization += scope;
    out.authorization += ", SignedHeaders=";
    out.authorization += out.signed_headers;
    out.authorization += ", Signature=";
    out.authorization += out.signature;
    out.headers.emplace_back("Authorization", out.authorization);
    return out;
}

}  // namespace gateway::providers::bedrock
