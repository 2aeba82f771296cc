// Round trip over every direction: a recorded upstream stream is converted into each client
// format's stream; re-assembling that client stream must give the same message as the
// non-stream path (the same upstream stream assembled, encoded as the client's JSON body, and
// read back). What must agree: text, thinking text, tool calls (id, name, arguments as JSON),
// finish reason and usage.

#include "gateway/core/canonical_json.hpp"
#include "gateway/core/stream_event.hpp"
#include "gateway/ingress/codec.hpp"
#include "gateway/upstream/codec.hpp"

#include "support/golden.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <array>
#include <filesystem>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using namespace gateway;
using upstream::upstream_format;

constexpr std::array all_upstreams{upstream_format::openai_chat, upstream_format::openai_responses,
                                   upstream_format::anthropic_messages, upstream_format::gemini,
                                   upstream_format::cohere_chat};
constexpr std::array all_clients{api_format::openai_chat, api_format::openai_responses,
                                 api_format::anthropic_messages};

upstream_format as_upstream(api_format f) {
    switch (f) {
        case api_format::openai_chat:
            return upstream_format::openai_chat;
        case api_format::openai_responses:
            return upstream_format::openai_responses;
        case api_format::anthropic_messages:
            return upstream_format::anthropic_messages;
    }
    return upstream_format::openai_chat;
}

std::vector<std::string> stream_cases(upstream_format f) {
    std::vector<std::string> out;
    const fs::path dir = fs::path(GATEWAY_GOLDEN_DIR) / std::string(upstream::to_string(f));
    if (!fs::exists(dir)) return out;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (fs::exists(e.path() / "upstream.sse")) {
            out.push_back(std::string(upstream::to_string(f)) + "/" + e.path().filename().string() +
                          "/upstream.sse");
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

/// The comparable essence of a message, as far as the client format `to` can tell it.
boost::json::value essence(const response& r, api_format to) {
    boost::json::object o;
    std::string text;
    std::string thinking;
    boost::json::array tools;
    for (const auto& b : r.content) {
        switch (b.kind) {
            case block_kind::text:
            case block_kind::refusal:
                text += b.text;
                break;
            case block_kind::thinking:
                thinking += b.text;
                break;
            case block_kind::tool_use: {
                boost::system::error_code ec;
                auto args = boost::json::parse(b.arguments.empty() ? "{}" : b.arguments, ec);
                tools.push_back(boost::json::object{
                    {"id", b.id},
                    {"name", b.name},
                    {"arguments", ec ? boost::json::value(b.arguments) : args}});
                break;
            }
            default:
                break;
        }
    }
    o["text"] = text;
    o["thinking"] = thinking;
    o["tools"] = std::move(tools);
    // Chat and Responses have no separate "stopped at a stop sequence" reason.
    finish_reason finish =
        r.finish == finish_reason::stop_sequence ? finish_reason::stop : r.finish;
    // Anthropic has one stop reason for both (`refusal`).
    if (to == api_format::anthropic_messages && finish == finish_reason::content_filter) {
        finish = finish_reason::refusal;
    }
    o["finish"] = to_string(finish);
    o["input_tokens"] = r.usage.input_tokens;
    o["output_tokens"] = r.usage.output_tokens;
    o["cache_read_tokens"] = r.usage.cache_read_tokens;
    o["reasoning_tokens"] = r.usage.reasoning_tokens;
    return o;
}

}  // namespace

TEST_CASE("round trip: client stream re-assembled equals the non-stream answer",
          "[conformance][round_trip]") {
    std::size_t checked = 0;
    for (const auto from : all_upstreams) {
        for (const auto& path : stream_cases(from)) {
            const std::string recorded = test::read_golden(path);
            // The non-stream path: upstream stream assembled → client JSON → read back.
            response_builder assembled;
            auto decoder = upstream::make_stream_decoder(from);
            REQUIRE(decoder->feed(recorded, assembled).has_value());
            const bool complete = decoder->finish(assembled).has_value();
            // Error cases have tests of their own (each format's golden error streams).
            if (!complete || assembled.error() != nullptr ||
                assembled.response().finish == finish_reason::error) {
                continue;
            }

            for (const auto to : all_clients) {
                INFO(path << " -> " << to_string(to));
                // A client that asked for usage in streams, as the gateway's billing does.
                request original;
                original.include_usage = true;
                ingress::encode_options options;
                options.model = "client-model";
                options.original = &original;
                const std::string body =
                    ingress::encode_response(to, assembled.response(), options);
                conversion_report report;
                auto via_body = upstream::decode_response(as_upstream(to), body, nullptr, report);
                INFO(report.error_message << "\n" << body);
                REQUIRE(via_body.has_value());

                // The stream path: upstream stream → client stream → re-assembled.
                auto stream_decoder = upstream::make_stream_decoder(from);
                auto encoder = ingress::make_stream_encoder(to, options);
                REQUIRE(stream_decoder->feed(recorded, *encoder).has_value());
                REQUIRE(stream_decoder->finish(*encoder).has_value());
                CHECK(encoder->finished());
                const std::string client_sse = encoder->output();
                response_builder reassembled;
                auto client_decoder = upstream::make_stream_decoder(as_upstream(to));
                INFO(client_sse);
                REQUIRE(client_decoder->feed(client_sse, reassembled).has_value());
                REQUIRE(client_decoder->finish(reassembled).has_value());
                REQUIRE(reassembled.done());

                CHECK(boost::json::serialize(essence(reassembled.response(), to)) ==
                      boost::json::serialize(essence(*via_body, to)));
                // And both agree with what the upstream said.
                CHECK(boost::json::serialize(essence(*via_body, to)) ==
                      boost::json::serialize(essence(assembled.response(), to)));
                ++checked;
            }
        }
    }
    // Every upstream format contributes recorded streams (at least text and tools each).
    CHECK(checked >= 4 * 3 * 2);
}
