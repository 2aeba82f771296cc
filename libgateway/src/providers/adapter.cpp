#include "gateway/provider/adapter.hpp"

#include "gateway/provider/registry.hpp"

#include <algorithm>

namespace gateway::provider {

upstream::model_capabilities adapter::capabilities(const channel_config& channel,
                                                   std::string_view model) const {
    return upstream::builtin_capabilities(format(channel, model), model);
}

void adapter::tune(const channel_config& /*channel*/, upstream::encode_options& /*options*/) const {
}

bool is_common_setting(std::string_view key) noexcept {
    return key == "upstream_format" || key == "default_max_tokens" || key == "params" ||
           key == "reasoning_model" || key == "timeouts";
}

std::string unknown_settings(const boost::json::object& settings,
                             std::initializer_list<std::string_view> own) {
    for (const auto& kv : settings) {
        if (is_common_setting(kv.key())) continue;
        if (std::find(own.begin(), own.end(), kv.key()) != own.end()) continue;
        std::string why = "unknown key settings.";
        why += kv.key();
        return why;
    }
    return {};
}

std::string join_url(std::string_view base_url, std::string_view fallback, std::string_view path) {
    std::string_view base = base_url.empty() ? fallback : base_url;
    while (!base.empty() && base.back() == '/') base.remove_suffix(1);
    std::string url(base);
    url += path;
    return url;
}

std::string join_versioned_url(std::string_view base_url, std::string_view fallback,
                               std::string_view version_prefix, std::string_view path) {
    if (base_url.empty()) return join_url(fallback, {}, path);
    while (!base_url.empty() && base_url.back() == '/') base_url.remove_suffix(1);
    std::string url(base_url);
    if (!version_prefix.empty() && !base_url.ends_with(version_prefix)) url += version_prefix;
    url += path;
    return url;
}

std::string_view url_path(std::string_view url) noexcept {
    const std::size_t scheme = url.find("://");
    if (scheme == std::string_view::npos) return {};
    const std::size_t slash = url.find('/', scheme + 3);
    if (slash == std::string_view::npos) return {};
    std::string_view path = url.substr(slash);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    return path;
}

bool is_url_segment(std::string_view name, std::size_t max_size,
                    std::string_view punctuation) noexcept {
    if (name.empty() || name.size() > max_size) return false;
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || punctuation.find(c) != std::string_view::npos;
        if (!ok) return false;
    }
    return true;
}

std::string_view setting(const boost::json::object& settings, std::string_view key) noexcept {
    const auto* v = settings.if_contains(key);
    if (v == nullptr || !v->is_string()) return {};
    return v->get_string();
}

void registry::add(std::unique_ptr<adapter> a) {
    if (!a) return;
    auto same = std::find_if(adapters_.begin(), adapters_.end(),
                             [&](const auto& existing) { return existing->id() == a->id(); });
    if (same != adapters_.end()) {
        *same = std::move(a);
    } else {
        adapters_.push_back(std::move(a));
    }
}

const adapter* registry::find(std::string_view id) const noexcept {
    for (const auto& a : adapters_) {
        if (a->id() == id) return a.get();
    }
    return nullptr;
}

std::vector<std::string_view> registry::ids() const {
    std::vector<std::string_view> out;
    out.reserve(adapters_.size());
    for (const auto& a : adapters_) out.push_back(a->id());
    return out;
}

}  // namespace gateway::provider
