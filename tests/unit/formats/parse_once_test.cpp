// ingress::parse_request_body + decode_request(tree), the two steps gatewayd takes so that it
// parses a client's body once, against the one-step decode_request on the same bytes.

#include "gateway/core/canonical_json.hpp"
#include "gateway/ingress/codec.hpp"

#include "support/golden.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

namespace {

using gateway::api_format;
using gateway::conversion_report;

struct client_case {
    api_format format;
    std::string_view golden;
};

const client_case cases[] = {
    {api_format::openai_chat, "openai_chat/request-full/client_request.json"},
    {api_format::openai_responses, "openai_responses/request-full/client_request.json"},
    {api_format::anthropic_messages, "anthropic_messages/request-full/client_request.json"},
};

}  // namespace

TEST_CASE("a request decoded from its parsed tree equals the one decoded from its bytes") {
    for (const auto& c : cases) {
        INFO(c.golden);
        const std::string body = gateway::test::read_golden(c.golden);
        conversion_report one_step_report;
        auto one_step = gateway::ingress::decode_request(c.format, body, one_step_report);
        REQUIRE(one_step.has_value());
        conversion_report report;
        auto tree = gateway::ingress::parse_request_body(c.format, body, report);
        REQUIRE(tree.has_value());
        REQUIRE(tree->is_object());
        auto two_step = gateway::ingress::decode_request(c.format, tree->get_object(), report);
        REQUIRE(two_step.has_value());
        CHECK(gateway::to_json(*two_step) == gateway::to_json(*one_step));
        CHECK(report.header_value() == one_step_report.header_value());
    }
}

TEST_CASE("parse_request_body refuses what decode_request refuses, with the same message") {
    for (const auto& c : cases) {
        for (const std::string_view bad : {"{\"model\":", "[1]", "\"text\"", ""}) {
            INFO(c.golden << " body " << bad);
            conversion_report one_step_report;
            CHECK_FALSE(
                gateway::ingress::decode_request(c.format, bad, one_step_report).has_value());
            conversion_report report;
            CHECK_FALSE(gateway::ingress::parse_request_body(c.format, bad, report).has_value());
            CHECK_FALSE(report.error_message.empty());
            CHECK(report.error_message == one_step_report.error_message);
        }
    }
}
