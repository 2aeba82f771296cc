// A lint over the project's sources: no conditional operator in a statement that contains
// `co_await`.
//
// g++ 12 (Debian 12's compiler, the one CI and the README build with) miscompiles temporaries
// of a conditional expression inside a full-expression that suspends: a `std::string` built by
// `cond ? "literal" : str` and passed by value into a coroutine was destroyed twice, freeing its
// buffer twice on every 400 of the generation routes. The same family of bugs hits `co_await`
// inside `?:`. Build such a value into a named local (or use if/else) before the statement that
// awaits; this test fails on any statement that mixes the two again.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace fs = std::filesystem;

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

/// `1'000`: a quote between two digits separates them.
bool digit_separator(std::string_view src, std::size_t i) {
    return i > 0 && i + 1 < src.size() && is_hex(src[i - 1]) && is_hex(src[i + 1]);
}

/// The source with comments, string and character literals blanked to spaces (newlines kept),
/// so that a `?` or `;` inside them is not taken for code.
std::string code_only(std::string_view src) {
    std::string out(src);
    std::size_t i = 0;
    const auto blank = [&](std::size_t from, std::size_t to) {
        for (std::size_t k = from; k < to && k < out.size(); ++k) {
            if (out[k] != '\n') out[k] = ' ';
        }
    };
    while (i < src.size()) {
        if (src.compare(i, 2, "//") == 0) {
            const std::size_t end = src.find('\n', i);
            const std::size_t stop = end == std::string_view::npos ? src.size() : end;
            blank(i, stop);
            i = stop;
        } else if (src.compare(i, 2, "/*") == 0) {
            const std::size_t end = src.find("*/", i + 2);
            const std::size_t stop = end == std::string_view::npos ? src.size() : end + 2;
            blank(i, stop);
            i = stop;
        } else if (src.compare(i, 2, "R\"") == 0) {
            // Raw string: R"delim( ... )delim"
            const std::size_t open = src.find('(', i + 2);
            if (open == std::string_view::npos) break;
            const std::string close = ")" + std::string(src.substr(i + 2, open - (i + 2))) + "\"";
            const std::size_t end = src.find(close, open);
            const std::size_t stop =
                end == std::string_view::npos ? src.size() : end + close.size();
            blank(i, stop);
            i = stop;
        } else if (src[i] == '"' || (src[i] == '\'' && !digit_separator(src, i))) {
            // A string or character literal (a digit separator like 1'000 is not one).
            const char quote = src[i];
            std::size_t k = i + 1;
            while (k < src.size() && src[k] != quote)
                k += src[k] == '\\' ? std::size_t{2} : std::size_t{1};
            blank(i, k + 1);
            i = k + 1;
        } else {
            ++i;
        }
    }
    return out;
}

struct finding {
    std::size_t line = 0;
    std::string statement;
};

/// Every statement (from the previous `;`, `{` or `}` to the next `;` outside parentheses) that
/// contains both `co_await` and a `?`.
std::vector<finding> conditional_awaits(std::string_view source) {
    const std::string code = code_only(source);
    std::vector<finding> found;
    for (std::size_t at = code.find("co_await"); at != std::string::npos;
         at = code.find("co_await", at + 8)) {
        const bool word_start =
            at == 0 ||
            !(std::isalnum(static_cast<unsigned char>(code[at - 1])) || code[at - 1] == '_');
        if (!word_start) continue;
        std::size_t begin = code.find_last_of(";{}", at);
        begin = begin == std::string::npos ? 0 : begin + 1;
        std::size_t end = at;
        int depth = 0;
        for (; end < code.size(); ++end) {
            const char c = code[end];
            if (c == '(' || c == '[') ++depth;
            if (c == ')' || c == ']') --depth;
            if (depth <= 0 && (c == ';' || c == '{' || c == '}')) break;
        }
        const std::string_view statement = std::string_view(code).substr(begin, end - begin);
        if (statement.find('?') != std::string_view::npos) {
            const auto line = static_cast<std::size_t>(
                std::count(code.begin(), code.begin() + static_cast<std::ptrdiff_t>(at), '\n') + 1);
            found.push_back({line, std::string(source.substr(begin, end - begin))});
        }
    }
    return found;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

TEST_CASE("the lint finds a conditional expression in an awaited call", "[lint][coroutine]") {
    // The statement that freed its message twice on every 400 (relay_service.cpp, 2026-12).
    const std::string bad = R"(
        if (!decoded) {
            co_await send_client_error(
                ctx, format, 400, "invalid_request_error",
                report.error_message.empty() ? "The request body is not valid." : report.error_message,
                report.error_param);
            co_return;
        })";
    const auto found = conditional_awaits(bad);
    REQUIRE(found.size() == 1);
    CHECK(found[0].line == 3);
    CHECK(conditional_awaits("x = co_await (a ? f() : g());").size() == 1);
    CHECK(conditional_awaits("auto v = c ? 1 : 2;\nco_await f(v);").empty());
    CHECK(conditional_awaits("co_await f(\"why?\"); // really?\nauto x = a ? b : c;").empty());
    CHECK(conditional_awaits("co_await f(R\"(a ? b)\", '?');").empty());
    CHECK(conditional_awaits("[] { co_await f(x); }; y = a ? b : c;").empty());
    CHECK(conditional_awaits("std::size_t n = 1'000; co_await f(n);").empty());
}

TEST_CASE("no statement of the project awaits and uses a conditional operator",
          "[lint][coroutine]") {
    const fs::path root = GATEWAY_SOURCE_DIR;
    std::size_t files = 0;
    std::string report;
    for (const char* dir : {"libgateway", "apps", "examples", "bench", "tests"}) {
        if (!fs::exists(root / dir)) continue;
        for (const auto& entry : fs::recursive_directory_iterator(root / dir)) {
            const auto ext = entry.path().extension();
            if (!entry.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) continue;
            if (entry.path().filename() == "coroutine_arguments_test.cpp") continue;
            if (entry.path().string().find("node_modules") != std::string::npos) continue;
            ++files;
            for (const auto& f : conditional_awaits(read_file(entry.path()))) {
                report += entry.path().lexically_relative(root).string() + ":" +
                          std::to_string(f.line) + ":" + f.statement + "\n";
            }
        }
    }
    CHECK(files > 100);
    INFO("build the value into a named local before the statement that awaits:\n" << report);
    CHECK(report.empty());
}
