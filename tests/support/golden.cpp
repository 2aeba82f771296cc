#include "support/golden.hpp"

#include "gateway/stream/sse_parser.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace gateway::test {

namespace json = boost::json;

namespace {

std::filesystem::path golden_path(std::string_view relative_path) {
    return std::filesystem::path(GATEWAY_GOLDEN_DIR) / std::string(relative_path);
}

bool updating() {
    const char* v = std::getenv("GATEWAY_UPDATE_GOLDEN");
    return v != nullptr && *v != '\0' && std::string_view(v) != "0";
}

void write_golden(std::string_view relative_path, std::string_view bytes) {
    const auto path = golden_path(relative_path);
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("golden: cannot write " + path.string());
}

void indent(std::string& out, int depth) { out.append(static_cast<std::size_t>(depth) * 2, ' '); }

void pretty(std::string& out, const json::value& v, int depth) {
    if (v.is_object() && !v.get_object().empty()) {
        out += "{\n";
        bool first = true;
        for (const auto& kv : v.get_object()) {
            if (!first) out += ",\n";
            first = false;
            indent(out, depth + 1);
            out += json::serialize(json::value(kv.key()));
            out += ": ";
            pretty(out, kv.value(), depth + 1);
        }
        out += '\n';
        indent(out, depth);
        out += '}';
    } else if (v.is_array() && !v.get_array().empty()) {
        out += "[\n";
        bool first = true;
        for (const auto& item : v.get_array()) {
            if (!first) out += ",\n";
            first = false;
            indent(out, depth + 1);
            pretty(out, item, depth + 1);
        }
        out += '\n';
        indent(out, depth);
        out += ']';
    } else {
        out += json::serialize(v);
    }
}

std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        const std::size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        if (line.find_first_not_of(" \t\r") != std::string_view::npos) lines.push_back(line);
    }
    return lines;
}

struct sse_item {
    std::string name;
    std::string data;
};

std::vector<sse_item> parse_sse(std::string_view body) {
    std::vector<sse_item> items;
    stream::sse_parser parser;
    auto fed = parser.feed(body, [&](const stream::sse_event& e) {
        items.push_back({std::string(e.event), std::string(e.data)});
    });
    INFO("SSE that does not parse");
    REQUIRE(fed.has_value());
    parser.finish();
    return items;
}

bool same_data(std::string_view a, std::string_view b) {
    error_code ea;
    error_code eb;
    const json::value va = json::parse(a, ea);
    const json::value vb = json::parse(b, eb);
    if (!ea && !eb) return va == vb;
    return a == b;
}

}  // namespace

std::string read_golden(std::string_view relative_path) {
    const auto path = golden_path(relative_path);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("golden file missing: " + path.string());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string pretty_json(const json::value& value) {
    std::string out;
    pretty(out, value, 0);
    out += '\n';
    return out;
}

void check_golden_json(std::string_view relative_path, const json::value& actual) {
    if (updating()) write_golden(relative_path, pretty_json(actual));
    const json::value expected = json::parse(read_golden(relative_path));
    INFO("golden " << relative_path << "\nexpected: " << json::serialize(expected)
                   << "\nactual:   " << json::serialize(actual));
    CHECK(expected == actual);
}

void check_golden_jsonl(std::string_view relative_path, std::string_view actual) {
    if (updating()) write_golden(relative_path, actual);
    const std::string expected_text = read_golden(relative_path);
    const auto expected = lines_of(expected_text);
    const auto got = lines_of(actual);
    INFO("golden " << relative_path);
    for (std::size_t i = 0; i < std::min(expected.size(), got.size()); ++i) {
        INFO("line " << i + 1 << "\nexpected: " << expected[i] << "\nactual:   " << got[i]);
        CHECK(json::parse(expected[i]) == json::parse(got[i]));
    }
    CHECK(expected.size() == got.size());
}

void check_golden_sse(std::string_view relative_path, std::string_view actual) {
    if (updating()) write_golden(relative_path, actual);
    const auto expected = parse_sse(read_golden(relative_path));
    const auto got = parse_sse(actual);
    INFO("golden " << relative_path);
    for (std::size_t i = 0; i < std::min(expected.size(), got.size()); ++i) {
        INFO("event " << i + 1 << "\nexpected: " << expected[i].name << " " << expected[i].data
                      << "\nactual:   " << got[i].name << " " << got[i].data);
        CHECK(expected[i].name == got[i].name);
        CHECK(same_data(expected[i].data, got[i].data));
    }
    CHECK(expected.size() == got.size());
}

void check_golden_text(std::string_view relative_path, std::string_view actual) {
    if (updating()) write_golden(relative_path, actual);
    CHECK(read_golden(relative_path) == actual);
}

void for_each_chunking(std::string_view bytes,
                       const std::function<void(std::span<const std::string_view>)>& feed,
                       int random_rounds) {
    std::vector<std::string_view> chunks{bytes};
    feed(chunks);
    // Every boundary of a small input; on a large one (hundreds of KiB of recorded stream) about
    // 4096 evenly spread boundaries, which keeps the test linear-ish yet hits every event kind.
    const std::size_t step = bytes.size() <= 16384 ? 1 : bytes.size() / 4096;
    for (std::size_t cut = 1; cut < bytes.size(); cut += step) {
        chunks = {bytes.substr(0, cut), bytes.substr(cut)};
        feed(chunks);
    }
    chunks.clear();
    for (std::size_t i = 0; i < bytes.size(); ++i) chunks.push_back(bytes.substr(i, 1));
    feed(chunks);
    std::mt19937 rng(20261122);
    for (int round = 0; round < random_rounds; ++round) {
        chunks.clear();
        std::size_t pos = 0;
        while (pos < bytes.size()) {
            const std::size_t n = std::uniform_int_distribution<std::size_t>(1, 64)(rng);
            chunks.push_back(bytes.substr(pos, n));
            pos += std::min(n, bytes.size() - pos);
        }
        feed(chunks);
    }
}

}  // namespace gateway::test
