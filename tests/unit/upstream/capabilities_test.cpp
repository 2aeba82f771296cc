// The built-in capability table and its overrides.

#include "gateway/upstream/capabilities.hpp"

#include "gateway/upstream/codec.hpp"

#include <catch2/catch.hpp>

namespace {

using gateway::param_action;
using gateway::upstream::builtin_capabilities;
using gateway::upstream::upstream_format;

}  // namespace

TEST_CASE("capabilities: OpenAI reasoning models drop sampling knobs", "[capabilities]") {
    for (const char* model : {"o1", "o3-mini", "o4-mini-2025-04-16", "gpt-5", "gpt-5-mini",
                              "openai/o3", "codex-mini-latest"}) {
        INFO(model);
        const auto caps = builtin_capabilities(upstream_format::openai_chat, model);
        CHECK(caps.openai_reasoning_model);
        CHECK(caps.action("temperature") == param_action::drop);
        CHECK(caps.action("top_p") == param_action::drop);
        CHECK(caps.action("logprobs") == param_action::reject);
        CHECK(caps.action("seed") == param_action::pass);
    }
}

TEST_CASE("capabilities: classic chat models pass everything", "[capabilities]") {
    for (const char* model : {"gpt-4o", "gpt-4.1-nano", "gpt-5-chat-latest", "omni-moderation"}) {
        INFO(model);
        const auto caps = builtin_capabilities(upstream_format::openai_responses, model);
        CHECK_FALSE(caps.openai_reasoning_model);
        CHECK(caps.action("temperature") == param_action::pass);
        CHECK(caps.params.empty());
    }
    CHECK(builtin_capabilities(upstream_format::anthropic_messages, "o3").params.empty());
}

TEST_CASE("capabilities: set replaces a row, action falls back when absent", "[capabilities]") {
    auto caps = builtin_capabilities(upstream_format::openai_chat, "o3");
    caps.set("temperature", param_action::reject);
    caps.set("seed", param_action::drop);
    CHECK(caps.action("temperature") == param_action::reject);
    CHECK(caps.action("seed") == param_action::drop);
    CHECK(caps.action("top_k", param_action::emulate) == param_action::emulate);
    CHECK(caps.params.size() == 6);
}
