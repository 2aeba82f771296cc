#include <gateway/routing/router.hpp>

#include <catch2/catch.hpp>

#include <map>

using gateway::routing::router;
using gateway::storage::channel_record;

namespace {

channel_record channel(std::int64_t id, std::string name, std::vector<std::string> models,
                       int priority = 0, int weight = 1) {
    channel_record c;
    c.id = id;
    c.name = std::move(name);
    c.type = "openai";
    c.base_url = "http://127.0.0.1:1";
    c.models = std::move(models);
    c.priority = priority;
    c.weight = weight;
    return c;
}

}  // namespace

TEST_CASE("candidates are ordered by priority and disabled channels are left out", "[routing]") {
    auto low = channel(1, "low", {"gpt-4o"}, 0);
    auto high = channel(2, "high", {"gpt-4o", "gpt-4o-mini"}, 10);
    auto off = channel(3, "off", {"gpt-4o"}, 20);
    off.enabled = false;
    router r{{low, high, off}};
    REQUIRE(r.channel_count() == 2);
    for (int i = 0; i < 20; ++i) {
        auto list = r.candidates("gpt-4o");
        REQUIRE(list.size() == 2);
        REQUIRE(list[0]->name == "high");
        REQUIRE(list[1]->name == "low");
    }
    REQUIRE(r.candidates("gpt-4o-mini").size() == 1);
    REQUIRE(r.candidates("claude").empty());
    auto models = r.models();
    REQUIRE(models.size() == 2);
    REQUIRE(models[0].first == "gpt-4o");
    REQUIRE(models[1].first == "gpt-4o-mini");
}

TEST_CASE("equal priorities share traffic by weight", "[routing]") {
    router r{{channel(1, "a", {"m"}, 0, 3), channel(2, "b", {"m"}, 0, 1)}};
    std::map<std::string, int> first;
    constexpr int draws = 4000;
    for (int i = 0; i < draws; ++i) ++first[r.candidates("m").front()->name];
    // Expected 3000 / 1000; the bounds are many standard deviations wide (sd ≈ 27).
    REQUIRE(first["a"] > 2700);
    REQUIRE(first["a"] < 3300);
    REQUIRE(first["a"] + first["b"] == draws);
}

TEST_CASE("keys rotate and model names map", "[routing]") {
    auto c = channel(1, "c", {"gpt-4o", "alias"});
    c.keys = {"k1", "k2", "k3"};
    c.model_mapping = {{"alias", "gpt-4o-2024-08-06"}};
    router r{{c}};
    const auto* ch = r.candidates("alias").front();
    REQUIRE(ch->next_key() == "k1");
    REQUIRE(ch->next_key() == "k2");
    REQUIRE(ch->next_key() == "k3");
    REQUIRE(ch->next_key() == "k1");
    REQUIRE(ch->upstream_model("alias") == "gpt-4o-2024-08-06");
    REQUIRE(ch->upstream_model("gpt-4o") == "gpt-4o");
}

TEST_CASE("channel settings give the upstream format, max tokens and parameter overrides",
          "[routing]") {
    auto c = channel(1, "responses", {"gpt-5"});
    c.settings_json =
        R"({"upstream_format":"openai_responses","default_max_tokens":2048,)"
        R"("params":{"top_k":"reject","temperature":"drop","seed":"pass","n":"emulate"},)"
        R"("reasoning_model":false})";
    auto plain = channel(2, "plain", {"gpt-4o"});
    router r{{c, plain}};
    const auto* got = r.candidates("gpt-5").at(0);
    CHECK(got->upstream_format == "openai_responses");
    CHECK(got->default_max_tokens == 2048);
    REQUIRE(got->reasoning_model.has_value());
    CHECK(!*got->reasoning_model);
    using gateway::param_action;
    const std::map<std::string, param_action> overrides(got->param_overrides.begin(),
                                                        got->param_overrides.end());
    CHECK(overrides == std::map<std::string, param_action>{{"top_k", param_action::reject},
                                                           {"temperature", param_action::drop},
                                                           {"seed", param_action::pass},
                                                           {"n", param_action::emulate}});
    const auto* none = r.candidates("gpt-4o").at(0);
    CHECK(none->upstream_format.empty());
    CHECK(none->default_max_tokens == 0);
    CHECK(!none->reasoning_model.has_value());
    CHECK(none->param_overrides.empty());
}
