// Google Vertex AI (https://cloud.google.com/vertex-ai/generative-ai/docs): Gemini models in
// Gemini's wire format and Anthropic's Claude models in the Messages format, both behind
// `{region}-aiplatform.googleapis.com` (or `aiplatform.googleapis.com` for the `global`
// location), authenticated with an OAuth access token obtained from a service-account key
// (service_account.hpp; the gateway fetches and caches the token). Claude on Vertex takes the
// model in the URL (`:rawPredict` / `:streamRawPredict`) and `anthropic_version:
// "vertex-2023-10-16"` in the body instead of the header
// (https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/claude/use-claude).

#include "providers/vertex/vertex.hpp"

#include "providers/vertex/service_account.hpp"

namespace gateway::providers::vertex {

namespace {

using namespace gateway::provider;
using upstream::upstream_format;

constexpr std::string_view default_region = "us-central1";

/// Vertex model ids: letters, digits, '-', '.', '_' and '@' (Claude's `claude-…@20250929`).
bool valid_model_id(std::string_view model) { return is_url_segment(model, 128, "-._@"); }

/// Regions and project ids are lowercase letters, digits and '-'.
bool valid_name(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    for (const char c : name) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    }
    return true;
}

class vertex_adapter final : public adapter {
  public:
    std::string_view id() const noexcept override { return "vertex"; }
    auth_kind auth() const noexcept override { return auth_kind::google_oauth; }

    std::string check(const channel_config& channel) const override {
        for (const char* key : {"project", "region"}) {
            if (const auto* v = channel.settings.if_contains(key);
                v != nullptr && (!v->is_string() || !valid_name(v->get_string()))) {
                return std::string("settings.") + key +
                       " must be a Google Cloud name (lowercase letters, digits and '-')";
            }
        }
        const std::string_view wire = setting(channel.settings, "upstream_format");
        if (!wire.empty() && wire != "gemini" && wire != "anthropic_messages") {
            return "settings.upstream_format must be gemini or anthropic_messages for type vertex";
        }
        return unknown_settings(channel.settings, {"project", "region"});
    }

    upstream_format format(const channel_config& channel, std::string_view model) const override {
        const std::string_view wire = setting(channel.settings, "upstream_format");
        if (wire == "anthropic_messages") return upstream_format::anthropic_messages;
        if (wire == "gemini") return upstream_format::gemini;
        return model.starts_with("claude") ? upstream_format::anthropic_messages
                                           : upstream_format::gemini;
    }

    void tune(const channel_config& channel, upstream::encode_options& options) const override {
        if (format(channel, options.model) != upstream_format::anthropic_messages) return;
        options.model_in_body = false;
        options.extra_body["anthropic_version"] = "vertex-2023-10-16";
    }

    result<prepared_request> prepare(const channel_config& channel, const request_target& target,
                                     upstream::http_request_parts parts, const credentials& creds,
                                     conversion_report& report) const override {
        if (!valid_model_id(target.model)) {
            report.fail("model", "a Vertex AI model id is letters, digits, '-', '.', '_' and '@'");
            return errc::bad_request;
        }
        std::string_view project = setting(channel.settings, "project");
        if (project.empty()) project = creds.project;
        if (project.empty()) {
            report.fail("",
                        "the Vertex AI channel names no project (settings.project, or the "
                        "service-account key's project_id)");
            return errc::bad_request;
        }
        std::string_view region = setting(channel.settings, "region");
        if (region.empty()) region = default_region;
        const bool claude = format(channel, target.model) == upstream_format::anthropic_messages;
        const std::string path = claude ? claude_path(project, region, target.model, target.stream)
                                        : gemini_path(project, region, target.model, target.stream);
        prepared_request out;
        // A configured base URL replaces the regional host (a private endpoint, a test server).
        out.url = channel.base_url.empty() ? "https://" + vertex_host(region) + path
                                           : join_url(channel.base_url, {}, path);
        for (auto& h : parts.headers) {
            // The version travels in the body on Vertex.
            if (claude && h.first == "anthropic-version") continue;
            out.headers.push_back(std::move(h));
        }
        if (!creds.access_token.empty()) {
            std::string bearer = "Bearer ";
            bearer += creds.access_token;
            out.headers.emplace_back("Authorization", std::move(bearer));
        }
        if (claude && !target.anthropic_beta.empty()) {
            out.headers.emplace_back("anthropic-beta", std::string(target.anthropic_beta));
        }
        out.body = std::move(parts.body);
        return out;
    }
};

}  // namespace

std::unique_ptr<adapter> make_adapter() { return std::make_unique<vertex_adapter>(); }

}  // namespace gateway::providers::vertex
