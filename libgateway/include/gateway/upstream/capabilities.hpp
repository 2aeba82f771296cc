#pragma once
/// Per-model capability table: for each parameter, what an upstream model does with it (pass,
/// drop, emulate, reject). Built-in rows encode what each API is documented to reject (e.g.
/// OpenAI reasoning models refuse `temperature` and want `max_completion_tokens`; Gemini has no
/// `seed` before 2.0); a channel can override any of them in configuration.

#include "gateway/core/conversion.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gateway::upstream {

enum class upstream_format : std::uint8_t;

/// Canonical parameter names used as keys (the Chat Completions wire names where one exists):
/// "temperature", "top_p", "top_k", "presence_penalty", "frequency_penalty", "seed", "stop",
/// "max_tokens", "parallel_tool_calls", "response_format", "reasoning", "tools", "tool_choice",
/// "images", "documents", "n", "logprobs", "user", "metadata", "service_tier".
struct model_capabilities {
    /// Overrides and built-in decisions; parameters not listed are `pass` when the format can
    /// express them (each encoder knows what its format cannot express at all).
    std::vector<std::pair<std::string, param_action>> params;
    /// OpenAI reasoning models (o1, o3, o4-mini, gpt-5…): `max_completion_tokens`, `developer`
    /// instead of `system`, `reasoning_effort`.
    bool openai_reasoning_model = false;

    /// The configured action for `param`, or `fallback` when the table has no row for it.
    param_action action(std::string_view param, param_action fallback = param_action::pass) const;
    /// Adds or replaces the row for `param`.
    void set(std::string_view param, param_action action);
};

/// The built-in table for `model` behind `format` (model names matched by documented prefixes).
model_capabilities builtin_capabilities(upstream_format format, std::string_view model);

}  // namespace gateway::upstream
