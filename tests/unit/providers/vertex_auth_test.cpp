#include "providers/vertex/service_account.hpp"
#include "support/google_keys.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace vertex = gateway::providers::vertex;
namespace json = boost::json;
using gateway::errc;
using namespace gateway::test;

namespace {

// 2026-01-01T00:00:00Z
constexpr std::int64_t fixed_epoch = 1767225600;
const vertex::time_point fixed_now{std::chrono::seconds(fixed_epoch)};

struct fixture {
    pkey_ptr key = make_rsa_key();
    std::string pem = pkcs8_pem(key.get());
};

fixture& shared_fixture() {
    static fixture f;  // RSA key generation is slow; one key serves every case
    return f;
}

}  // namespace

TEST_CASE("parse_service_account reads a Google key file", "[vertex]") {
    auto& f = shared_fixture();
    REQUIRE(f.pem.rfind("-----BEGIN PRIVATE KEY-----", 0) == 0);  // PKCS#8, as Google issues
    auto acc = vertex::parse_service_account(json::serialize(account_json(f.pem)));
    REQUIRE(acc.has_value());
    CHECK(acc->project_id == "my-project");
    CHECK(acc->private_key_id == "0123456789abcdef");
    CHECK(acc->client_email == "gatewayd@my-project.iam.gserviceaccount.com");
    CHECK(acc->token_uri == "https://oauth2.googleapis.com/token");
    REQUIRE(acc->private_key);
    CHECK(EVP_PKEY_eq(acc->private_key.get(), f.key.get()) == 1);

    SECTION("token_uri defaults to Google's endpoint") {
        auto o = account_json(f.pem);
        o.erase("token_uri");
        auto a = vertex::parse_service_account(json::serialize(o));
        REQUIRE(a.has_value());
        CHECK(a->token_uri == vertex::default_token_uri);
    }
    SECTION("a custom token_uri is kept") {
        auto o = account_json(f.pem);
        o["token_uri"] = "https://example.test/token";
        auto a = vertex::parse_service_account(json::serialize(o));
        REQUIRE(a.has_value());
        CHECK(a->token_uri == "https://example.test/token");
    }
}

TEST_CASE("parse_service_account rejects bad key files without leaking the key", "[vertex]") {
    auto& f = shared_fixture();
    // A line from the middle of the PEM body: if any of it shows up in a message, it leaked.
    const auto body_line = f.pem.substr(f.pem.find('\n') + 1, 64);
    REQUIRE(body_line.size() == 64);

    auto expect_bad = [&](const std::string& text) {
        std::string why;
        auto acc = vertex::parse_service_account(text, &why);
        REQUIRE_FALSE(acc.has_value());
        CHECK(acc.error() == errc::bad_request);
        CHECK_FALSE(why.empty());
        CHECK(why.find(body_line) == std::string::npos);
        CHECK(why.find("BEGIN") == std::string::npos);
        CHECK(acc.error().message().find(body_line) == std::string::npos);
        return why;
    };

    SECTION("missing private_key") {
        auto o = account_json(f.pem);
        o.erase("private_key");
        CHECK(expect_bad(json::serialize(o)).find("private_key") != std::string::npos);
    }
    SECTION("wrong type") {
        auto o = account_json(f.pem);
        o["type"] = "authorized_user";
        CHECK(expect_bad(json::serialize(o)).find("authorized_user") != std::string::npos);
    }
    SECTION("missing type") {
        auto o = account_json(f.pem);
        o.erase("type");
        expect_bad(json::serialize(o));
    }
    SECTION("missing client_email") {
        auto o = account_json(f.pem);
        o.erase("client_email");
        CHECK(expect_bad(json::serialize(o)).find("client_email") != std::string::npos);
    }
    SECTION("private_key not a string") {
        auto o = account_json(f.pem);
        o["private_key"] = 42;
        expect_bad(json::serialize(o));
    }
    SECTION("garbage PEM") {
        auto o = account_json(f.pem);
        o["private_key"] = "-----BEGIN PRIVATE KEY-----\n" + body_line +
                           "\nnot base64 at all!!\n-----END PRIVATE KEY-----\n";
        expect_bad(json::serialize(o));
    }
    SECTION("truncated PEM") {
        auto o = account_json(f.pem);
        o["private_key"] = f.pem.substr(0, f.pem.size() / 2);
        expect_bad(json::serialize(o));
    }
    SECTION("not an RSA key") {
        pkey_ptr ec(EVP_EC_gen("P-256"), &EVP_PKEY_free);
        REQUIRE(ec);
        auto o = account_json(pkcs8_pem(ec.get()));
        CHECK(expect_bad(json::serialize(o)).find("RSA") != std::string::npos);
    }
    SECTION("malformed JSON containing the key") {
        auto text = json::serialize(account_json(f.pem));
        text.pop_back();  // drop the closing brace
        expect_bad(text);
    }
    SECTION("not an object") { expect_bad("[1,2,3]"); }
}

TEST_CASE("make_jwt_assertion builds a verifiable RS256 JWT", "[vertex]") {
    auto& f = shared_fixture();
    auto acc = vertex::parse_service_account(json::serialize(account_json(f.pem)));
    REQUIRE(acc.has_value());

    auto jwt = vertex::make_jwt_assertion(*acc, fixed_now + std::chrono::milliseconds(999));
    REQUIRE(jwt.has_value());
    CHECK(jwt->find('=') == std::string::npos);
    const auto parts = split_jwt(*jwt);
    REQUIRE(parts.size() == 3);

    const auto header = json::parse(base64url_decode(parts[0])).as_object();
    CHECK(header.size() == 3);
    CHECK(header.at("alg") == "RS256");
    CHECK(header.at("typ") == "JWT");
    CHECK(header.at("kid") == "0123456789abcdef");

    const auto claims = json::parse(base64url_decode(parts[1])).as_object();
    CHECK(claims.size() == 5);
    CHECK(claims.at("iss") == "gatewayd@my-project.iam.gserviceaccount.com");
    CHECK(claims.at("scope") == "https://www.googleapis.com/auth/cloud-platform");
    CHECK(claims.at("aud") == "https://oauth2.googleapis.com/token");
    CHECK(claims.at("iat").as_int64() == fixed_epoch);  // sub-second part truncated
    CHECK(claims.at("exp").as_int64() == fixed_epoch + 3600);

    const auto signing_input = parts[0] + "." + parts[1];
    const auto signature = base64url_decode(parts[2]);
    CHECK(signature.size() == 256);  // RSA 2048
    CHECK(verify_rs256(f.key.get(), signing_input, signature));

    SECTION("a tampered claims segment fails verification") {
        // Swap one base64url character of the claims: still decodable, different bytes.
        std::string forged = parts[1];
        auto& c = forged[forged.size() / 2];
        c = c == 'A' ? 'B' : 'A';
        CHECK_FALSE(verify_rs256(f.key.get(), parts[0] + "." + forged, signature));
        // and the signature does not carry over to a re-encoded claims set either
        CHECK_FALSE(verify_rs256(f.key.get(), parts[0] + "." + parts[1] + "x", signature));
    }
    SECTION("a tampered signature fails verification") {
        auto bad = signature;
        bad[10] = static_cast<char>(bad[10] ^ 1);
        CHECK_FALSE(verify_rs256(f.key.get(), signing_input, bad));
    }
    SECTION("another key does not verify it") {
        auto other = make_rsa_key();
        CHECK_FALSE(verify_rs256(other.get(), signing_input, signature));
    }
    SECTION("a custom scope") {
        auto j = vertex::make_jwt_assertion(*acc, fixed_now, "a b");
        REQUIRE(j.has_value());
        const auto c = json::parse(base64url_decode(split_jwt(*j)[1])).as_object();
        CHECK(c.at("scope") == "a b");
        CHECK(c.at("iat").as_int64() == fixed_epoch);
    }
    SECTION("an account without a key") {
        vertex::service_account empty = *acc;
        empty.private_key.reset();
        auto j = vertex::make_jwt_assertion(empty, fixed_now);
        REQUIRE_FALSE(j.has_value());
        CHECK(j.error() == errc::bad_request);
    }
}

TEST_CASE("token_request_body is the JWT-bearer form body", "[vertex]") {
    CHECK(
        vertex::token_request_body("aaa.bbb-_.ccc") ==
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=aaa.bbb-_.ccc");
    CHECK(vertex::token_request_body("a+b/c=&d e") ==
          "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="
          "a%2Bb%2Fc%3D%26d%20e");
}

TEST_CASE("parse_token_response", "[vertex]") {
    SECTION("success") {
        auto t = vertex::parse_token_response(
            R"({"access_token":"ya29.c.abc","expires_in":3599,"token_type":"Bearer"})", fixed_now);
        REQUIRE(t.has_value());
        CHECK(t->token == "ya29.c.abc");
        CHECK(t->token_type == "Bearer");
        CHECK(t->expires_at == fixed_now + std::chrono::seconds(3599));
    }
    SECTION("OAuth error body") {
        std::string why;
        auto t = vertex::parse_token_response(
            R"({"error":"invalid_grant","error_description":"Invalid JWT Signature."})", fixed_now,
            &why);
        REQUIRE_FALSE(t.has_value());
        CHECK(t.error() == errc::auth_failed);
        CHECK(why.find("invalid_grant") != std::string::npos);
        CHECK(why.find("Invalid JWT Signature.") != std::string::npos);
    }
    SECTION("malformed answers") {
        for (const auto* body :
             {"", "not json", "[]", R"({"expires_in":3600})", R"({"access_token":"x"})",
              R"({"access_token":"x","expires_in":"3600"})",
              R"({"access_token":"x","expires_in":0})", R"({"access_token":"x","expires_in":-5})",
              R"({"access_token":"x","expires_in":18446744073709551615})",
              R"({"access_token":"x","expires_in":9223372036854775807})",
              R"({"access_token":7,"expires_in":3600})"}) {
            INFO(body);
            auto t = vertex::parse_token_response(body, fixed_now);
            REQUIRE_FALSE(t.has_value());
            CHECK(t.error() == errc::bad_upstream_response);
        }
    }
}

TEST_CASE("token_cache refreshes ahead of expiry", "[vertex]") {
    using std::chrono::minutes;
    using std::chrono::seconds;
    vertex::token_cache cache;
    CHECK(cache.needs_refresh(fixed_now));
    CHECK_FALSE(cache.current(fixed_now));

    const auto expires = fixed_now + minutes(60);
    cache.store({"tok-1", "Bearer", expires});

    CHECK_FALSE(cache.needs_refresh(fixed_now));
    CHECK_FALSE(cache.needs_refresh(expires - minutes(5) - seconds(1)));  // before the margin
    CHECK(cache.needs_refresh(expires - minutes(5)));                     // at the margin
    CHECK(cache.needs_refresh(expires - minutes(1)));                     // inside it
    CHECK(cache.needs_refresh(expires + seconds(1)));                     // expired

    CHECK(cache.current(fixed_now) == "tok-1");
    CHECK(cache.current(expires - minutes(1)) == "tok-1");  // still valid, due for refresh
    CHECK_FALSE(cache.current(expires));
    CHECK_FALSE(cache.current(expires + seconds(1)));

    cache.store({"tok-2", "Bearer", expires + minutes(60)});
    CHECK(cache.current(expires) == "tok-2");
    CHECK_FALSE(cache.needs_refresh(expires));

    cache.clear();
    CHECK(cache.needs_refresh(fixed_now));
    CHECK_FALSE(cache.current(fixed_now));

    SECTION("a custom margin") {
        vertex::token_cache short_margin(seconds(30));
        short_margin.store({"t", "Bearer", expires});
        CHECK_FALSE(short_margin.needs_refresh(expires - seconds(31)));
        CHECK(short_margin.needs_refresh(expires - seconds(30)));
    }
}

TEST_CASE("Vertex AI hosts and paths", "[vertex]") {
    CHECK(vertex::vertex_host("global") == "aiplatform.googleapis.com");
    CHECK(vertex::vertex_host("us-east5") == "us-east5-aiplatform.googleapis.com");

    CHECK(
        vertex::gemini_path("p", "global", "gemini-2.5-pro", false) ==
        "/v1/projects/p/locations/global/publishers/google/models/gemini-2.5-pro:generateContent");
    CHECK(vertex::gemini_path("p", "us-east5", "gemini-2.5-pro", true) ==
          "/v1/projects/p/locations/us-east5/publishers/google/models/"
          "gemini-2.5-pro:streamGenerateContent?alt=sse");

    CHECK(vertex::claude_path("p", "global", "claude-sonnet-4@20250514", false) ==
          "/v1/projects/p/locations/global/publishers/anthropic/models/"
          "claude-sonnet-4@20250514:rawPredict");
    CHECK(vertex::claude_path("p", "us-east5", "claude-sonnet-4@20250514", true) ==
          "/v1/projects/p/locations/us-east5/publishers/anthropic/models/"
          "claude-sonnet-4@20250514:streamRawPredict");
}
