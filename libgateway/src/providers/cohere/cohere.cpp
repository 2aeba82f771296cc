// Cohere (https://docs.cohere.com/reference/about): the native API v2 at
// `https://api.cohere.com/v2` (`/chat`, `/embed`, `/rerank`), authenticated with
// `Authorization: Bearer <key>`; `X-Client-Name` (optional) names the calling project in
// Cohere's dashboard. Cohere also serves an OpenAI-compatible endpoint at
// `https://api.cohere.com/compatibility/v1`, used when a channel sets
// `settings.upstream_format` to `openai_chat`; the default is the native v2 format.

#include "providers/cohere/cohere.hpp"

#include <string>

namespace gateway::providers::cohere {

namespace {

using namespace gateway::provider;

constexpr std::string_view native_base_url = "https://api.cohere.com/v2";
constexpr std::string_view compatibility_base_url = "https://api.cohere.com/compatibility/v1";

class cohere_adapter final : public adapter {
  public:
    std::string_view id() const noexcept override { return "cohere"; }

    std::string check(const channel_config& channel) const override {
        const std::string_view wire = setting(channel.settings, "upstream_format");
        if (!wire.empty() && wire != "cohere_chat" && wire != "openai_chat") {
            return "settings.upstream_format must be cohere_chat or openai_chat for type cohere";
        }
        if (const auto* name = channel.settings.if_contains("client_name");
            name != nullptr && !name->is_string()) {
            return "settings.client_name must be a string";
        }
        return unknown_settings(channel.settings, {"client_name"});
    }

    upstream::upstream_format format(const channel_config& channel,
                                     std::string_view) const override {
        return setting(channel.settings, "upstream_format") == "openai_chat"
                   ? upstream::upstream_format::openai_chat
                   : upstream::upstream_format::cohere_chat;
    }

    result<prepared_request> prepare(const channel_config& channel, const request_target& target,
                                     upstream::http_request_parts parts, const credentials& creds,
                                     conversion_report& /*report*/) const override {
        prepared_request out;
        if (format(channel, target.model) == upstream::upstream_format::openai_chat) {
            out.url = join_versioned_url(channel.base_url, compatibility_base_url,
                                         "/compatibility/v1", parts.path);
        } else {
            out.url = join_versioned_url(channel.base_url, native_base_url, "/v2", parts.path);
        }
        out.headers = std::move(parts.headers);
        if (!creds.key.empty()) {
            out.headers.emplace_back("Authorization", "Bearer " + std::string(creds.key));
        }
        if (const std::string_view name = setting(channel.settings, "client_name"); !name.empty()) {
            out.headers.emplace_back("X-Client-Name", std::string(name));
        }
        out.body = std::move(parts.body);
        return out;
    }
};

}  // namespace

std::unique_ptr<adapter> make_adapter() { return std::make_unique<cohere_adapter>(); }

}  // namespace gateway::providers::cohere
