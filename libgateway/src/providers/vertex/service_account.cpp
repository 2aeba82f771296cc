#include "providers/vertex/service_account.hpp"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <utility>
#include <vector>

namespace gateway::providers::vertex {

namespace json = boost::json;

namespace {

void set_why(std::string* why, std::string text) {
    if (why != nullptr) *why = std::move(text);
}

// RFC 4648 §5 alphabet, no padding, as JWS requires (RFC 7515 §2).
std::string base64url(std::string_view in) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    auto byte = [&](std::size_t k) {
        return static_cast<std::uint32_t>(static_cast<unsigned char>(in[k]));
    };
    for (; i + 3 <= in.size(); i += 3) {
        std::uint32_t const n = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += alphabet[(n >> 6) & 63];
        out += alphabet[n & 63];
    }
    if (in.size() - i == 1) {
        std::uint32_t const n = byte(i) << 16;
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
    } else if (in.size() - i == 2) {
        std::uint32_t const n = (byte(i) << 16) | (byte(i + 1) << 8);
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += alphabet[(n >> 6) & 63];
    }
    return out;
}

// application/x-www-form-urlencoded: unreserved characters stay, everything else is %XX.
void form_encode(std::string& out, std::string_view in) {
    static constexpr char hex[] = "0123456789ABCDEF";
    for (const char c : in) {
        const auto u = static_cast<unsigned char>(c);
        if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') ||
            u == '-' || u == '.' || u == '_' || u == '~') {
            out += c;
        } else {
            out += '%';
            out += hex[u >> 4];
            out += hex[u & 15];
        }
    }
}

// A required, non-empty string member of the key file.
result<std::string> required_string(const json::object& o, std::string_view key, std::string* why) {
    const auto* v = o.if_contains(key);
    if (v == nullptr || !v->is_string() || v->get_string().empty()) {
        set_why(why, fmt::format("service account: missing or non-string field \"{}\"", key));
        return make_error_code(errc::bad_request);
    }
    return std::string(v->get_string());
}

// Never prompts for a passphrase: an encrypted key fails to load instead of blocking on a tty.
int no_passphrase(char*, int, int, void*) { return -1; }

result<std::shared_ptr<EVP_PKEY>> load_rsa_private_key(std::string_view pem, std::string* why) {
    auto fail = [&](std::string_view reason) -> result<std::shared_ptr<EVP_PKEY>> {
        // Drop OpenSSL's queued errors: they may quote parts of the input.
        ERR_clear_error();
        set_why(why, fmt::format("service account: private_key {}", reason));
        return make_error_code(errc::bad_request);
    };
    if (pem.size() > static_cast<std::size_t>(INT32_MAX)) return fail("is too large");
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
    if (!bio) return fail("could not be read");
    EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, &no_passphrase, nullptr);
    if (raw == nullptr) return fail("is not an unencrypted PEM private key");
    std::shared_ptr<EVP_PKEY> key(raw, &EVP_PKEY_free);
    if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) return fail("is not an RSA key");
    return key;
}

// Google's tokens last an hour; anything beyond a year is not a sane answer.
constexpr std::uint64_t max_expires_in = 366ULL * 24 * 3600;

std::int64_t unix_seconds(time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

result<service_account> parse_service_account(std::string_view text, std::string* why) {
    boost::system::error_code ec;
    json::value const doc = json::parse(text, ec);
    if (ec || !doc.is_object()) {
        // Do not echo the parser's position or the input: it holds the private key.
        set_why(why, "service account: not a JSON object");
        return make_error_code(errc::bad_request);
    }
    const auto& o = doc.get_object();

    auto type = required_string(o, "type", why);
    if (!type) return type.error();
    if (*type != "service_account") {
        set_why(why, fmt::format("service account: type is \"{}\", expected \"service_account\"",
                                 *type));
        return make_error_code(errc::bad_request);
    }

    service_account account;
    for (auto [key, field] : {std::pair{"project_id", &account.project_id},
                              std::pair{"private_key_id", &account.private_key_id},
                              std::pair{"client_email", &account.client_email}}) {
        auto v = required_string(o, key, why);
        if (!v) return v.error();
        *field = std::move(*v);
    }

    if (const auto* uri = o.if_contains("token_uri"); uri != nullptr && !uri->is_null()) {
        if (!uri->is_string() || uri->get_string().empty()) {
            set_why(why, "service account: token_uri is not a string");
            return make_error_code(errc::bad_request);
        }
        account.token_uri = std::string(uri->get_string());
    } else {
        account.token_uri = std::string(default_token_uri);
    }

    auto pem = required_string(o, "private_key", why);
    if (!pem) return pem.error();
    auto key = load_rsa_private_key(*pem, why);
    // The PEM copy is not needed any more; wipe it rather than leave it in freed memory.
    OPENSSL_cleanse(pem->data(), pem->size());
    if (!key) return key.error();
    account.private_key = std::move(*key);
    return account;
}

result<std::string> make_jwt_assertion(const service_account& account, time_point now,
                                       std::string_view scope) {
    if (!account.private_key) return make_error_code(errc::bad_request);

    // Google's 2LO page shows {"alg":"RS256","typ":"JWT"}; its "Addendum: Service account
    // authorization without OAuth" adds "kid" (the key id), which lets Google pick the public key
    // directly. The token endpoint accepts it, so one header shape serves both uses.
    json::object header;
    header["alg"] = "RS256";
    header["typ"] = "JWT";
    header["kid"] = account.private_key_id;

    const auto iat = unix_seconds(now);
    json::object claims;
    claims["iss"] = account.client_email;
    claims["scope"] = scope;
    claims["aud"] = account.token_uri;
    claims["iat"] = iat;
    claims["exp"] = iat + 3600;  // Google's maximum lifetime for an assertion

    std::string jwt = base64url(json::serialize(header));
    jwt += '.';
    jwt += base64url(json::serialize(claims));

    // RS256 = RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3); PKCS#1 v1.5 is OpenSSL's default
    // padding for RSA keys.
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    const auto* data = reinterpret_cast<const unsigned char*>(jwt.data());
    std::size_t sig_len = 0;
    if (!ctx ||
        EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, account.private_key.get()) !=
            1 ||
        EVP_DigestSign(ctx.get(), nullptr, &sig_len, data, jwt.size()) != 1) {
        ERR_clear_error();
        return make_error_code(errc::bad_request);
    }
    std::vector<unsigned char> sig(sig_len);
    if (EVP_DigestSign(ctx.get(), sig.data(), &sig_len, data, jwt.size()) != 1) {
        ERR_clear_error();
        return make_error_code(errc::bad_request);
    }
    jwt += '.';
    jwt += base64url({reinterpret_cast<const char*>(sig.data()), sig_len});
    return jwt;
}

std::string token_request_body(std::string_view assertion) {
    std::string body =
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=";
    body.reserve(body.size() + assertion.size());
    form_encode(body, assertion);
    return body;
}

result<access_token> parse_token_response(std::string_view text, time_point now, std::string* why) {
    boost::system::error_code ec;
    json::value const doc = json::parse(text, ec);
    if (ec || !doc.is_object()) {
        set_why(why, "token response: not a JSON object");
        return make_error_code(errc::bad_upstream_response);
    }
    const auto& o = doc.get_object();

    // RFC 6749 §5.2 error body, e.g. {"error":"invalid_grant","error_description":"..."}.
    if (const auto* err = o.if_contains("error"); err != nullptr) {
        std::string reason = "token request refused";
        if (err->is_string()) reason += fmt::format(": {}", std::string_view(err->get_string()));
        if (const auto* d = o.if_contains("error_description"); d != nullptr && d->is_string())
            reason += fmt::format(" ({})", std::string_view(d->get_string()));
        set_why(why, std::move(reason));
        return make_error_code(errc::auth_failed);
    }

    const auto* tok = o.if_contains("access_token");
    if (tok == nullptr || !tok->is_string() || tok->get_string().empty()) {
        set_why(why, "token response: no access_token");
        return make_error_code(errc::bad_upstream_response);
    }
    const auto* exp = o.if_contains("expires_in");
    std::int64_t seconds = 0;
    if (exp != nullptr && exp->is_int64()) {
        seconds = exp->get_int64();
    } else if (exp != nullptr && exp->is_uint64() && exp->get_uint64() <= max_expires_in) {
        seconds = static_cast<std::int64_t>(exp->get_uint64());
    }
    // The upper bound keeps `now + seconds` from overflowing on a hostile answer.
    if (seconds <= 0 || static_cast<std::uint64_t>(seconds) > max_expires_in) {
        set_why(why, "token response: no positive integer expires_in");
        return make_error_code(errc::bad_upstream_response);
    }

    access_token out;
    out.token = std::string(tok->get_string());
    if (const auto* type = o.if_contains("token_type"); type != nullptr && type->is_string())
        out.token_type = std::string(type->get_string());
    else
        out.token_type = "Bearer";
    out.expires_at = now + std::chrono::seconds(seconds);
    return out;
}

bool token_cache::needs_refresh(time_point now) const {
    return !token_ || now + margin_ >= token_->expires_at;
}

void token_cache::store(access_token token) { token_ = std::move(token); }

std::optional<std::string_view> token_cache::current(time_point now) const {
    if (!token_ || now >= token_->expires_at) return std::nullopt;
    return std::string_view(token_->token);
}

std::string vertex_host(std::string_view region) {
    if (region == "global") return "aiplatform.googleapis.com";
    return fmt::format("{}-aiplatform.googleapis.com", region);
}

std::string gemini_path(std::string_view project, std::string_view region, std::string_view model,
                        bool stream) {
    return fmt::format("/v1/projects/{}/locations/{}/publishers/google/models/{}:{}", project,
                       region, model, stream ? "streamGenerateContent?alt=sse" : "generateContent");
}

std::string claude_path(std::string_view project, std::string_view region, std::string_view model,
                        bool stream) {
    return fmt::format("/v1/projects/{}/locations/{}/publishers/anthropic/models/{}:{}", project,
                       region, model, stream ? "streamRawPredict" : "rawPredict");
}

}  // namespace gateway::providers::vertex
