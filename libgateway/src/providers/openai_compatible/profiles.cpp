// One row per OpenAI-compatible service. A quirk cites where it is documented; parameters a
// service refuses with a 400 are `reject` only when dropping them would change the answer,
// otherwise `drop` (reported in X-Gateway-Adjusted).

#include "gateway/provider/profile.hpp"

#include <deque>
#include <iterator>

namespace gateway::provider {

namespace {

constexpr param_action drop = param_action::drop;
constexpr param_action reject = param_action::reject;
constexpr param_action pass = param_action::pass;

/// Fields OpenAI defines for its own platform (stored completions, metadata for them, its
/// service tiers, the usage chunk option) that other services do not take.
std::vector<std::pair<std::string, param_action>> without_openai_platform_fields(
    std::vector<std::pair<std::string, param_action>> rows) {
    for (const char* field : {"store", "metadata", "service_tier"}) rows.emplace_back(field, drop);
    return {std::make_move_iterator(rows.begin()), std::make_move_iterator(rows.end())};
}

std::vector<compatible_profile> make_rows() {
    // A deque: the references `row` hands out stay valid while later rows are added.
    std::deque<compatible_profile> rows;
    auto row = [&](std::string id, std::string base) -> compatible_profile& {
        compatible_profile p;
        p.id = std::move(id);
        p.default_base_url = std::move(base);
        rows.push_back(std::move(p));
        return rows.back();
    };

    // https://platform.openai.com/docs/api-reference: the reference API itself; reasoning
    // models are recognised by name (upstream/capabilities.cpp).
    auto& openai = row("openai", "https://api.openai.com/v1");
    openai.responses_api = true;

    // https://api-docs.deepseek.com: reasoning arrives as `reasoning_content` (read by the
    // Chat decoder) and must not be sent back (stripped by the encoder); deepseek-reasoner
    // takes no reasoning_effort and answers logprobs with a 400.
    auto& deepseek = row("deepseek", "https://api.deepseek.com/v1");
    deepseek.params = without_openai_platform_fields({{"logprobs", reject}, {"n", reject}});

    // https://openrouter.ai/docs/api-reference/overview: reasoning as `reasoning` deltas (read
    // by the Chat decoder), `reasoning_effort` accepted for every reasoning model it routes to,
    // routing preferences in a `provider` object (channel setting `provider`), app attribution
    // headers (settings `referer`, `title`).
    auto& openrouter = row("openrouter", "https://openrouter.ai/api/v1");
    openrouter.params = {{"reasoning", pass}};
    openrouter.body_settings = {{"provider", "provider"}};

    // https://docs.x.ai/docs/guides/reasoning: grok-3-mini takes reasoning_effort; grok-4 is a
    // reasoning model that refuses presence/frequency penalties, stop and reasoning_effort.
    // xAI serves the Responses API too.
    auto& xai = row("xai", "https://api.x.ai/v1");
    xai.responses_api = true;
    xai.reasoning_effort_prefixes = {"grok-3-mini"};
    xai.params = without_openai_platform_fields({});

    // https://console.groq.com/docs/openai: logprobs, logit_bias, top_logprobs and n > 1 are a
    // 400; reasoning_effort for its reasoning models (gpt-oss, qwen3).
    auto& groq = row("groq", "https://api.groq.com/openai/v1");
    groq.params = without_openai_platform_fields(
        {{"logprobs", reject}, {"logit_bias", reject}, {"top_logprobs", reject}, {"n", reject}});
    groq.reasoning_effort_prefixes = {"openai/gpt-oss", "gpt-oss", "qwen/qwen3", "qwen3"};

    // https://docs.mistral.ai/api/#tag/chat: the seed is `random_seed`; unknown fields are a 422
    // ("Extra inputs are not permitted"), so OpenAI-only ones are left out; usage comes in the
    // last chunk without `stream_options`.
    auto& mistral = row("mistral", "https://api.mistral.ai/v1");
    mistral.renames = {{"seed", "random_seed"}};
    mistral.params = without_openai_platform_fields({{"user", drop},
                                                     {"stream_options", drop},
                                                     {"logprobs", reject},
                                                     {"top_logprobs", reject},
                                                     {"logit_bias", reject}});

    // https://platform.moonshot.ai/docs/api/chat: Kimi, OpenAI's Chat Completions shape.
    auto& moonshot = row("moonshot", "https://api.moonshot.ai/v1");
    moonshot.params = without_openai_platform_fields({});

    // https://docs.bigmodel.cn/api-reference: Zhipu GLM under /api/paas/v4; reasoning of
    // GLM-4.5+ arrives as `reasoning_content`.
    auto& zhipu = row("zhipu", "https://open.bigmodel.cn/api/paas/v4");
    zhipu.params = without_openai_platform_fields({{"seed", drop}, {"n", reject}});

    // https://docs.together.ai/reference/chat-completions-1
    auto& together = row("together", "https://api.together.xyz/v1");
    together.params = without_openai_platform_fields({});

    // https://docs.fireworks.ai/api-reference/post-chatcompletions
    auto& fireworks = row("fireworks", "https://api.fireworks.ai/inference/v1");
    fireworks.params = without_openai_platform_fields({});

    // https://docs.perplexity.ai/api-reference/chat-completions-post: no /v1 prefix; Sonar
    // models do not call tools, which would silently change the answer, hence reject.
    auto& perplexity = row("perplexity", "https://api.perplexity.ai");
    perplexity.params = without_openai_platform_fields(
        {{"tools", reject}, {"n", reject}, {"seed", drop}, {"logprobs", reject}});

    // https://docs.siliconflow.cn/cn/api-reference/chat-completions/chat-completions
    auto& siliconflow = row("siliconflow", "https://api.siliconflow.cn/v1");
    siliconflow.params = without_openai_platform_fields({});

    // Local servers: no key needed; https://github.com/ollama/ollama/blob/main/docs/openai.md,
    // https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html,
    // https://lmstudio.ai/docs/app/api/endpoints/openai.
    auto& ollama = row("ollama", "http://127.0.0.1:11434/v1");
    ollama.key_required = false;
    ollama.params = without_openai_platform_fields({});
    auto& vllm = row("vllm", "http://127.0.0.1:8000/v1");
    vllm.key_required = false;
    vllm.params = without_openai_platform_fields({{"reasoning", pass}});
    auto& lmstudio = row("lmstudio", "http://127.0.0.1:1234/v1");
    lmstudio.key_required = false;
    lmstudio.params = without_openai_platform_fields({});

    // Any other OpenAI-compatible server: the channel gives base_url; what it refuses goes into
    // the channel's settings.params.
    auto& custom = row("custom", "");
    custom.key_required = false;

    return {std::make_move_iterator(rows.begin()), std::make_move_iterator(rows.end())};
}

}  // namespace

const std::vector<compatible_profile>& builtin_profiles() {
    static const std::vector<compatible_profile> rows = make_rows();
    return rows;
}

}  // namespace gateway::provider
