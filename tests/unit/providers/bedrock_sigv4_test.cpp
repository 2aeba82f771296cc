#include "providers/bedrock/sigv4.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <string>

namespace bedrock = gateway::providers::bedrock;

namespace {

using headers_t = std::vector<std::pair<std::string, std::string>>;

// The AWS Signature Version 4 test suite (formerly published in the AWS General Reference,
// "Signature Version 4 test suite"): every expected value below (canonical request `.creq`,
// string to sign `.sts`, `Authorization` `.authz`) is copied verbatim from the suite as vendored
// in bazelbuild/bazel, third_party/aws-sig-v4-test-suite/<case>/<case>.{req,creq,sts,authz}.
// The suite's common parameters:
constexpr std::string_view suite_date_time = "20150830T123600Z";

bedrock::aws_credentials suite_credentials() {
    return {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", std::nullopt};
}

bedrock::sigv4_options suite_options() {
    bedrock::sigv4_options o;
    o.region = "us-east-1";
    o.service = "service";
    return o;
}

std::chrono::system_clock::time_point suite_time() {
    // 2015-08-30T12:36:00Z
    return std::chrono::system_clock::time_point(std::chrono::seconds(1440938160));
}

std::string header_value(const headers_t& headers, std::string_view name) {
    for (const auto& [n, v] : headers) {
        if (n == name) return v;
    }
    return "<absent>";
}

bedrock::sigv4_signature sign_suite(
    const bedrock::sigv4_request& request,
    const bedrock::aws_credentials& credentials = suite_credentials()) {
    auto signed_request = bedrock::sign_v4(request, credentials, suite_options(), suite_time());
    REQUIRE(signed_request.has_value());
    CHECK(header_value(signed_request->headers, "X-Amz-Date") == suite_date_time);
    CHECK(header_value(signed_request->headers, "Authorization") == signed_request->authorization);
    return *signed_request;
}

const headers_t host_only = {{"Host", "example.amazonaws.com"}};

}  // namespace

TEST_CASE("sigv4 suite: get-vanilla-query-order-key", "[sigv4]") {
    // GET /?Param1=value2&Param1=Value1: equal names, sorted by value (byte order, 'V' < 'v').
    bedrock::sigv4_request req{
        "GET", "/", {{"Param1", "value2"}, {"Param1", "Value1"}}, host_only, ""};
    auto s = sign_suite(req);
    CHECK(s.canonical_request ==
          "GET\n/\nParam1=Value1&Param1=value2\nhost:example.amazonaws.com\n"
          "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(s.string_to_sign ==
          "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
          "704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89");
    CHECK(s.authorization ==
          "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
          "SignedHeaders=host;x-amz-date, "
          "Signature=eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1");
}

TEST_CASE("sigv4 suite: get-vanilla-query-order-value", "[sigv4]") {
    bedrock::sigv4_request req{
        "GET", "/", {{"Param1", "value2"}, {"Param1", "value1"}}, host_only, ""};
    auto s = sign_suite(req);
    CHECK(s.canonical_request ==
          "GET\n/\nParam1=value1&Param1=value2\nhost:example.amazonaws.com\n"
          "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(s.string_to_sign ==
          "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
          "c968629d70850097a2d8781c9bf7edcb988b04cac14cca9be4acc3595f884606");
    CHECK(s.authorization ==
          "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
          "SignedHeaders=host;x-amz-date, "
          "Signature=5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694");
}

TEST_CASE("sigv4 suite: post-x-www-form-urlencoded", "[sigv4]") {
    bedrock::sigv4_request req{
        "POST",
        "/",
        {},
        {{"Content-Type", "application/x-www-form-urlencoded"}, {"Host", "example.amazonaws.com"}},
        "Param1=value1"};
    auto s = sign_suite(req);
    CHECK(s.canonical_request ==
          "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\n"
          "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
          "content-type;host;x-amz-date\n"
          "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
    CHECK(s.string_to_sign ==
          "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
          "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281");
    CHECK(s.authorization ==
          "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
          "SignedHeaders=content-type;host;x-amz-date, "
          "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
}

TEST_CASE("sigv4 suite: post-x-www-form-urlencoded-parameters", "[sigv4]") {
    bedrock::sigv4_request req{"POST",
                               "/",
                               {},
                               {{"Content-Type", "application/x-www-form-urlencoded; charset=utf8"},
                                {"Host", "example.amazonaws.com"}},
                               "Param1=value1"};
    auto s = sign_suite(req);
    CHECK(s.canonical_request ==
          "POST\n/\n\ncontent-type:application/x-www-form-urlencoded; charset=utf8\n"
          "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
          "content-type;host;x-amz-date\n"
          "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
    CHECK(s.string_to_sign ==
          "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
          "2e1cf7ed91881a30569e46552437e4156c823447bf1781b921b5d486c568dd1c");
    CHECK(s.authorization ==
          "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
          "SignedHeaders=content-type;host;x-amz-date, "
          "Signature=1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe");
}

// For the next cases the vendored copy holds the request and the `.authz` only. The signature is
// an HMAC of the string to sign, which holds the SHA-256 of the canonical request, so a matching
// signature proves both byte for byte; the lines the case is about are also checked.

TEST_CASE("sigv4 suite: get-vanilla-query-order-key-case", "[sigv4]") {
    bedrock::sigv4_request req{
        "GET", "/", {{"Param2", "value2"}, {"Param1", "value1"}}, host_only, ""};
    auto s = sign_suite(req);
    CHECK(s.canonical_request.find("\nParam1=value1&Param2=value2\n") != std::string::npos);
    CHECK(s.authorization ==
          "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
          "SignedHeaders=host;x-amz-date, "
          "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST_CASE("sigv4 suite: get-header-value-trim", "[sigv4]") {
    bedrock::sigv4_request req{"GET",
                               "/",
                               {},
                               {{"Host", "example.amazonaws.com"},
                                {"My-Header1", " value1"},
                                {"My-Header2", " \"a   b   c\""}},
                               ""};
    auto s = sign_suite(req);
    CHECK(s.canonical_request.find("\nmy-header1:value1\nmy-header2:\"a b c\"\n") !=
          std::string::npos);
    CHECK(s.authorization ==
          "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
          "SignedHeaders=host;my-header1;my-header2;x-amz-date, "
          "Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736");
}

TEST_CASE("sigv4 suite: get-vanilla-utf8-query", "[sigv4]") {
    // GET /?ሴ=bar (U+1234, UTF-8 E1 88 B4), given decoded.
    bedrock::sigv4_request req{"GET", "/", {{"\xE1\x88\xB4", "bar"}}, host_only, ""};
    auto s = sign_suite(req);
    CHECK(s.canonical_request.find("\n%E1%88%B4=bar\n") != std::string::npos);
    CHECK(s.authorization ==
          "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
          "SignedHeaders=host;x-amz-date, "
          "Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04");
}

TEST_CASE("sigv4 suite: post-vanilla", "[sigv4]") {
    bedrock::sigv4_request req{"POST", "/", {}, host_only, ""};
    auto s = sign_suite(req);
    CHECK(s.authorization ==
          "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
          "SignedHeaders=host;x-amz-date, "
          "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

TEST_CASE("sigv4 suite: post-sts-token/post-sts-header-before", "[sigv4]") {
    // The session token is part of the canonical (signed) request.
    auto credentials = suite_credentials();
    credentials.session_token =
        "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmx"
        "fpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0"
        "KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lI"
        "ZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
    bedrock::sigv4_request req{"POST", "/", {}, host_only, ""};
    auto s = sign_suite(req, credentials);
    CHECK(header_value(s.headers, "X-Amz-Security-Token") == *credentials.session_token);
    CHECK(s.authorization ==
          "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
          "SignedHeaders=host;x-amz-date;x-amz-security-token, "
          "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead");
}

TEST_CASE("sigv4: a Bedrock ConverseStream request", "[sigv4][bedrock]") {
    const std::string payload = R"({"messages":[{"role":"user","content":[{"text":"Hello"}]}]})";
    bedrock::sigv4_request req{"POST",
                               "/model/anthropic.claude-3-5-sonnet-20240620-v1:0/converse-stream",
                               {},
                               {{"Host", "bedrock-runtime.us-east-1.amazonaws.com"},
                                {"Content-Type", "application/json"},
                                {"Accept", "application/vnd.amazon.eventstream"}},
                               payload};
    bedrock::aws_credentials credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                         "FwoGZXIvYXdzEXAMPLETOKEN//+="};
    bedrock::sigv4_options options;
    options.region = "us-east-1";
    options.service = "bedrock";
    // 2024-07-01T08:09:10.750Z: sub-second parts are dropped.
    auto at = std::chrono::system_clock::time_point(std::chrono::seconds(1719821350)) +
              std::chrono::milliseconds(750);
    auto s = bedrock::sign_v4(req, credentials, options, at);
    REQUIRE(s.has_value());
    // The model id's ':' is encoded in the canonical URI (the path is encoded a second time).
    CHECK(s->canonical_request.rfind(
              "POST\n/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream\n\n", 0) ==
          0);
    CHECK(s->signed_headers == "accept;content-type;host;x-amz-date;x-amz-security-token");
    CHECK(s->canonical_request.find("\nx-amz-security-token:FwoGZXIvYXdzEXAMPLETOKEN//+=\n") !=
          std::string::npos);
    CHECK(s->string_to_sign.rfind(
              "AWS4-HMAC-SHA256\n20240701T080910Z\n20240701/us-east-1/bedrock/aws4_request\n", 0) ==
          0);
    REQUIRE(s->headers.size() == 3);
    CHECK(s->headers[0] == std::pair<std::string, std::string>("X-Amz-Date", "20240701T080910Z"));
    CHECK(s->headers[1] == std::pair<std::string, std::string>("X-Amz-Security-Token",
                                                               "FwoGZXIvYXdzEXAMPLETOKEN//+="));
    CHECK(s->headers[2].first == "Authorization");
    // Cross-checked with an independent computation (Python hashlib/hmac, written from the AWS
    // documentation) of the same canonical request.
    CHECK(s->authorization ==
          "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240701/us-east-1/bedrock/aws4_request, "
          "SignedHeaders=accept;content-type;host;x-amz-date;x-amz-security-token, "
          "Signature=8743b2f5df9495ba9252ad3e4bd3538325d055d0127778ce595381ef34297fea");

    SECTION("without a session token, no token header is added or signed") {
        credentials.session_token.reset();
        auto plain = bedrock::sign_v4(req, credentials, options, at);
        REQUIRE(plain.has_value());
        CHECK(header_value(plain->headers, "X-Amz-Security-Token") == "<absent>");
        CHECK(plain->signed_headers == "accept;content-type;host;x-amz-date");
        CHECK(plain->signature != s->signature);
    }
    SECTION("a path already carrying %3A is encoded once more") {
        req.path = "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream";
        auto encoded = bedrock::sign_v4(req, credentials, options, at);
        REQUIRE(encoded.has_value());
        CHECK(encoded->canonical_request.find(
                  "\n/model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse-stream\n") !=
              std::string::npos);
    }
    SECTION("the signature depends on the payload") {
        req.payload = "{}";
        auto other = bedrock::sign_v4(req, credentials, options, at);
        REQUIRE(other.has_value());
        CHECK(other->signature != s->signature);
    }
}

TEST_CASE("sigv4: options and normalisation", "[sigv4]") {
    bedrock::sigv4_request req{"PUT", "/a b/c:d", {{"k", "a b+c"}, {"empty", ""}}, host_only, "x"};
    SECTION("x-amz-content-sha256 on request") {
        auto options = suite_options();
        options.add_content_sha256_header = true;
        auto s = bedrock::sign_v4(req, suite_credentials(), options, suite_time());
        REQUIRE(s.has_value());
        const std::string hash = bedrock::sha256_hex("x");
        CHECK(header_value(s->headers, "x-amz-content-sha256") == hash);
        CHECK(s->signed_headers == "host;x-amz-content-sha256;x-amz-date");
        CHECK(s->canonical_request.find("\nx-amz-content-sha256:" + hash + "\n") !=
              std::string::npos);
    }
    SECTION("path and query encoding") {
        auto s = bedrock::sign_v4(req, suite_credentials(), suite_options(), suite_time());
        REQUIRE(s.has_value());
        CHECK(s->canonical_request.rfind("PUT\n/a%20b/c%3Ad\nempty=&k=a%20b%2Bc\n", 0) == 0);
    }
    SECTION("S3 style: the path is used as given") {
        auto options = suite_options();
        options.uri_encode_path = false;
        req.path = "/a%20b/c";
        auto s = bedrock::sign_v4(req, suite_credentials(), options, suite_time());
        REQUIRE(s.has_value());
        CHECK(s->canonical_request.rfind("PUT\n/a%20b/c\n", 0) == 0);
    }
    SECTION("an empty path is /") {
        req.path = "";
        auto s = bedrock::sign_v4(req, suite_credentials(), suite_options(), suite_time());
        REQUIRE(s.has_value());
        CHECK(s->canonical_request.rfind("PUT\n/\n", 0) == 0);
    }
    SECTION("repeated headers are joined in order; signer headers in the input are ignored") {
        req.headers = {{"host", "example.amazonaws.com"},
                       {"My-Header1", "value2"},
                       {"my-header1", "value1"},
                       {"X-Amz-Date", "19990101T000000Z"},
                       {"Authorization", "stale"}};
        auto s = bedrock::sign_v4(req, suite_credentials(), suite_options(), suite_time());
        REQUIRE(s.has_value());
        CHECK(s->canonical_request.find("\nmy-header1:value2,value1\n") != std::string::npos);
        CHECK(s->canonical_request.find("19990101") == std::string::npos);
        CHECK(s->signed_headers == "host;my-header1;x-amz-date");
    }
}

TEST_CASE("sigv4: invalid input is an error value", "[sigv4]") {
    bedrock::sigv4_request req{"GET", "/", {}, host_only, ""};
    auto credentials = suite_credentials();
    auto options = suite_options();
    auto expect_bad = [&] {
        auto s = bedrock::sign_v4(req, credentials, options, suite_time());
        REQUIRE_FALSE(s.has_value());
        CHECK(s.error() == gateway::errc::bad_request);
    };
    SECTION("no Host header") {
        req.headers = {{"X-Other", "1"}};
        expect_bad();
    }
    SECTION("a header value with CR LF") {
        req.headers.emplace_back("X-Bad", "a\r\nInjected: 1");
        expect_bad();
    }
    SECTION("a header name that is not a token") {
        req.headers.emplace_back("Bad Name", "1");
        expect_bad();
    }
    SECTION("no secret") {
        credentials.secret_access_key.clear();
        expect_bad();
    }
    SECTION("no region") {
        options.region = "";
        expect_bad();
    }
    SECTION("a time before 1970") {
        auto s = bedrock::sign_v4(req, credentials, options,
                                  std::chrono::system_clock::time_point(std::chrono::hours(-48)));
        REQUIRE_FALSE(s.has_value());
        CHECK(s.error() == gateway::errc::bad_request);
    }
}
