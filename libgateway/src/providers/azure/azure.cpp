// Azure OpenAI (https://learn.microsoft.com/azure/ai-foundry/openai/reference): OpenAI's wire
// formats behind per-resource hosts. Chat Completions go to a deployment,
// `{base}/openai/deployments/{deployment}/chat/completions?api-version=...`; the Responses API
// lives under the version-less v1 path, `{base}/openai/v1/responses`, with the deployment as the
// body's model. The key goes in an `api-key` header. The deployment is the upstream model name
// (a channel's model_mapping maps client names to deployment names).

#include "providers/azure/azure.hpp"

namespace gateway::providers::azure {

namespace {

using namespace gateway::provider;
using upstream::upstream_format;

/// The latest GA data-plane version at the time of writing.
constexpr std::string_view default_api_version = "2024-10-21";

/// Deployment names are letters, digits, '-', '_' and '.'.
bool valid_deployment(std::string_view name) { return is_url_segment(name, 64, "-_."); }

class azure_adapter final : public adapter {
  public:
    std::string_view id() const noexcept override { return "azure"; }

    std::string check(const channel_config& channel) const override {
        if (channel.base_url.empty()) {
            return "base_url is required for type azure (https://<resource>.openai.azure.com)";
        }
        const std::string_view wire = setting(channel.settings, "upstream_format");
        if (!wire.empty() && wire != "openai_chat" && wire != "openai_responses") {
            return "settings.upstream_format must be openai_chat or openai_responses for type "
                   "azure";
        }
        if (const auto* v = channel.settings.if_contains("api_version");
            v != nullptr && (!v->is_string() || v->get_string().empty())) {
            return "settings.api_version must be a non-empty string";
        }
        return unknown_settings(channel.settings, {"api_version"});
    }

    upstream_format format(const channel_config& channel, std::string_view) const override {
        return setting(channel.settings, "upstream_format") == "openai_responses"
                   ? upstream_format::openai_responses
                   : upstream_format::openai_chat;
    }

    result<prepared_request> prepare(const channel_config& channel, const request_target& target,
                                     upstream::http_request_parts parts, const credentials& creds,
                                     conversion_report& report) const override {
        if (!valid_deployment(target.model)) {
            report.fail("model",
                        "the Azure deployment name must be 1 to 64 letters, digits, "
                        "'-', '_' or '.'");
            return errc::bad_request;
        }
        std::string path;
        if (format(channel, target.model) == upstream_format::openai_responses) {
            path = "/openai/v1/responses";
        } else {
            std::string_view version = setting(channel.settings, "api_version");
            if (version.empty()) version = default_api_version;
            path = "/openai/deployments/";
            path += target.model;
            path += "/chat/completions?api-version=";
            path += version;
        }
        prepared_request out;
        out.url = join_url(channel.base_url, {}, path);
        out.headers = std::move(parts.headers);
        if (!creds.key.empty()) out.headers.emplace_back("api-key", std::string(creds.key));
        out.body = std::move(parts.body);
        return out;
    }
};

}  // namespace

std::unique_ptr<adapter> make_adapter() { return std::make_unique<azure_adapter>(); }

}  // namespace gateway::providers::azure
