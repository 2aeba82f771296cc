// SSE parser throughput on a recorded OpenAI stream, against a baseline measured in the same
// run: a bare memchr scan for line ends over the same bytes (the least any parser must do).
//   bench_sse_parse [FIXTURE] [MiB]   (defaults: tests/fixtures/openai_chat/text-stream.sse, 64)
// Prints MB/s and events/s for both and their ratio; figures vary by machine, ratios less so.

#include <gateway/stream/sse_parser.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#ifndef GATEWAY_FIXTURES_DIR
#define GATEWAY_FIXTURES_DIR "tests/fixtures"
#endif

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
    std::string path = argc > 1 ? argv[1] : GATEWAY_FIXTURES_DIR "/openai_chat/text-stream.sse";
    std::size_t mib = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 64;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "cannot read %s\n", path.c_str());
        return 1;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string one = ss.str();
    std::string input;
    while (input.size() < mib * 1024 * 1024) input += one;
    constexpr std::size_t chunk = 4096;  // a typical socket read

    // Baseline: find every line end, nothing else.
    auto t0 = std::chrono::steady_clock::now();
    std::size_t lines = 0;
    for (std::size_t off = 0; off < input.size(); off += chunk) {
        const char* p = input.data() + off;
        const char* end = p + std::min(chunk, input.size() - off);
        while ((p = static_cast<const char*>(
                    std::memchr(p, '\n', static_cast<std::size_t>(end - p))))) {
            ++lines;
            ++p;
        }
    }
    double baseline_s = seconds_since(t0);

    gateway::stream::sse_parser parser;
    std::size_t events = 0;
    std::size_t data_bytes = 0;
    t0 = std::chrono::steady_clock::now();
    for (std::size_t off = 0; off < input.size(); off += chunk) {
        auto fed = parser.feed(std::string_view(input).substr(off, chunk),
                               [&](const gateway::stream::sse_event& e) {
                                   ++events;
                                   data_bytes += e.data.size();
                               });
        if (!fed) {
            std::fprintf(stderr, "parse error: %s\n", fed.error().message().c_str());
            return 1;
        }
    }
    parser.finish();
    double parse_s = seconds_since(t0);

    double mb = static_cast<double>(input.size()) / 1e6;
    std::printf("input: %s repeated to %.1f MB, %zu-byte chunks\n", path.c_str(), mb, chunk);
    std::printf("baseline memchr line scan: %8.1f MB/s  (%zu lines)\n", mb / baseline_s, lines);
    std::printf(
        "sse_parser:                %8.1f MB/s  %10.0f events/s  (%zu events, %zu data bytes)\n",
        mb / parse_s, static_cast<double>(events) / parse_s, events, data_bytes);
    std::printf("ratio parser/baseline:     %8.2f\n", baseline_s / parse_s);
    return 0;
}
