// The one adapter behind every OpenAI-compatible row (profile.hpp): OpenAI itself and the
// services that copied its API. Differences between them are data in the row.

#include "gateway/provider/profile.hpp"

#include <algorithm>

namespace gateway::provider {

namespace {

using upstream::upstream_format;

bool has_prefix(const std::vector<std::string>& prefixes, std::string_view model) {
    // A routed name ("openai/o3-mini", "accounts/fireworks/models/qwen3") counts by its last
    // segment as well.
    std::string_view last = model;
    if (const std::size_t slash = model.rfind('/'); slash != std::string_view::npos) {
        last = model.substr(slash + 1);
    }
    return std::any_of(prefixes.begin(), prefixes.end(), [&](const std::string& p) {
        return model.starts_with(p) || last.starts_with(p);
    });
}

class compatible_adapter final : public adapter {
  public:
    explicit compatible_adapter(compatible_profile profile) : profile_(std::move(profile)) {}

    std::string_view id() const noexcept override { return profile_.id; }

    auth_kind auth() const noexcept override {
        return profile_.key_required ? auth_kind::api_key : auth_kind::none;
    }

    std::string check(const channel_config& channel) const override {
        if (channel.base_url.empty() && profile_.default_base_url.empty()) {
            return "base_url is required for type " + profile_.id;
        }
        const std::string_view wire = setting(channel.settings, "upstream_format");
        if (const auto* v = channel.settings.if_contains("upstream_format");
            v != nullptr && !v->is_string()) {
            return "settings.upstream_format must be a string";
        }
        if (!wire.empty() && wire != "openai_chat" &&
            !(wire == "openai_responses" && profile_.responses_api)) {
            return "settings.upstream_format must be " +
                   std::string(profile_.responses_api ? "openai_chat or openai_responses"
                                                      : "openai_chat") +
                   " for type " + profile_.id;
        }
        for (const auto& kv : channel.settings) {
            if (is_common_setting(kv.key()) || is_own_setting(kv.key())) continue;
            return "unknown key settings." + std::string(kv.key()) + " for type " + profile_.id;
        }
        for (const auto& header_setting : string_settings()) {
            const std::string_view key = header_setting.first;
            if (const auto* v = channel.settings.if_contains(key);
                v != nullptr && !v->is_string()) {
                return "settings." + std::string(key) + " must be a string";
            }
        }
        return {};
    }

    upstream_format format(const channel_config& channel, std::string_view) const override {
        if (profile_.responses_api &&
            setting(channel.settings, "upstream_format") == "openai_responses") {
            return upstream_format::openai_responses;
        }
        return upstream_format::openai_chat;
    }

    upstream::model_capabilities capabilities(const channel_config& channel,
                                              std::string_view model) const override {
        // OpenAI's own model rules (o-series, gpt-5) apply to OpenAI; other services declare
        // their reasoning models in their row.
        upstream::model_capabilities caps;
        if (profile_.id == "openai") {
            caps = upstream::builtin_capabilities(format(channel, model), model);
        } else if (has_prefix(profile_.reasoning_model_prefixes, model)) {
            caps = upstream::builtin_capabilities(upstream_format::openai_chat, "o3");
        }
        if (has_prefix(profile_.reasoning_effort_prefixes, model)) {
            caps.set("reasoning", param_action::pass);
        }
        for (const auto& [param, action] : profile_.params) caps.set(param, action);
        return caps;
    }

    void tune(const channel_config& channel, upstream::encode_options& options) const override {
        options.renames = profile_.renames;
        for (const auto& [key, field] : profile_.body_settings) {
            if (const auto* v = channel.settings.if_contains(key)) options.extra_body[field] = *v;
        }
    }

    result<prepared_request> prepare(const channel_config& channel, const request_target&,
                                     upstream::http_request_parts parts, const credentials& creds,
                                     conversion_report& /*report*/) const override {
        prepared_request out;
        // Servers without a default (custom) follow OpenAI's layout, /v1.
        const std::string_view version = profile_.default_base_url.empty()
                                             ? std::string_view("/v1")
                                             : url_path(profile_.default_base_url);
        out.url =
            join_versioned_url(channel.base_url, profile_.default_base_url, version, parts.path);
        out.headers = std::move(parts.headers);
        if (!creds.key.empty()) {
            std::string bearer = "Bearer ";
            bearer += creds.key;
            out.headers.emplace_back("Authorization", std::move(bearer));
        }
        for (const auto& h : profile_.headers) out.headers.push_back(h);
        for (const auto& [key, header] : string_settings()) {
            const std::string_view value = setting(channel.settings, key);
            if (!value.empty()) out.headers.emplace_back(std::string(header), std::string(value));
        }
        out.body = std::move(parts.body);
        return out;
    }

  private:
    /// Settings that become request headers: OpenAI's organization and project
    /// (https://platform.openai.com/docs/api-reference/authentication), an OpenRouter app's
    /// attribution headers.
    std::vector<std::pair<std::string_view, std::string_view>> string_settings() const {
        if (profile_.id == "openai") {
            return {{"organization", "OpenAI-Organization"}, {"project", "OpenAI-Project"}};
        }
        if (profile_.id == "openrouter") {
            return {{"referer", "HTTP-Referer"}, {"title", "X-Title"}};
        }
        return {};
    }

    bool is_own_setting(std::string_view key) const {
        for (const auto& [k, v] : string_settings()) {
            if (k == key) return true;
        }
        return std::any_of(profile_.body_settings.begin(), profile_.body_settings.end(),
                           [&](const auto& b) { return b.first == key; });
    }

    compatible_profile profile_;
};

}  // namespace

std::unique_ptr<adapter> make_compatible_adapter(compatible_profile profile) {
    return std::make_unique<compatible_adapter>(std::move(profile));
}

}  // namespace gateway::provider
