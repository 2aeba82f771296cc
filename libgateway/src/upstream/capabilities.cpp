// The built-in capability rows. What a *format* cannot express at all is its encoder's business;
// these rows are about *models* that reject what their format could carry.

#include "gateway/upstream/capabilities.hpp"

#include "gateway/upstream/codec.hpp"

#include <algorithm>
#include <array>

namespace gateway::upstream {

param_action model_capabilities::action(std::string_view param, param_action fallback) const {
    for (const auto& [name, what] : params) {
        if (name == param) return what;
    }
    return fallback;
}

void model_capabilities::set(std::string_view param, param_action what) {
    for (auto& [name, current] : params) {
        if (name == param) {
            current = what;
            return;
        }
    }
    params.emplace_back(std::string(param), what);
}

namespace {

// OpenAI reasoning models ("Reasoning models" guide; the API answers 400 "Unsupported parameter:
// 'temperature' is not supported with this model" and asks for max_completion_tokens).
// gpt-5-chat models are not reasoning models and take the classic sampling parameters.
bool is_openai_reasoning_model(std::string_view model) {
    // A routed name like "openai/o3-mini" counts by its last segment.
    if (const std::size_t slash = model.rfind('/'); slash != std::string_view::npos) {
        model.remove_prefix(slash + 1);
    }
    if (model.starts_with("gpt-5")) return model.find("-chat") == std::string_view::npos;
    constexpr std::array prefixes{"o1", "o3", "o4", "codex-"};
    return std::any_of(prefixes.begin(), prefixes.end(),
                       [&](std::string_view p) { return model.starts_with(p); });
}

}  // namespace

model_capabilities builtin_capabilities(upstream_format format, std::string_view model) {
    model_capabilities caps;
    switch (format) {
        case upstream_format::openai_chat:
        case upstream_format::openai_responses:
            if (is_openai_reasoning_model(model)) {
                caps.openai_reasoning_model = true;
                // Sampling knobs are meaningless for these models; dropping them changes nothing
                // the model would have honoured.
                caps.set("temperature", param_action::drop);
                caps.set("top_p", param_action::drop);
                caps.set("presence_penalty", param_action::drop);
                caps.set("frequency_penalty", param_action::drop);
                caps.set("logprobs", param_action::reject);
            }
            break;
        case upstream_format::anthropic_messages:
        case upstream_format::gemini:
            break;
        case upstream_format::cohere_chat:
            // Cohere Chat v2 (https://docs.cohere.com/reference/chat) has no field for these.
            // Dropped where nothing the model would do changes: end-user ids, metadata, tiers,
            // storage flags; and `parallel_tool_calls` (v2 has no switch: the model may always
            // call several tools in one turn, which every tool-calling client handles).
            for (const char* harmless :
                 {"user", "metadata", "service_tier", "store", "parallel_tool_calls"}) {
                caps.set(harmless, param_action::drop);
            }
            // Rejected where dropping would change the answer: several choices (only one comes
            // back), PDF and file documents (the model would answer without reading them).
            caps.set("n", param_action::reject);
            caps.set("documents", param_action::reject);
            // Only the reasoning models take `thinking` (command-a-reasoning-*); the others
            // answer 400, and without reasoning they answer the same question.
            if (model.find("reasoning") == std::string_view::npos) {
                caps.set("reasoning", param_action::drop);
            }
            break;
        case upstream_format::bedrock_converse:
            break;
    }
    return caps;
}

}  // namespace gateway::upstream
