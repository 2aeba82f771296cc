// Credentials quoted by an upstream are redacted before the text leaves the process.

#include "server/redact.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <string_view>

using gateway::server::redact_secrets;
using gateway::server::redacted;

namespace {
constexpr std::string_view key = "sk-proj-Q3x9Vb7LmN2pK8rT5wY1zA4c";
}

TEST_CASE("a key quoted whole is redacted", "[redact]") {
    const std::array<std::string_view, 1> secrets{key};
    // OpenAI-compatible servers answer 401 like this (vLLM, LiteLLM proxies).
    std::string text = R"({"error":{"message":"Incorrect API key provided: )" + std::string(key) +
                       R"(. You can find your API key at ..."}})";
    CHECK(redact_secrets(text, secrets) == 1);
    CHECK(text == R"({"error":{"message":"Incorrect API key provided: [redacted]. You can find )"
                  R"(your API key at ..."}})");
}

TEST_CASE("a key quoted in part is redacted, ordinary text is kept", "[redact]") {
    const std::array<std::string_view, 1> secrets{key};
    // The beginning and the end of the key with the middle elided: the 12-byte prefix goes, the
    // 4-byte tail is too short to tell from ordinary text.
    CHECK(redacted("key sk-proj-Q3x9Vb7L***********z4c is wrong", secrets) ==
          "key [redacted]***********z4c is wrong");
    CHECK(redacted("key sk-proj-Q3x is wrong", secrets) == "key sk-proj-Q3x is wrong");
    CHECK(redacted("Invalid authentication credentials", secrets) ==
          "Invalid authentication credentials");
    // Twice in one text.
    CHECK(redacted(std::string(key) + " and " + std::string(key), secrets) ==
          "[redacted] and [redacted]");
}

TEST_CASE("the parts of a composite credential are redacted one by one", "[redact]") {
    // Bedrock channel keys: ACCESS_KEY_ID:SECRET_ACCESS_KEY:region.
    const std::string_view bedrock =
        "AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY:us-east-1";
    const std::array<std::string_view, 1> secrets{bedrock};
    CHECK(redacted("The security token AKIAIOSFODNN7EXAMPLE is invalid in us-east-1", secrets) ==
          "The security token [redacted] is invalid in us-east-1");
    CHECK(redacted("signature for wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", secrets) ==
          "signature for [redacted]");
}

TEST_CASE("placeholder keys are not secrets", "[redact]") {
    const std::array<std::string_view, 2> secrets{"ollama", "none"};
    CHECK(redacted("ollama says none", secrets) == "ollama says none");
    std::string empty;
    CHECK(redact_secrets(empty, secrets) == 0);
}
