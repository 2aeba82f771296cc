#pragma once
/// OpenAI-compatible services as data. One row describes a service that speaks OpenAI's Chat
/// Completions (and maybe Responses) with its own base URL and quirks; one adapter class serves
/// every row. Adding a service is adding a row (built in: providers/openai_compatible/
/// profiles.cpp; or in gatewayd's configuration, `providers`).

#include "gateway/core/conversion.hpp"
#include "gateway/provider/adapter.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace gateway::provider {

struct compatible_profile {
    std::string id;  ///< the channel `type`: lowercase, e.g. "deepseek"
    /// Where the API lives, version included (`https://api.deepseek.com/v1`); empty when every
    /// channel must give its own `base_url` (self-hosted servers, "custom").
    std::string default_base_url;
    /// Whether channels need a key (local servers such as Ollama take none).
    bool key_required = true;
    /// The service also speaks the Responses API (`settings.upstream_format` may choose it).
    bool responses_api = false;
    /// What the service does with parameters OpenAI's models take, by the names of
    /// `upstream::model_capabilities` ("seed", "reasoning", "parallel_tool_calls", ...).
    std::vector<std::pair<std::string, param_action>> params;
    /// Top-level body fields the service names otherwise (Mistral: seed → random_seed).
    std::vector<std::pair<std::string, std::string>> renames;
    /// Model-name prefixes of the service's reasoning models, which take `reasoning_effort`
    /// and refuse sampling parameters the way OpenAI's o-series does.
    std::vector<std::string> reasoning_model_prefixes;
    /// Prefixes of models that accept `reasoning_effort` but are otherwise classic models
    /// (xAI's grok-3-mini, Groq's qwen3, ...): only the `reasoning` row is passed.
    std::vector<std::string> reasoning_effort_prefixes;
    /// Extra request headers every call carries (e.g. OpenRouter's `X-Title`).
    std::vector<std::pair<std::string, std::string>> headers;
    /// Channel settings that become body fields (`{"provider": "provider"}`: OpenRouter's
    /// routing preferences pass as they were configured).
    std::vector<std::pair<std::string, std::string>> body_settings;
};

/// The built-in rows: openai, deepseek, openrouter, xai, groq, mistral, moonshot, zhipu,
/// together, fireworks, perplexity, siliconflow, ollama, vllm, lmstudio, custom.
const std::vector<compatible_profile>& builtin_profiles();

/// The adapter serving a row.
std::unique_ptr<adapter> make_compatible_adapter(compatible_profile profile);

}  // namespace gateway::provider
