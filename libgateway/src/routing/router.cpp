#include "gateway/routing/router.hpp"

#include <algorithm>
#include <random>

namespace gateway::routing {

std::string_view channel::next_key() const noexcept {
    if (keys.empty()) return {};
    return keys[key_cursor.fetch_add(1, std::memory_order_relaxed) % keys.size()];
}

std::string_view channel::upstream_model(std::string_view requested) const noexcept {
    auto it = model_mapping.find(requested);
    return it == model_mapping.end() ? requested : std::string_view{it->second};
}

router::router(const std::vector<storage::channel_record>& records) {
    for (const auto& r : records) {
        if (!r.enabled) continue;
        auto c = std::make_unique<channel>();
        c->id = r.id;
        c->name = r.name;
        c->type = r.type;
        c->base_url = r.base_url;
        c->keys = r.keys;
        c->models = r.models;
        c->model_mapping.insert(r.model_mapping.begin(), r.model_mapping.end());
        c->priority = r.priority;
        c->weight = std::max(1, r.weight);
        c->settings_json = r.settings_json;
        for (const auto& m : c->models) by_model_[m].push_back(c.get());
        channels_.push_back(std::move(c));
    }
    for (auto& [model, list] : by_model_) {
        std::stable_sort(list.begin(), list.end(), [](const channel* a, const channel* b) {
            return a->priority > b->priority;
        });
    }
}

std::vector<const channel*> router::candidates(std::string_view model) const {
    auto it = by_model_.find(std::string(model));
    if (it == by_model_.end()) return {};
    std::vector<const channel*> list = it->second;
    thread_local std::minstd_rand rng{std::random_device{}()};
    // Weighted shuffle within each priority group: repeatedly draw by remaining weight.
    for (auto group = list.begin(); group != list.end();) {
        auto end = std::find_if(
            group, list.end(), [&](const channel* c) { return c->priority != (*group)->priority; });
        for (auto pos = group; pos + 1 < end; ++pos) {
            long total = 0;
            for (auto i = pos; i != end; ++i) total += (*i)->weight;
            std::uniform_int_distribution<long> pick(0, total - 1);
            long r = pick(rng);
            auto chosen = pos;
            for (auto i = pos; i != end; ++i) {
                r -= (*i)->weight;
                if (r < 0) {
                    chosen = i;
                    break;
                }
            }
            std::iter_swap(pos, chosen);
        }
        group = end;
    }
    return list;
}

std::vector<std::pair<std::string, std::string>> router::models() const {
    std::vector<std::pair<std::string, std::string>> out;
    out.reserve(by_model_.size());
    for (const auto& [model, list] : by_model_) out.emplace_back(model, list.front()->type);
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace gateway::routing
