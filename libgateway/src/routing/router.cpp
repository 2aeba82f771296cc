#include "gateway/routing/router.hpp"

#include <boost/json/parse.hpp>

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

namespace {

// Settings were validated when the configuration was read; anything odd here is ignored.
void read_settings(channel& c) {
    if (c.settings_json.empty()) return;
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(c.settings_json, ec);
    if (ec || !v.is_object()) return;
    c.settings = v.get_object();
    const boost::json::object& o = c.settings;
    if (const auto* f = o.if_contains("upstream_format"); f != nullptr && f->is_string()) {
        c.upstream_format = f->get_string();
    }
    if (const auto* m = o.if_contains("default_max_tokens"); m != nullptr && m->is_int64()) {
        c.default_max_tokens = m->get_int64();
    }
    if (const auto* r = o.if_contains("reasoning_model"); r != nullptr && r->is_bool()) {
        c.reasoning_model = r->get_bool();
    }
    if (const auto* t = o.if_contains("timeouts"); t != nullptr && t->is_object()) {
        auto read = [&](std::string_view key, std::int64_t& out) {
            const auto* ms = t->get_object().if_contains(key);
            if (ms != nullptr && ms->is_int64() && ms->get_int64() >= 0) out = ms->get_int64();
        };
        read("connect_ms", c.deadlines.connect_ms);
        read("first_byte_ms", c.deadlines.first_byte_ms);
        read("idle_ms", c.deadlines.idle_ms);
        read("total_ms", c.deadlines.total_ms);
    }
    if (const auto* p = o.if_contains("params"); p != nullptr && p->is_object()) {
        for (const auto& kv : p->get_object()) {
            if (!kv.value().is_string()) continue;
            const std::string_view action = kv.value().get_string();
            param_action a = param_action::pass;
            if (action == "drop") {
                a = param_action::drop;
            } else if (action == "emulate") {
                a = param_action::emulate;
            } else if (action == "reject") {
                a = param_action::reject;
            } else if (action != "pass") {
                continue;
            }
            c.param_overrides.emplace_back(std::string(kv.key()), a);
        }
    }
}

}  // namespace

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
        read_settings(*c);
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
