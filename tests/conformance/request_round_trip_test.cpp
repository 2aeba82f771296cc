// Request round trip over every client → upstream direction that has a reader on the other
// side: a recorded (or hand-written) client request is decoded, encoded for the upstream format,
// and the upstream body is read back with the decoder of that format (an upstream body of Chat,
// Responses or Messages is a request of the same format). What the conversation means must
// survive: instructions, the turns and their text, images, tool definitions, tool calls (id,
// name, arguments as JSON), tool results (id, text) and the tool choice. Reasoning state is
// provider-specific and checked by each format's own tests.

#include "gateway/core/canonical_json.hpp"
#include "gateway/ingress/codec.hpp"
#include "gateway/upstream/codec.hpp"

#include "support/golden.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <filesystem>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace gateway;
using upstream::upstream_format;

struct direction {
    upstream_format upstream;
    api_format reader;  // the client-side decoder of the same wire format
};

constexpr std::array readable_upstreams{
    direction{upstream_format::openai_chat, api_format::openai_chat},
    direction{upstream_format::openai_responses, api_format::openai_responses},
    direction{upstream_format::anthropic_messages, api_format::anthropic_messages},
};

constexpr std::array client_formats{api_format::openai_chat, api_format::openai_responses,
                                    api_format::anthropic_messages};

std::vector<std::string> request_cases(api_format f) {
    std::vector<std::string> out;
    const fs::path dir = fs::path(GATEWAY_GOLDEN_DIR) / std::string(to_string(f));
    if (!fs::exists(dir)) return out;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (fs::exists(e.path() / "client_request.json")) {
            out.push_back(std::string(to_string(f)) + "/" + e.path().filename().string() +
                          "/client_request.json");
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

json::value arguments_json(const std::string& text) {
    boost::system::error_code ec;
    json::value v = json::parse(text.empty() ? "{}" : text, ec);
    return ec ? json::value(text) : v;
}

/// A plain-text document is text the model reads; formats without text documents send it as a
/// text part (reported as emulated).
bool is_text(const content_block& b) {
    return b.kind == block_kind::text ||
           (b.kind == block_kind::document && b.source.type == media_source::kind::text);
}

const std::string& text_of(const content_block& b) {
    return b.kind == block_kind::text ? b.text : b.source.data;
}

std::string joined_text(const std::vector<content_block>& blocks) {
    std::string text;
    for (const auto& b : blocks) {
        if (!is_text(b)) continue;
        if (!text.empty()) text += '\n';
        text += text_of(b);
    }
    return text;
}

/// What the encoder said it changed on purpose: those parts are compared no further.
struct changed_on_purpose {
    bool tool_choice = false;
    bool structured_output = false;  // emulated with a forced tool

    explicit changed_on_purpose(const conversion_report& report) {
        for (const auto& a : report.adjustments) {
            if (a.param.starts_with("tool_choice")) tool_choice = true;
            if (a.param == "response_format" || a.param.starts_with("text.format")) {
                structured_output = a.action == "emulated";
            }
        }
    }
};

/// What a conversation means, independent of how a format lays it out: system instructions
/// (mid-conversation ones included, as Anthropic and Gemini fold them there), turns with
/// consecutive turns of one role merged (Anthropic merges them), and per turn its text, images,
/// tool calls and tool results.
json::value essence(const request& r, const changed_on_purpose& changed) {
    json::object o;
    std::string system = joined_text(r.system);
    json::array turns;
    role last = role::system;
    for (const auto& m : r.messages) {
        if (m.role == role::system) {
            const std::string text = joined_text(m.content);
            if (!text.empty()) system += (system.empty() ? "" : "\n") + text;
            continue;
        }
        if (turns.empty() || m.role != last) {
            turns.push_back(json::object{{"role", to_string(m.role)},
                                         {"text", ""},
                                         {"images", 0},
                                         {"calls", json::array{}},
                                         {"results", json::array{}}});
            last = m.role;
        }
        json::object& turn = turns.back().as_object();
        for (const auto& b : m.content) {
            switch (b.kind) {
                case block_kind::text:
                case block_kind::document: {
                    if (!is_text(b)) break;
                    std::string text(turn.at("text").as_string());
                    if (!text.empty()) text += '\n';
                    text += text_of(b);
                    turn["text"] = text;
                    break;
                }
                case block_kind::image:
                    turn["images"] = turn.at("images").as_int64() + 1;
                    break;
                case block_kind::tool_use:
                    turn["calls"].as_array().push_back(
                        json::object{{"id", b.id},
                                     {"name", b.name},
                                     {"arguments", arguments_json(b.arguments)}});
                    break;
                case block_kind::tool_result:
                    turn["results"].as_array().push_back(
                        json::object{{"id", b.id}, {"text", joined_text(b.content)}});
                    break;
                default:
                    break;
            }
        }
    }
    o["system"] = system;
    o["turns"] = std::move(turns);
    json::array tools;
    for (const auto& t : r.tools) {
        if (t.type != "function") continue;
        if (changed.structured_output && t.name == "__json_response") continue;
        tools.push_back(json::object{{"name", t.name}, {"parameters", t.parameters}});
    }
    o["tools"] = std::move(tools);
    if (!changed.tool_choice && !changed.structured_output) {
        o["tool_choice"] = static_cast<int>(r.choice.type);
        o["tool_choice_name"] = r.choice.name;
    }
    o["stream"] = r.stream;
    return o;
}

}  // namespace

TEST_CASE("request round trip: the conversation survives every readable direction",
          "[conformance][round_trip]") {
    std::size_t checked = 0;
    std::size_t rejected = 0;
    for (const auto from : client_formats) {
        for (const auto& path : request_cases(from)) {
            conversion_report decode_report;
            auto original = ingress::decode_request(from, test::read_golden(path), decode_report);
            INFO(path << ": " << decode_report.error_message);
            REQUIRE(original.has_value());
            for (const auto& to : readable_upstreams) {
                INFO(path << " -> " << upstream::to_string(to.upstream));
                upstream::encode_options options;
                options.model = "target-model";
                options.stream = original->stream;
                conversion_report report;
                auto encoded = upstream::encode_request(to.upstream, *original, options, report);
                if (!encoded) {
                    // A refusal must say what and why; it is not a pass.
                    CHECK(!report.error_message.empty());
                    ++rejected;
                    continue;
                }
                conversion_report read_report;
                auto read_back = ingress::decode_request(to.reader, encoded->body, read_report);
                INFO(read_report.error_message << "\n" << encoded->body);
                REQUIRE(read_back.has_value());
                CHECK(read_back->model == "target-model");
                const changed_on_purpose changed(report);
                CHECK(json::serialize(essence(*read_back, changed)) ==
                      json::serialize(essence(*original, changed)));
                ++checked;
            }
        }
    }
    // Every client format has request cases, and nearly all directions must convert.
    CHECK(checked >= 3 * 3 * 2);
    CHECK(rejected <= checked / 4);
}
