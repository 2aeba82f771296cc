#include "support/fixtures.hpp"

#include <fstream>
#include <iterator>
#include <stdexcept>

namespace gateway::test {

std::string read_fixture(std::string_view relative_path) {
    std::string path = GATEWAY_FIXTURES_DIR "/";
    path += relative_path;
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("fixture not found: " + path);
    std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad()) throw std::runtime_error("cannot read fixture: " + path);
    return bytes;
}

std::vector<std::string> split_sse_events(std::string_view body) {
    // Lines end with CRLF, LF or CR (WHATWG); an event ends after an empty line.
    std::vector<std::string> events;
    std::size_t event_start = 0;
    std::size_t line_start = 0;
    std::size_t i = 0;
    while (i < body.size()) {
        const char c = body[i];
        if (c != '\r' && c != '\n') {
            ++i;
            continue;
        }
        const bool blank = i == line_start;
        i += (c == '\r' && i + 1 < body.size() && body[i + 1] == '\n') ? 2U : 1U;
        line_start = i;
        if (blank) {
            events.emplace_back(body.substr(event_start, i - event_start));
            event_start = i;
        }
    }
    if (event_start < body.size()) events.emplace_back(body.substr(event_start));
    return events;
}

std::vector<std::string_view> split_aws_event_stream(std::string_view body) {
    std::vector<std::string_view> messages;
    while (!body.empty()) {
        std::size_t total = 0;
        for (std::size_t i = 0; i < 4 && i < body.size(); ++i) {
            total = (total << 8U) | static_cast<unsigned char>(body[i]);
        }
        // A length below the 16 bytes of framing cannot be a message: the rest is one piece.
        const std::size_t n = total < 16 || total > body.size() ? body.size() : total;
        messages.push_back(body.substr(0, n));
        body.remove_prefix(n);
    }
    return messages;
}

std::size_t count_occurrences(std::string_view haystack, std::string_view needle) {
    std::size_t count = 0;
    for (auto pos = haystack.find(needle); pos != std::string_view::npos;
         pos = haystack.find(needle, pos + needle.size())) {
        ++count;
    }
    return count;
}

std::vector<std::pair<std::string, std::string>> sse_events(const std::string& body) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& raw : split_sse_events(body)) {
        std::string event;
        std::string data;
        std::size_t at = 0;
        while (at < raw.size()) {
            std::size_t end = raw.find('\n', at);
            if (end == std::string::npos) end = raw.size();
            std::string line = raw.substr(at, end - at);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.starts_with("event: ")) event = line.substr(7);
            if (line.starts_with("data: ")) data = line.substr(6);
            at = end + 1;
        }
        if (!data.empty()) out.emplace_back(event, data);
    }
    return out;
}

}  // namespace gateway::test
