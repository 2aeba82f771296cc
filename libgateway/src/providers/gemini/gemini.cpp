// Google AI Studio's Gemini API (https://ai.google.dev/api): the key in `x-goog-api-key` (kept
// out of the URL, where `?key=` would end up in logs).

#include "providers/gemini/gemini.hpp"

namespace gateway::providers::gemini {

namespace {

using namespace gateway::provider;

constexpr std::string_view default_base_url = "https://generativelanguage.googleapis.com/v1beta";

class gemini_adapter final : public adapter {
  public:
    std::string_view id() const noexcept override { return "gemini"; }

    std::string check(const channel_config& channel) const override {
        const std::string_view wire = setting(channel.settings, "upstream_format");
        if (!wire.empty() && wire != "gemini") {
            return "settings.upstream_format must be gemini for type gemini";
        }
        return unknown_settings(channel.settings, {});
    }

    upstream::upstream_format format(const channel_config&, std::string_view) const override {
        return upstream::upstream_format::gemini;
    }

    result<prepared_request> prepare(const channel_config& channel, const request_target&,
                                     upstream::http_request_parts parts, const credentials& creds,
                                     conversion_report& /*report*/) const override {
        prepared_request out;
        out.url = join_versioned_url(channel.base_url, default_base_url, "/v1beta", parts.path);
        out.headers = std::move(parts.headers);
        if (!creds.key.empty()) out.headers.emplace_back("x-goog-api-key", std::string(creds.key));
        out.body = std::move(parts.body);
        return out;
    }
};

}  // namespace

std::unique_ptr<adapter> make_adapter() { return std::make_unique<gemini_adapter>(); }

}  // namespace gateway::providers::gemini
