// Bounded random-input tests of the gemini decoders (and the request encoder's parsing of
// client-supplied JSON text): seeded mutations of the golden inputs, huge fields, deep nesting.
// Every call must return a value or a clean error; streams must keep to the canonical grammar.

#include "gemini_test_util.hpp"

#include "support/golden.hpp"

#include "formats/json_util.hpp"

#include "gateway/core/canonical_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <array>
#include <random>
#include <string>
#include <vector>

namespace {

namespace json = boost::json;
using gateway::errc;
using gateway::error_code;
using gateway::test::read_golden;

const std::vector<std::string>& stream_seeds() {
    static const std::vector<std::string> seeds = [] {
        std::vector<std::string> s;
        for (const char* c :
             {"stream-text/upstream.sse", "stream-thought-parts/upstream.sse",
              "stream-function-call-signature/upstream.sse", "stream-json-after-tool/upstream.sse",
              "stream-json-array/upstream.json-stream.txt", "stream-parallel-calls/upstream.sse",
              "stream-prompt-blocked/upstream.sse", "stream-error-midstream/upstream.sse",
              "stream-thought-then-call/upstream.sse", "stream-trailing-signature/upstream.sse"}) {
            s.push_back(read_golden(std::string("gemini/") + c));
        }
        return s;
    }();
    return seeds;
}

const std::vector<std::string>& response_seeds() {
    static const std::vector<std::string> seeds = [] {
        std::vector<std::string> s;
        for (const char* c : {"response-text", "response-parallel-calls", "response-cached-content",
                              "response-thoughts", "response-prompt-blocked"}) {
            s.push_back(read_golden(std::string("gemini/") + c + "/upstream.json"));
        }
        for (const char* c : {"error-400-invalid-argument.json",
                              "error-429-resource-exhausted.json", "error-404-not-found.json"}) {
            s.push_back(read_golden(std::string("gemini/errors/") + c));
        }
        return s;
    }();
    return seeds;
}

class mutator {
  public:
    explicit mutator(std::uint32_t seed) : rng_(seed) {}

    std::size_t below(std::size_t n) {
        return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
    }

    std::string mutate(std::string s) {
        const std::size_t rounds = 1 + below(3);
        for (std::size_t r = 0; r < rounds; ++r) s = mutate_once(std::move(s));
        return s;
    }

    /// Replaces one value somewhere in a JSON document by a value of another type.
    void type_swap(json::value& root) {
        std::vector<json::value*> nodes;
        collect(root, nodes);
        json::value& target = *nodes[below(nodes.size())];
        static const std::array<const char*, 12> replacements{
            "null",
            "true",
            "0",
            "-1",
            "1e308",
            "\"x\"",
            "\"\"",
            "{}",
            "[]",
            R"({"text":"t","thought":true})",
            R"({"functionCall":{"name":"f","args":{}}})",
            R"([{"content":{"parts":[{"text":"a"}]},"finishReason":"STOP"}])"};
        target = json::parse(replacements[below(replacements.size())]);
    }

    std::vector<std::string_view> chunk(std::string_view bytes) {
        std::vector<std::string_view> chunks;
        std::size_t pos = 0;
        while (pos < bytes.size()) {
            const std::size_t n = 1 + below(below(2) == 0 ? 8 : 512);
            chunks.push_back(bytes.substr(pos, n));
            pos += std::min(n, bytes.size() - pos);
        }
        return chunks;
    }

  private:
    static void collect(json::value& v, std::vector<json::value*>& out) {
        out.push_back(&v);
        if (json::object* o = v.if_object()) {
            for (auto& kv : *o) collect(kv.value(), out);
        } else if (json::array* a = v.if_array()) {
            for (json::value& item : *a) collect(item, out);
        }
    }

    std::string mutate_once(std::string s) {
        static const std::array<const char*, 16> tokens{"{",
                                                        "}",
                                                        "[",
                                                        "]",
                                                        "\"",
                                                        ",",
                                                        ":",
                                                        "null",
                                                        "\\",
                                                        "\r\n\r\n",
                                                        "data: ",
                                                        "\"text\": ",
                                                        "\"thoughtSignature\": \"x\"",
                                                        "\"finishReason\": \"STOP\"",
                                                        "{\"error\": {}}",
                                                        "\xF0\x9F"};
        if (s.empty()) return tokens[below(tokens.size())];
        switch (below(7)) {
            case 0:
                s[below(s.size())] = static_cast<char>(below(256));
                break;
            case 1: {
                const std::size_t at = below(s.size());
                s.erase(at, 1 + below(16));
                break;
            }
            case 2:
                s.insert(below(s.size() + 1), tokens[below(tokens.size())]);
                break;
            case 3:
                s.resize(below(s.size()));
                break;
            case 4: {
                const std::size_t at = below(s.size());
                const std::string piece = s.substr(at, 1 + below(64));
                s.insert(below(s.size() + 1), piece);
                break;
            }
            default: {
                // Structure-aware: swap a value in one JSON document (a data line or the body).
                std::size_t start = 0;
                std::size_t end = s.size();
                if (const std::size_t d = s.find("data: ", below(s.size()));
                    d != std::string::npos) {
                    start = d + 6;
                    end = s.find('\r', start);
                    if (end == std::string::npos) end = s.find('\n', start);
                    if (end == std::string::npos) end = s.size();
                }
                error_code ec;
                json::value v = json::parse(std::string_view(s).substr(start, end - start), ec);
                if (ec) break;
                type_swap(v);
                s.replace(start, end - start, json::serialize(v));
                break;
            }
        }
        return s;
    }

    std::mt19937 rng_;
};

/// Canonical text is UTF-8 (every client decoder parses JSON, which validates it); the request
/// fuzz keeps to that precondition.
bool valid_utf8(std::string_view s) {
    std::string quoted;
    gateway::formats::append_json_string(quoted, s);
    error_code ec;
    (void)json::parse(quoted, ec);
    return !ec;
}

bool clean_stream_error(const gateway::error_code& ec) {
    return !ec || ec == gateway::make_error_code(errc::bad_upstream_response) ||
           ec == gateway::make_error_code(errc::stream_truncated) ||
           ec == gateway::make_error_code(errc::body_too_large);
}

}  // namespace

TEST_CASE("gemini fuzz: the stream decoder keeps the grammar on mutated streams",
          "[gemini][fuzz][stream]") {
    mutator m(20261122);
    const auto& seeds = stream_seeds();
    int failures = 0;
    int successes = 0;
    for (int i = 0; i < 3000; ++i) {
        const std::string input = m.mutate(seeds[m.below(seeds.size())]);
        const auto chunks = m.chunk(input);
        const std::size_t limit = m.below(4) == 0 ? 1024 : 16 * 1024 * 1024;
        const auto run = gateway::test::gemini::run_stream(chunks, limit);
        if (!run.violation.empty() || !clean_stream_error(run.error)) {
            ++failures;
            if (failures <= 3) {
                INFO("input: " << input << "\nviolation: " << run.violation
                               << "\nerror: " << run.error.message());
                CHECK(false);
            }
        }
        if (!run.error) ++successes;
    }
    CHECK(failures == 0);
    CHECK(successes > 100);  // the mutations leave plenty of valid streams to decode
}

TEST_CASE("gemini fuzz: decode_response and decode_error on mutated bodies", "[gemini][fuzz]") {
    mutator m(7);
    const auto& seeds = response_seeds();
    int ok = 0;
    for (int i = 0; i < 3000; ++i) {
        const std::string body = m.mutate(seeds[m.below(seeds.size())]);
        gateway::conversion_report report;
        const auto res = gateway::formats::gemini::decode_response(body, nullptr, report);
        if (res) {
            ++ok;
            (void)gateway::to_json(*res);
            for (const auto& b : res->content) {
                if (b.kind == gateway::block_kind::tool_use) {
                    error_code ec;
                    const json::value args = json::parse(b.arguments, ec);
                    CHECK_FALSE(ec);
                    CHECK(args.is_object());
                }
            }
        } else {
            CHECK(res.error() == gateway::make_error_code(errc::bad_upstream_response));
            CHECK_FALSE(report.error_message.empty());
        }
        const auto status = static_cast<unsigned>(400 + m.below(200));
        const gateway::upstream_error e = gateway::formats::gemini::decode_error(status, body);
        CHECK(e.status >= 400);
        CHECK(e.status <= 599);
        CHECK_FALSE(e.type.empty());
        CHECK_FALSE(e.message.empty());
    }
    CHECK(ok > 100);
}

TEST_CASE("gemini fuzz: huge fields and deep nesting", "[gemini][fuzz][stream]") {
    // A megabyte of text in one chunk: decoded with the default limit, refused under a small one.
    const std::string big(1 << 20, 'a');
    const std::string chunk = "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"" +
                              big +
                              "\"}],\"role\": \"model\"},\"finishReason\": \"STOP\"}]}\r\n\r\n";
    const auto run = gateway::test::gemini::run_stream(chunk);
    CHECK_FALSE(run.error);
    CHECK(run.violation.empty());
    CHECK(run.stopped);
    const auto limited = gateway::test::gemini::run_stream(chunk, 64 * 1024);
    CHECK(limited.error == gateway::make_error_code(errc::body_too_large));
    // The array framing bounds its element buffer the same way.
    const std::string element = "[" + chunk.substr(6, chunk.size() - 10) + "]";
    CHECK(gateway::test::gemini::run_stream(element, 64 * 1024).error ==
          gateway::make_error_code(errc::body_too_large));
    // A line that never ends does not grow without bound either.
    const std::string endless(4 * 1024 * 1024, 'x');
    CHECK(gateway::test::gemini::run_stream("data: " + endless, 64 * 1024).error ==
          gateway::make_error_code(errc::body_too_large));

    // Nesting far beyond the parser's depth limit: a clean error, no stack exhaustion.
    std::string deep;
    for (int i = 0; i < 100000; ++i) deep += "{\"a\":";
    deep += "1";
    for (int i = 0; i < 100000; ++i) deep += '}';
    const std::string nested_call =
        R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":)" + deep +
        R"(}}]},"finishReason":"STOP"}]})";
    gateway::conversion_report report;
    const auto res = gateway::formats::gemini::decode_response(nested_call, nullptr, report);
    CHECK(res.error() == gateway::make_error_code(errc::bad_upstream_response));
    const auto nested_stream =
        gateway::test::gemini::run_stream("data: " + nested_call + "\r\n\r\n");
    CHECK(nested_stream.error == gateway::make_error_code(errc::bad_upstream_response));
    CHECK(nested_stream.violation.empty());
    const auto nested_array = gateway::test::gemini::run_stream("[" + nested_call + "]");
    CHECK(nested_array.error == gateway::make_error_code(errc::bad_upstream_response));
    CHECK(gateway::formats::gemini::decode_error(400, deep).status == 400);

    // The request encoder parses client-supplied JSON text (tool arguments, tool results).
    gateway::request req;
    gateway::message call;
    call.role = gateway::role::assistant;
    call.content.push_back(gateway::content_block::make_tool_use("c", "f", deep));
    req.messages.push_back(call);
    gateway::message result;
    result.content.push_back(gateway::content_block::make_tool_result("c", deep));
    req.messages.push_back(result);
    gateway::upstream::encode_options options;
    options.model = "gemini-2.5-flash";
    gateway::conversion_report enc_report;
    const auto enc = gateway::formats::gemini::encode_request(req, options, enc_report);
    CHECK(enc.error() == gateway::make_error_code(errc::bad_request));
    CHECK(enc_report.error_param == "messages[0].content[0].arguments");
    // A tool result too deep to parse is sent as the string it is.
    req.messages[0].content[0].arguments = "{}";
    const auto enc2 = gateway::formats::gemini::encode_request(req, options, enc_report);
    REQUIRE(enc2.has_value());
    CHECK(enc2->body.find(R"("response":{"result":"{\"a\":{\"a\":)") != std::string::npos);
}

TEST_CASE("gemini fuzz: the request encoder on random client JSON text", "[gemini][fuzz]") {
    mutator m(99);
    const std::string seed_args = R"({"city": "Paris", "days": [1, 2, {"x": null}]})";
    for (int i = 0; i < 1000; ++i) {
        const std::string args = m.mutate(seed_args);
        const std::string output = m.mutate(seed_args);
        if (!valid_utf8(args) || !valid_utf8(output)) continue;
        gateway::request req;
        gateway::message call;
        call.role = gateway::role::assistant;
        call.content.push_back(
            gateway::content_block::make_tool_use("id" + std::to_string(i % 3), "f", args));
        req.messages.push_back(call);
        gateway::message result;
        result.content.push_back(
            gateway::content_block::make_tool_result("id" + std::to_string(m.below(4)), output));
        req.messages.push_back(result);
        gateway::upstream::encode_options options;
        options.model = "gemini-3-pro-preview";
        gateway::conversion_report report;
        const auto enc = gateway::formats::gemini::encode_request(req, options, report);
        if (enc) {
            error_code ec;
            const json::value body = json::parse(enc->body, ec);
            CHECK_FALSE(ec);
            CHECK(body.is_object());
        } else {
            CHECK(enc.error() == gateway::make_error_code(errc::bad_request));
            CHECK_FALSE(report.error_param.empty());
        }
    }
}
