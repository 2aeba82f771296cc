// Anthropic (https://docs.claude.com/en/api/overview): `x-api-key`, `anthropic-version` (set by
// the format's encoder), and beta features named in `anthropic-beta` — the client's header is
// passed on, a channel may add its own (`settings.beta`), e.g. for prompt-caching or 1M-context
// betas. `cache_control` marks travel in the body (kept by the format's codec).

#include "providers/anthropic/anthropic.hpp"

#include <string>

namespace gateway::providers::anthropic {

namespace {

using namespace gateway::provider;

constexpr std::string_view default_base_url = "https://api.anthropic.com/v1";

void add_betas(std::string& out, std::string_view list) {
    while (!list.empty()) {
        const std::size_t comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (item.empty()) continue;
        // Already listed?
        std::string_view rest = out;
        bool seen = false;
        while (!rest.empty() && !seen) {
            const std::size_t c = rest.find(',');
            seen = rest.substr(0, c) == item;
            rest = c == std::string_view::npos ? std::string_view{} : rest.substr(c + 1);
        }
        if (seen) continue;
        if (!out.empty()) out += ',';
        out += item;
    }
}

class anthropic_adapter final : public adapter {
  public:
    std::string_view id() const noexcept override { return "anthropic"; }

    std::string check(const channel_config& channel) const override {
        const std::string_view wire = setting(channel.settings, "upstream_format");
        if (!wire.empty() && wire != "anthropic_messages") {
            return "settings.upstream_format must be anthropic_messages for type anthropic";
        }
        if (const auto* beta = channel.settings.if_contains("beta")) {
            bool ok = beta->is_string();
            if (const auto* list = beta->if_array()) {
                ok = true;
                for (const auto& item : *list) ok = ok && item.is_string();
            }
            if (!ok) return "settings.beta must be a string or an array of strings";
        }
        return unknown_settings(channel.settings, {"beta"});
    }

    upstream::upstream_format format(const channel_config&, std::string_view) const override {
        return upstream::upstream_format::anthropic_messages;
    }

    result<prepared_request> prepare(const channel_config& channel, const request_target& target,
                                     upstream::http_request_parts parts, const credentials& creds,
                                     conversion_report& /*report*/) const override {
        prepared_request out;
        out.url = join_versioned_url(channel.base_url, default_base_url, "/v1", parts.path);
        out.headers = std::move(parts.headers);
        if (!creds.key.empty()) out.headers.emplace_back("x-api-key", std::string(creds.key));
        if (std::string beta = beta_header(target.anthropic_beta, channel.settings);
            !beta.empty()) {
            out.headers.emplace_back("anthropic-beta", std::move(beta));
        }
        out.body = std::move(parts.body);
        return out;
    }
};

}  // namespace

std::string beta_header(std::string_view client, const boost::json::object& settings) {
    std::string out;
    add_betas(out, client);
    if (const auto* beta = settings.if_contains("beta")) {
        if (beta->is_string()) add_betas(out, beta->get_string());
        if (const auto* list = beta->if_array()) {
            for (const auto& item : *list) {
                if (item.is_string()) add_betas(out, item.get_string());
            }
        }
    }
    return out;
}

std::unique_ptr<adapter> make_adapter() { return std::make_unique<anthropic_adapter>(); }

}  // namespace gateway::providers::anthropic
