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

}  // namespace gateway::test
