// Conversion throughput for every direction (upstream format → client format), streamed and not,
// over the recorded upstream bodies in tests/golden/, next to a baseline measured in the same
// run on the same bytes: Boost.JSON parsing and re-serializing every JSON document (each SSE
// event's data, or the whole body) — the least a converter that reads JSON must do.
//
//   bench_convert [GOLDEN_DIR] [MIN_SECONDS_PER_CELL] [ONLY]   (defaults: tests/golden, 0.2)
//
// ONLY keeps the rows whose "mode upstream client" contains it, e.g. "body anthropic_messages
// openai_responses", for profiling one direction (valgrind --tool=callgrind).
//
// Prints one row per direction: MB/s and events/s of the conversion, the baseline's MB/s, their
// ratio (target ≥ 0.5, issue 3), and heap allocations per event (counted by a global operator
// new hook in this binary). Figures vary by machine; ratios less so.

#include <gateway/core/api_format.hpp>
#include <gateway/ingress/codec.hpp>
#include <gateway/stream/sse_parser.hpp>
#include <gateway/upstream/codec.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#ifndef GATEWAY_GOLDEN_DIR
#define GATEWAY_GOLDEN_DIR "tests/golden"
#endif

namespace {

std::atomic<std::size_t> allocations{0};

}  // namespace

// Counting allocator hook: every operator new in this process goes through here.
void* operator new(std::size_t n) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

namespace fs = std::filesystem;
using gateway::api_format;
using gateway::upstream::upstream_format;
using clock_type = std::chrono::steady_clock;

struct sample {
    std::string name;  // <format>/<case>
    std::string bytes;
    std::size_t events = 0;  // SSE events (streams) or 1 (bodies)
};

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::size_t count_events(const std::string& sse) {
    gateway::stream::sse_parser parser;
    std::size_t n = 0;
    (void)parser.feed(sse, [&](const gateway::stream::sse_event&) { ++n; });
    return n;
}

/// Every upstream.sse / upstream.json under golden/<format>/.
std::vector<sample> load(const fs::path& golden, std::string_view format, bool stream) {
    std::vector<sample> out;
    const fs::path dir = golden / std::string(format);
    if (!fs::exists(dir)) return out;
    std::vector<fs::path> cases;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.is_directory()) cases.push_back(e.path());
    }
    std::sort(cases.begin(), cases.end());
    for (const auto& c : cases) {
        const fs::path file = c / (stream ? "upstream.sse" : "upstream.json");
        if (!fs::exists(file)) continue;
        sample s{std::string(format) + "/" + c.filename().string(), read_file(file), 1};
        if (stream) s.events = count_events(s.bytes);
        out.push_back(std::move(s));
    }
    return out;
}

struct measurement {
    double seconds = 0;
    std::size_t rounds = 0;
    std::size_t allocations = 0;
};

template <class Work>
measurement run(double min_seconds, Work&& work) {
    work();  // warm-up: buffers reach their steady size
    measurement m;
    const std::size_t before = allocations.load();
    const auto t0 = clock_type::now();
    do {
        for (int i = 0; i < 8; ++i) work();
        m.rounds += 8;
        m.seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
    } while (m.seconds < min_seconds);
    m.allocations = allocations.load() - before;
    return m;
}

// Baseline: parse and re-serialize every JSON document in the bytes.
void parse_and_serialize(const sample& s, bool stream, std::size_t& sink) {
    if (!stream) {
        boost::system::error_code ec;
        auto v = boost::json::parse(s.bytes, ec);
        sink += boost::json::serialize(v).size();
        return;
    }
    gateway::stream::sse_parser parser;
    (void)parser.feed(s.bytes, [&](const gateway::stream::sse_event& e) {
        boost::system::error_code ec;
        auto v = boost::json::parse(e.data, ec);
        if (!ec) sink += boost::json::serialize(v).size();
    });
}

constexpr std::size_t socket_read = 4096;

/// Allocations made while a stream's decoder and encoder are set up (once per stream, not per
/// event), so the per-event figure shows the steady state.
std::size_t setup_allocations = 0;

void convert_stream(const sample& s, upstream_format from, api_format to, std::size_t& sink) {
    const std::size_t before = allocations.load(std::memory_order_relaxed);
    auto decoder = gateway::upstream::make_stream_decoder(from);
    gateway::ingress::encode_options options;
    options.model = "client-model";
    auto encoder = gateway::ingress::make_stream_encoder(to, options);
    setup_allocations += allocations.load(std::memory_order_relaxed) - before;
    std::string_view rest = s.bytes;
    while (!rest.empty()) {
        const auto piece = rest.substr(0, std::min(rest.size(), socket_read));
        rest.remove_prefix(piece.size());
        (void)decoder->feed(piece, *encoder);
        sink += encoder->output().size();
        encoder->output().clear();
    }
    (void)decoder->finish(*encoder);
    sink += encoder->output().size();
}

void convert_body(const sample& s, upstream_format from, api_format to, std::size_t& sink) {
    gateway::conversion_report report;
    auto decoded = gateway::upstream::decode_response(from, s.bytes, nullptr, report);
    if (!decoded) return;
    gateway::ingress::encode_options options;
    options.model = "client-model";
    sink += gateway::ingress::encode_response(to, *decoded, options).size();
}

}  // namespace

int main(int argc, char** argv) {
    const fs::path golden = argc > 1 ? argv[1] : GATEWAY_GOLDEN_DIR;
    const double min_seconds = argc > 2 ? std::atof(argv[2]) : 0.2;
    const std::string only = argc > 3 ? argv[3] : "";
    const auto wanted = [&](bool stream, upstream_format from, api_format to) {
        const std::string row = std::string(stream ? "stream " : "body ") +
                                std::string(gateway::upstream::to_string(from)) + " " +
                                std::string(gateway::to_string(to));
        return only.empty() || row.find(only) != std::string::npos;
    };
    constexpr std::array upstreams{upstream_format::openai_chat, upstream_format::openai_responses,
                                   upstream_format::anthropic_messages, upstream_format::gemini};
    constexpr std::array clients{api_format::openai_chat, api_format::openai_responses,
                                 api_format::anthropic_messages};

    std::printf("%-7s %-19s %-19s %9s %11s %9s %6s %10s %12s\n", "mode", "upstream", "client",
                "conv MB/s", "events/s", "base MB/s", "ratio", "allocs/ev", "setup/stream");
    std::size_t sink = 0;
    for (const bool stream : {true, false}) {
        for (const auto from : upstreams) {
            if (std::none_of(clients.begin(), clients.end(),
                             [&](api_format to) { return wanted(stream, from, to); })) {
                continue;
            }
            const auto samples = load(golden, gateway::upstream::to_string(from), stream);
            if (samples.empty()) continue;
            std::size_t bytes = 0;
            std::size_t events = 0;
            for (const auto& s : samples) {
                bytes += s.bytes.size();
                events += s.events;
            }
            const auto base = run(min_seconds, [&] {
                for (const auto& s : samples) parse_and_serialize(s, stream, sink);
            });
            const double base_mbs = static_cast<double>(bytes * base.rounds) / base.seconds / 1e6;
            for (const auto to : clients) {
                if (!wanted(stream, from, to)) continue;
                setup_allocations = 0;
                std::size_t streams = 0;
                const auto conv = run(min_seconds, [&] {
                    streams += samples.size();
                    for (const auto& s : samples) {
                        if (stream) {
                            convert_stream(s, from, to, sink);
                        } else {
                            convert_body(s, from, to, sink);
                        }
                    }
                });
                const double mbs = static_cast<double>(bytes * conv.rounds) / conv.seconds / 1e6;
                const double eps = static_cast<double>(events * conv.rounds) / conv.seconds;
                // `run` counts from after its warm-up round; setup_allocations from before it.
                const std::size_t warm_streams = samples.size();
                const double setup_per_stream =
                    stream ? static_cast<double>(setup_allocations) / static_cast<double>(streams)
                           : 0.0;
                const double steady =
                    static_cast<double>(conv.allocations) -
                    setup_per_stream * static_cast<double>(streams - warm_streams);
                const double per_event = steady / static_cast<double>(events * conv.rounds);
                std::printf("%-7s %-19s %-19s %9.1f %11.0f %9.1f %6.2f %10.2f %12.1f\n",
                            stream ? "stream" : "body",
                            std::string(gateway::upstream::to_string(from)).c_str(),
                            std::string(gateway::to_string(to)).c_str(), mbs, eps, base_mbs,
                            mbs / base_mbs, per_event, setup_per_stream);
            }
        }
    }
    std::fprintf(stderr, "(%zu bytes written)\n", sink);
    return 0;
}
