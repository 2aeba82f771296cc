// bench_e2e_probe: the measuring half of bench/e2e/run.sh (docs/performance.md).
//
//   bench_e2e_probe gen DIR PORT           upstream payloads, request bodies and the upstream
//                                          nginx configuration, all derived from tests/fixtures
//   bench_e2e_probe latency URL BODY N     N sequential requests on one keep-alive connection:
//                                          latency and time to first SSE event (p50/p99), events
//                                          per response; --save FILE keeps the last body
//   bench_e2e_probe hold URL BODY COUNT PID   COUNT concurrent streams held open; samples PID's
//                                          RSS while they run
//   bench_e2e_probe stall PORT PATH BODY PID SECONDS   sends a stream request and never
//                                          reads; samples PID's RSS
//   bench_e2e_probe cpu PID...             CPU time of the processes (every thread), in ns
//   bench_e2e_probe rss PID                current and peak RSS, in KiB
//
// Every request carries `Authorization: Bearer $BENCH_KEY` when BENCH_KEY is set. Output is one
// JSON object per line, for the script to read. Only 127.0.0.1 is ever contacted.

#include "gateway/http/client.hpp"

#include <fmt/core.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>

#include <dirent.h>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace net = boost::asio;
namespace json = boost::json;
using clock_type = std::chrono::steady_clock;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::string& path, std::string_view bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + path);
}

// --- gen: payloads modelled on the recorded fixtures -------------------------------------------

/// An SSE body split into events, each with its terminating blank line.
std::vector<std::string> split_events(std::string_view body) {
    std::vector<std::string> out;
    std::size_t at = 0;
    while (at < body.size()) {
        std::size_t end = body.find("\n\n", at);
        if (end == std::string_view::npos)
            end = body.size();
        else
            end += 2;
        out.emplace_back(body.substr(at, end - at));
        at = end;
    }
    return out;
}

std::string json_literal(std::string_view text) { return json::serialize(json::string(text)); }

/// Replaces every occurrence of `from` in `text` by `to`.
std::string replace_all(std::string text, std::string_view from, std::string_view to) {
    for (std::size_t at = text.find(from); at != std::string::npos;
         at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
    }
    return text;
}

/// The first string member named `key`, depth first.
const json::string* find_string_member(const json::value& v, std::string_view key) {
    if (const json::object* o = v.if_object()) {
        for (const auto& member : *o) {
            if (member.key() == key && member.value().is_string()) {
                return &member.value().get_string();
            }
            if (const json::string* found = find_string_member(member.value(), key)) return found;
        }
    } else if (const json::array* a = v.if_array()) {
        for (const json::value& item : *a) {
            if (const json::string* found = find_string_member(item, key)) return found;
        }
    }
    return nullptr;
}

/// The fixture stream grown to `total` events: its text deltas (events containing `marker`) are
/// replaced by as many deltas as needed, one word each; the full text and the model are replaced
/// everywhere else so the stream stays self-consistent. `text_key` names a delta's text member.
std::string grow_stream(std::string_view fixture, std::string_view marker, std::size_t total,
                        std::string_view old_model, std::string_view new_model,
                        std::string_view text_key) {
    const std::vector<std::string> events = split_events(fixture);
    std::vector<std::string> before;
    std::vector<std::string> after;
    std::string delta_template;
    std::string old_text;
    for (const std::string& e : events) {
        if (e.find(marker) == std::string::npos) {
            (delta_template.empty() ? before : after).push_back(e);
            continue;
        }
        const std::size_t data = e.find("data: ");
        const json::value v = json::parse(std::string_view(e).substr(data + 6));
        const json::string* text = find_string_member(v, text_key);
        if (text == nullptr) throw std::runtime_error("a delta event without its text");
        old_text += *text;
        if (delta_template.empty()) delta_template = replace_all(e, json_literal(*text), "@TEXT@");
    }
    if (delta_template.empty()) throw std::runtime_error("no delta event in the fixture");
    const std::size_t deltas = total - before.size() - after.size();
    std::string new_text;
    std::string out;
    for (const std::string& e : before) out += e;
    for (std::size_t i = 0; i < deltas; ++i) {
        const std::string piece = fmt::format(" word{}", i);
        new_text += piece;
        out += replace_all(delta_template, "@TEXT@", json_literal(piece));
    }
    std::string tail;
    for (const std::string& e : after) tail += e;
    out += replace_all(tail, json_literal(old_text), json_literal(new_text));
    return replace_all(out, json_literal(old_model), json_literal(new_model));
}

/// Renumbers Responses' `"sequence_number":N` members in order.
std::string renumber(std::string body) {
    constexpr std::string_view key = "\"sequence_number\":";
    std::size_t n = 0;
    for (std::size_t at = body.find(key); at != std::string::npos; at = body.find(key, at + 1)) {
        const std::size_t digits = at + key.size();
        std::size_t end = digits;
        while (end < body.size() && body[end] >= '0' && body[end] <= '9') ++end;
        body.replace(digits, end - digits, std::to_string(n++));
    }
    return body;
}

/// A string as a single-quoted nginx configuration token.
std::string nginx_quote(std::string_view text) {
    // nginx reads a configuration token into a 4 KiB buffer.
    if (text.size() > 3500) throw std::runtime_error("an upstream payload is too long for nginx");
    std::string out = "'";
    for (char c : text) {
        if (c == '\\' || c == '\'') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out + "'";
}

/// An nginx location that answers POST with `events`, each flushed separately, `pace_ms`
/// apart (0: back to back).
std::string stream_location(std::string_view path, const std::vector<std::string>& events,
                            int pace_ms) {
    std::string out = fmt::format("        location = {} {{\n", path);
    out += "            default_type text/event-stream;\n";
    for (const std::string& e : events) {
        if (pace_ms > 0) out += fmt::format("            echo_sleep {:.3f};\n", pace_ms / 1000.0);
        out += "            echo -n " + nginx_quote(e) + ";\n            echo_flush;\n";
    }
    return out + "        }\n";
}

std::string json_location(std::string_view path, std::string_view body) {
    return fmt::format(
        "        location = {} {{\n            default_type application/json;\n"
        "            echo -n {};\n        }}\n",
        path, nginx_quote(body));
}

int gen(const std::string& dir, const std::string& port) {
    const std::string fixtures = GATEWAY_FIXTURES_DIR;
    const std::string golden = GATEWAY_GOLDEN_DIR;
    constexpr std::size_t events = 54;
    // Chat: role chunk, 50 content deltas, finish, usage chunk, [DONE].
    const std::string chat_sse =
        grow_stream(read_file(fixtures + "/openai_chat/text-stream.sse"), "\"delta\":{\"content\"",
                    events, "gpt-4o-2024-08-06", "bench-sse", "content");
    // Messages: message_start, block start, ping, 48 text deltas, block stop, delta, stop.
    const std::string claude_sse =
        grow_stream(read_file(fixtures + "/anthropic_messages/text-stream.sse"), "\"text_delta\"",
                    events, "claude-sonnet-4-5-20250929", "claude-sse", "text");
    // Responses: created, in_progress, item/part added, 46 text deltas, the four done events.
    const std::string responses_sse = renumber(
        grow_stream(read_file(golden + "/openai_responses/text-stream/upstream.sse"),
                    "output_text.delta", events, "gpt-5.5-2026-04-23", "resp-sse", "delta"));
    for (const auto& [name, body] : {std::pair{"chat", &chat_sse}, std::pair{"claude", &claude_sse},
                                     std::pair{"responses", &responses_sse}}) {
        const std::size_t n = split_events(*body).size();
        if (n != events) throw std::runtime_error(fmt::format("{} stream has {} events", name, n));
        write_file(fmt::format("{}/{}.sse", dir, name), *body);
    }
    const std::string chat_json = replace_all(read_file(fixtures + "/openai_chat/text.json"),
                                              "\"gpt-4.1-nano-2025-04-14\"", "\"bench-json\"");
    const std::string claude_json =
        read_file(golden + "/anthropic_messages/response-text/upstream.json");
    const std::string responses_json =
        read_file(golden + "/openai_responses/response-cache-read/upstream.json");
    write_file(dir + "/chat.json", chat_json);

    // A long paced stream for the many-streams test: 300 chunks 20 ms apart (6 s).
    std::vector<std::string> long_events = split_events(chat_sse);
    const std::string delta = long_events[5];
    long_events.insert(long_events.begin() + 5, 300 - long_events.size(), delta);

    std::string conf = fmt::format(R"(# Generated by bench_e2e_probe gen: the upstream of bench/e2e.
load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;
worker_processes 1;
pid {0}/upstream.pid;
error_log {0}/upstream-error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {0}/tmp;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    server {{
        listen 127.0.0.1:{1} reuseport backlog=4096;
        tcp_nodelay on;
)",
                                   dir, port);
    conf += json_location("/json/v1/chat/completions", chat_json);
    conf += json_location("/anthropic-json/v1/messages", claude_json);
    conf += json_location("/responses-json/v1/responses", responses_json);
    conf += stream_location("/sse/v1/chat/completions", split_events(chat_sse), 0);
    conf += stream_location("/anthropic-sse/v1/messages", split_events(claude_sse), 0);
    conf += stream_location("/responses-sse/v1/responses", split_events(responses_sse), 0);
    conf += stream_location("/paced/v1/chat/completions",
                            split_events(replace_all(chat_sse, "\"bench-sse\"", "\"bench-paced\"")),
                            10);
    conf += stream_location("/long/v1/chat/completions",
                            split_events(replace_all(
                                [&] {
                                    std::string s;
                                    for (const auto& e : long_events) s += e;
                                    return s;
                                }(),
                                "\"bench-sse\"", "\"bench-long\"")),
                            20);
    // A stream far larger than any buffer, for the client that never reads: 64 MiB.
    const std::string huge_delta = replace_all(delta, "\"bench-sse\"", "\"bench-huge\"");
    std::string huge;
    huge.reserve(64U * 1024 * 1024 + huge_delta.size());
    while (huge.size() < 64U * 1024 * 1024) huge += huge_delta;
    write_file(dir + "/huge.sse", huge);
    conf += fmt::format(
        "        location = /huge/v1/chat/completions {{\n            echo_subrequest GET "
        "/static/huge.sse;\n        }}\n        location /static/ {{\n            alias {}/;\n"
        "            default_type text/event-stream;\n        }}\n",
        dir);
    conf += "    }\n}\n";
    write_file(dir + "/upstream.conf", conf);

    // Client requests, as SDKs send them.
    const auto chat_body = [](std::string_view model, bool stream) {
        return fmt::format(
            R"({{"model":"{}","messages":[{{"role":"system","content":"Be brief."}},{{"role":"user","content":"What is the capital of France?"}}],"max_tokens":256{}}})",
            model, stream ? R"(,"stream":true,"stream_options":{"include_usage":true})" : "");
    };
    const auto claude_body = [](std::string_view model, bool stream) {
        return fmt::format(
            R"({{"model":"{}","max_tokens":256,"system":"Be brief.","messages":[{{"role":"user","content":"What is the capital of France?"}}]{}}})",
            model, stream ? R"(,"stream":true)" : "");
    };
    const auto responses_body = [](std::string_view model, bool stream) {
        return fmt::format(
            R"({{"model":"{}","instructions":"Be brief.","input":"What is the capital of France?","max_output_tokens":256{}}})",
            model, stream ? R"(,"stream":true)" : "");
    };
    for (const auto& [file, body] : std::vector<std::pair<std::string, std::string>>{
             {"req-chat-json", chat_body("bench-json", false)},
             {"req-chat-sse", chat_body("bench-sse", true)},
             {"req-chat-paced", chat_body("bench-paced", true)},
             {"req-chat-long", chat_body("bench-long", true)},
             {"req-chat-huge", chat_body("bench-huge", true)},
             {"req-chat-to-claude-json", chat_body("claude-json", false)},
             {"req-chat-to-claude-sse", chat_body("claude-sse", true)},
             {"req-claude-to-chat-json", claude_body("bench-json", false)},
             {"req-claude-to-chat-sse", claude_body("bench-sse", true)},
             {"req-claude-json", claude_body("claude-json", false)},
             {"req-claude-sse", claude_body("claude-sse", true)},
             {"req-responses-json", responses_body("resp-json", false)},
             {"req-responses-sse", responses_body("resp-sse", true)},
         }) {
        write_file(fmt::format("{}/{}.json", dir, file), body);
    }
    return 0;
}

// --- process accounting --------------------------------------------------------------------------

/// CPU time of every thread of `pid` (the first field of /proc/PID/task/TID/schedstat), in ns.
std::uint64_t cpu_ns(const std::string& pid) {
    const std::string tasks = "/proc/" + pid + "/task";
    DIR* d = opendir(tasks.c_str());
    if (d == nullptr) throw std::runtime_error("no process " + pid);
    std::uint64_t total = 0;
    while (const dirent* e = readdir(d)) {
        if (e->d_name[0] == '.') continue;
        std::ifstream in(tasks + "/" + e->d_name + "/schedstat");
        std::uint64_t ns = 0;
        if (in >> ns) total += ns;
    }
    closedir(d);
    return total;
}

struct rss_kib {
    long current = 0;
    long peak = 0;
};

rss_kib rss(const std::string& pid) {
    std::ifstream in("/proc/" + pid + "/status");
    rss_kib out;
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with("VmRSS:")) out.current = std::atol(line.c_str() + 6);
        if (line.starts_with("VmHWM:")) out.peak = std::atol(line.c_str() + 6);
    }
    return out;
}

// --- requests ------------------------------------------------------------------------------------

gateway::http::request make_request(const std::string& url, const std::string& body) {
    gateway::http::request req;
    req.url = url;
    req.body = body;
    req.headers.set(boost::beast::http::field::content_type, "application/json");
    req.headers.set(boost::beast::http::field::accept_encoding, "identity");
    if (const char* key = std::getenv("BENCH_KEY")) {
        req.headers.set(boost::beast::http::field::authorization, std::string("Bearer ") + key);
        req.headers.set("anthropic-version", "2023-06-01");
    }
    return req;
}

struct one_response {
    bool ok = false;
    unsigned status = 0;
    double total_us = 0;
    double first_event_us = -1;  ///< -1: no event (a JSON body)
    std::size_t events = 0;
    std::string body;
};

/// Sends one request and reads the response piece by piece, timing the first complete SSE event.
net::awaitable<one_response> exchange_once(gateway::http::client& c, const std::string& url,
                                           const std::string& body, bool keep_body) {
    one_response r;
    const auto start = clock_type::now();
    auto ex = co_await c.async_open(make_request(url, body));
    if (!ex) co_return r;
    r.status = (*ex)->status();
    // Events end with a blank line; count "\n\n" also across piece boundaries.
    char last = 0;
    for (;;) {
        auto piece = co_await (*ex)->async_read_some();
        if (!piece) co_return r;
        if (piece->empty()) break;
        for (char ch : *piece) {
            if (ch == '\n' && last == '\n') {
                if (r.events++ == 0) {
                    r.first_event_us =
                        std::chrono::duration<double, std::micro>(clock_type::now() - start)
                            .count();
                }
                last = 0;
                continue;
            }
            last = ch;
        }
        if (keep_body) r.body.append(*piece);
    }
    r.total_us = std::chrono::duration<double, std::micro>(clock_type::now() - start).count();
    r.ok = r.status == 200;
    co_return r;
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return -1;
    std::sort(v.begin(), v.end());
    const auto at = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[at];
}

gateway::http::client_options probe_options() {
    gateway::http::client_options o;
    o.request_gzip = false;
    o.max_idle_connections_per_host = 4096;
    o.default_timeouts.first_byte = std::chrono::seconds(60);
    o.default_timeouts.idle = std::chrono::seconds(60);
    o.max_body_bytes = 256U * 1024 * 1024;
    return o;
}

int latency(const std::string& url, const std::string& body_file, int n, const std::string& save) {
    net::io_context ioc;
    gateway::http::client c(ioc.get_executor(), probe_options());
    const std::string body = read_file(body_file);
    std::vector<double> totals;
    std::vector<double> firsts;
    std::size_t events = 0;
    std::size_t failures = 0;
    std::string last_body;
    net::co_spawn(
        ioc,
        [&]() -> net::awaitable<void> {
            // Warm-up: connections, caches, the upstream pool of the relay.
            for (int i = 0; i < 20; ++i) co_await exchange_once(c, url, body, false);
            for (int i = 0; i < n; ++i) {
                auto r = co_await exchange_once(c, url, body, i == n - 1);
                if (!r.ok) {
                    ++failures;
                    continue;
                }
                totals.push_back(r.total_us);
                if (r.first_event_us >= 0) firsts.push_back(r.first_event_us);
                events = r.events;
                if (i == n - 1) last_body = std::move(r.body);
            }
        },
        net::detached);
    ioc.run();
    if (!save.empty()) write_file(save, last_body);
    fmt::print(
        R"({{"requests":{},"failures":{},"p50_us":{:.1f},"p99_us":{:.1f},"first_event_p50_us":{:.1f},"first_event_p99_us":{:.1f},"events":{},"connections":{}}})"
        "\n",
        totals.size(), failures, percentile(totals, 0.5), percentile(totals, 0.99),
        percentile(firsts, 0.5), percentile(firsts, 0.99), events, c.connections_opened());
    return failures == 0 ? 0 : 1;
}

/// Samples `pid`'s RSS every 10 ms until `done`, keeping the largest value.
net::awaitable<void> sample_rss(const std::string& pid, const bool& done, long& peak) {
    net::steady_timer timer(co_await net::this_coro::executor);
    while (!done) {
        peak = std::max(peak, rss(pid).current);
        timer.expires_after(std::chrono::milliseconds(10));
        co_await timer.async_wait(net::use_awaitable);
    }
}

int hold(const std::string& url, const std::string& body_file, int count, const std::string& pid) {
    net::io_context ioc;
    gateway::http::client c(ioc.get_executor(), probe_options());
    const std::string body = read_file(body_file);
    const long before = rss(pid).current;
    long peak = before;
    int finished = 0;
    int complete = 0;
    std::size_t events = 0;
    bool done = false;
    const auto start = clock_type::now();
    for (int i = 0; i < count; ++i) {
        net::co_spawn(
            ioc,
            [&]() -> net::awaitable<void> {
                auto r = co_await exchange_once(c, url, body, false);
                if (r.ok) ++complete;
                events += r.events;
                if (++finished == count) done = true;
            },
            net::detached);
    }
    net::co_spawn(ioc, sample_rss(pid, done, peak), net::detached);
    ioc.run();
    const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    fmt::print(
        R"({{"streams":{},"complete":{},"events":{},"seconds":{:.2f},"rss_before_kib":{},"rss_peak_kib":{},"per_stream_kib":{:.1f}}})"
        "\n",
        count, complete, events, seconds, before, peak, static_cast<double>(peak - before) / count);
    return complete == count ? 0 : 1;
}

int stall(const std::string& port, const std::string& path, const std::string& body_file,
          const std::string& pid, int seconds) {
    net::io_context ioc;
    net::ip::tcp::socket s(ioc);
    s.connect({net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(std::stoi(port))});
    // A small receive buffer: the client is slow, not the kernel generous.
    s.set_option(net::socket_base::receive_buffer_size(4096));
    const std::string body = read_file(body_file);
    std::string req = fmt::format(
        "POST {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\n"
        "Content-Length: {}\r\n",
        path, port, body.size());
    if (const char* key = std::getenv("BENCH_KEY")) {
        req += fmt::format("Authorization: Bearer {}\r\n", key);
    }
    req += "\r\n" + body;
    net::write(s, net::buffer(req));
    const long before = rss(pid).current;
    long peak = before;
    std::vector<long> samples;
    for (int i = 0; i < seconds * 10; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        const long now = rss(pid).current;
        peak = std::max(peak, now);
        samples.push_back(now);
    }
    const long last = samples.empty() ? before : samples.back();
    const long mid = samples.empty() ? before : samples[samples.size() / 2];
    fmt::print(
        R"({{"seconds":{},"rss_before_kib":{},"rss_mid_kib":{},"rss_end_kib":{},"rss_peak_kib":{},"growth_kib":{}}})"
        "\n",
        seconds, before, mid, last, peak, peak - before);
    return 0;
}

}  // namespace

int main(int argc, char** argv) try {
    const std::vector<std::string> a(argv + 1, argv + argc);
    auto usage = [] {
        std::fputs("usage: see the comment at the top of bench/e2e/probe.cpp\n", stderr);
        return 2;
    };
    if (a.empty()) return usage();
    const std::string& mode = a[0];
    if (mode == "gen" && a.size() == 3) return gen(a[1], a[2]);
    if (mode == "latency" && (a.size() == 4 || (a.size() == 6 && a[4] == "--save"))) {
        return latency(a[1], a[2], std::stoi(a[3]), a.size() == 6 ? a[5] : std::string());
    }
    if (mode == "hold" && a.size() == 5) return hold(a[1], a[2], std::stoi(a[3]), a[4]);
    if (mode == "stall" && a.size() == 6) return stall(a[1], a[2], a[3], a[4], std::stoi(a[5]));
    if (mode == "cpu" && a.size() >= 2) {
        std::uint64_t total = 0;
        for (std::size_t i = 1; i < a.size(); ++i) total += cpu_ns(a[i]);
        fmt::print("{}\n", total);
        return 0;
    }
    if (mode == "rss" && a.size() == 2) {
        const rss_kib r = rss(a[1]);
        fmt::print(R"({{"rss_kib":{},"peak_kib":{}}})"
                   "\n",
                   r.current, r.peak);
        return 0;
    }
    return usage();
} catch (const std::exception& e) {
    std::fprintf(stderr, "bench_e2e_probe: %s\n", e.what());
    return 1;
}
