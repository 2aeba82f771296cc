// Performance guards of the relay, in-process over real sockets on 127.0.0.1
// (docs/performance.md, "Guards in the test suite"):
//
// - heap allocations per SSE event on the server's I/O thread, pass-through and conversions,
//   compared with a bare handler that moves the same upstream pieces through the same HTTP
//   client and front end without looking at them (the I/O stack's own cost: under
//   AddressSanitizer, which sees every malloc, Asio's recycling allocator misses cost about 4
//   allocations per event that are not the relay's);
// - a client that stops reading holds no more heap than the stream's configured buffers while a
//   fast upstream keeps pushing, and is dropped after `write_timeout`, the request logged once;
// - a body the official schema refuses never reaches the upstream, pass-through included.

#include "support/alloc_hook.hpp"
#include "support/fake_upstream.hpp"
#include "support/fixtures.hpp"
#include "support/golden.hpp"
#include "support/test_client.hpp"

#include <gateway/auth/token_table.hpp>
#include <gateway/http/client.hpp>
#include <gateway/routing/router.hpp>
#include <gateway/server/http_server.hpp>
#include <gateway/server/io_pool.hpp>
#include <gateway/server/relay_service.hpp>
#include <gateway/storage/log_writer.hpp>
#include <gateway/storage/store.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <future>
#include <thread>

using namespace gateway;
using namespace gateway::test;
using namespace std::chrono_literals;
namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr const char* relay_key = "sk-relay-guards-test-key-0001";

std::shared_ptr<const auth::token_table> one_token(std::int64_t id = 1) {
    storage::token_record t;
    t.id = id;
    t.name = "guards";
    t.key_hash = storage::hash_key(relay_key);
    return std::make_shared<const auth::token_table>(std::vector<storage::token_record>{t});
}

std::shared_ptr<const routing::router> channels(const std::string& base_url) {
    storage::channel_record openai;
    openai.id = 1;
    openai.name = "openai";
    openai.type = "openai";
    openai.base_url = base_url;
    openai.keys = {"sk-upstream"};
    openai.models = {"gpt-4o"};
    storage::channel_record anthropic = openai;
    anthropic.id = 2;
    anthropic.name = "anthropic";
    anthropic.type = "anthropic";
    anthropic.models = {"claude-x"};
    return std::make_shared<const routing::router>(
        std::vector<storage::channel_record>{openai, anthropic});
}

/// A relay of `router` on one I/O thread, listening on a free port until destroyed.
struct relay_server {
    server::io_pool pool{1};
    server::relay_service relay;
    server::http_server server;

    explicit relay_server(std::shared_ptr<const routing::router> router)
        : relay(pool, one_token(), std::move(router), nullptr),
          server(
              pool,
              [] {
                  server::server_options o;
                  o.port = 0;
                  return o;
              }(),
              relay.handler()) {
        REQUIRE(server.listen());
        pool.run();
    }
    ~relay_server() {
        server.shutdown(2s);
        pool.stop();
        pool.join();
    }
    std::uint16_t port() const { return server.port(); }
};

// --- (b) allocations per event -------------------------------------------------------------

// OpenAI answers with the dated model name, so pass-through rewrites every chunk's model.
std::vector<std::string> chat_events(int deltas) {
    const std::string head =
        R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,)"
        R"("model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":)";
    std::vector<std::string> events;
    events.push_back(head + R"({"role":"assistant","content":""},"finish_reason":null}]})" +
                     "\n\n");
    for (int i = 0; i < deltas; ++i) {
        events.push_back(head + R"({"content":"token )" + std::to_string(i % 10) +
                         R"("},"finish_reason":null}]})" + "\n\n");
    }
    events.push_back(head + R"({},"finish_reason":"stop"}]})" + "\n\n");
    events.push_back(R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,)"
                     R"("model":"gpt-4o-2024-08-06","choices":[],"usage":{"prompt_tokens":9,)"
                     R"("completion_tokens":)" +
                     std::to_string(deltas) + R"(,"total_tokens":)" + std::to_string(deltas + 9) +
                     "}}\n\n");
    events.emplace_back("data: [DONE]\n\n");
    return events;
}

std::vector<std::string> messages_events(int deltas) {
    std::vector<std::string> events;
    events.emplace_back(
        "event: message_start\ndata: "
        R"({"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant",)"
        R"("model":"claude-x-20250101","content":[],"stop_reason":null,"stop_sequence":null,)"
        R"("usage":{"input_tokens":9,"output_tokens":1}}})"
        "\n\n");
    events.emplace_back(
        "event: content_block_start\ndata: "
        R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})"
        "\n\n");
    for (int i = 0; i < deltas; ++i) {
        events.push_back(
            "event: content_block_delta\ndata: "
            R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"token )" +
            std::to_string(i % 10) + "\"}}\n\n");
    }
    events.emplace_back(
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n");
    events.push_back(
        "event: message_delta\ndata: "
        R"({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},)"
        R"("usage":{"output_tokens":)" +
        std::to_string(deltas) + "}}\n\n");
    events.emplace_back("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
    return events;
}

// The requests say how many deltas they want in their first user message.
int deltas_asked(const recorded_request& r) {
    const auto at = r.body.find("deltas ");
    return at == std::string::npos ? 1 : std::stoi(r.body.substr(at + 7));
}

scripted_response paced(std::vector<std::string> events) {
    scripted_response s;
    s.headers = {{"content-type", "text/event-stream"}};
    s.chunks = std::move(events);
    // Every event flushed on its own and read on its own: one read and one write per event.
    s.delay_between_chunks = 1ms;
    return s;
}

/// The number of HTTP chunks (one per `request_context::write`) in the body of a raw chunked
/// response.
std::size_t count_chunks(std::string_view raw) {
    std::size_t chunks = 0;
    for (std::size_t at = raw.find("\r\n\r\n") + 4; at < raw.size();) {
        const auto eol = raw.find("\r\n", at);
        if (eol == std::string_view::npos) break;
        const auto size = std::stoul(std::string(raw.substr(at, eol - at)), nullptr, 16);
        if (size == 0) break;
        ++chunks;
        at = eol + 2 + size + 2;
    }
    return chunks;
}

/// The whole raw response to a POST with the relay key on a connection the server closes after it.
std::string post_closing(std::uint16_t port, std::string_view path, const std::string& body) {
    raw_connection conn{port};
    conn.send(
        raw_post(path, body,
                 "Authorization: Bearer " + std::string(relay_key) + "\r\nConnection: close\r\n"));
    return conn.read_to_end(10s);
}

struct direction {
    const char* name;
    const char* path;
    std::string (*body)(int deltas);
};

std::string chat_body(int deltas) {
    return R"({"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"deltas )" +
           std::to_string(deltas) + R"("}]})";
}
std::string messages_body(int deltas) {
    return R"({"model":"gpt-4o","max_tokens":64,"stream":true,"messages":[{"role":"user",)"
           R"("content":"deltas )" +
           std::to_string(deltas) + R"("}]})";
}
std::string responses_body(int deltas) {
    return R"({"model":"claude-x","stream":true,"max_output_tokens":64,"input":"deltas )" +
           std::to_string(deltas) + R"("})";
}

/// One server on a single I/O thread whose allocations are counted, serving either the relay
/// or the bare baseline handler.
struct counted_server {
    fake_upstream upstream{[](const recorded_request& r) {
        const int n = deltas_asked(r);
        return paced(r.target == "/v1/messages" ? messages_events(n) : chat_events(n));
    }};
    server::io_pool pool{1};
    server::relay_service relay{pool, one_token(), channels(upstream.base_url()), nullptr};
    http::client bare_client{pool.context(0).get_executor()};
    std::atomic<bool> bare{false};
    std::string bare_out;  // reused, so the baseline allocates only while it grows
    server::http_server server{pool,
                               [] {
                                   server::server_options o;
                                   o.port = 0;
                                   return o;
                               }(),
                               [this](server::request_context& ctx) {
                                   return bare ? bare_relay(ctx) : relay.handle(ctx);
                               }};

    counted_server() {
        REQUIRE(server.listen());
        pool.run();
        std::promise<void> on;
        net::post(pool.context(0), [&] {
            count_allocations_on_this_thread(true);
            on.set_value();
        });
        on.get_future().wait();
    }
    ~counted_server() {
        server.shutdown(2s);
        pool.stop();
        pool.join();
    }

    /// What any relay must do per socket read: take what the upstream sent, write it to the
    /// client in one write (as the relay does, so both count the same number of socket reads
    /// per write however the upstream's events happen to coalesce).
    net::awaitable<void> bare_relay(server::request_context& ctx) {
        http::request req;
        req.url = upstream.base_url() + std::string(ctx.path());
        req.body = ctx.request().body();
        req.headers.set(bhttp::field::content_type, "application/json");
        auto ex = co_await bare_client.async_open(std::move(req));
        if (!ex) co_return;
        co_await ctx.begin_stream(200, "text/event-stream");
        for (;;) {
            auto piece = co_await (*ex)->async_read_some();
            if (!piece || piece->empty()) break;
            bare_out.clear();
            for (std::string_view bytes = *piece; !bytes.empty(); bytes = (*ex)->read_buffered()) {
                bare_out.append(bytes);
            }
            if (co_await ctx.write(bare_out)) co_return;
        }
        co_await ctx.end_stream();
    }

    struct measured {
        std::uint64_t allocations = 0;
        std::size_t writes = 0;
    };

    /// One request on its own connection (closed by the server after the response), counted
    /// until the server has closed it, so every per-request cost is complete.
    measured run(const direction& d, int deltas) {
        const auto before = counted_allocations();
        const std::string raw = post_closing(server.port(), d.path, d.body(deltas));
        for (int i = 0; i < 500 && server.open_connections() > 0; ++i) {
            std::this_thread::sleep_for(2ms);
        }
        REQUIRE(server.open_connections() == 0);
        REQUIRE(raw.find("HTTP/1.1 200") == 0);
        REQUIRE(raw.find("\r\n0\r\n\r\n") != std::string::npos);
        return {counted_allocations() - before, count_chunks(raw)};
    }

    /// Allocations per written event in the steady state: the difference between a long and a
    /// short stream over the difference of their writes, so per-request costs cancel.
    double per_event(const direction& d, bool bare_handler) {
        bare = bare_handler;
        run(d, 8);  // warm-up: the upstream connection is pooled, Asio's caches are filled
        // On a loaded machine the gateway can find several of the 1 ms-apart events in one
        // socket read and write them together; the figure needs mostly separate writes, so a
        // run that coalesced too much is measured again.
        // A request also allocates now and then for work that is not its own (the worker's
        // deadline check is created again when a connection comes after the last one closed,
        // or arms a close watch): a run whose long stream counted fewer allocations than its
        // short one was disturbed that way and is measured again too.
        measured small;
        measured large;
        for (int attempt = 0; attempt < 5; ++attempt) {
            small = run(d, 40);
            large = run(d, 160);
            if (large.writes > small.writes + 100 && large.allocations >= small.allocations) {
                break;
            }
        }
        REQUIRE(large.writes > small.writes + 100);
        REQUIRE(large.allocations >= small.allocations);
        return static_cast<double>(large.allocations - small.allocations) /
               static_cast<double>(large.writes - small.writes);
    }
};

}  // namespace

TEST_CASE("the relay allocates nothing per SSE event beyond the I/O stack's own cost",
          "[server][perf]") {
    counted_server s;
    const direction directions[] = {
        {"pass-through openai_chat -> openai_chat", "/v1/chat/completions", &chat_body},
        {"conversion openai_chat -> anthropic_messages", "/v1/messages", &messages_body},
        {"conversion anthropic_messages -> openai_responses", "/v1/responses", &responses_body},
    };
    // The bare handler moves the same pieces through the same client and front end.
    const double baseline = s.per_event(directions[0], true);
    INFO("allocations per event of the bare read+write loop (I/O stack only): " << baseline);
    if (!counts_every_allocation()) CHECK(baseline < 0.05);  // operator new: none per event
    for (const auto& d : directions) {
        const double relay = s.per_event(d, false);
        INFO(d.name << ": allocations per event " << relay);
        // Geometric growth of buffers that keep the whole stream (Responses' final event
        // repeats the text) amortises to a few allocations per stream; one allocation per
        // event (a std::string, a JSON value, fmt::format) would be 1.
        CHECK(relay - baseline < 0.1);
    }
}

// --- (a) a stalled client ------------------------------------------------------------------

namespace {

/// An OpenAI-compatible upstream that streams as fast as the gateway reads: chunks of events
/// generated on the fly (one reused buffer), until `limit` bytes or a write fails.
class firehose_upstream {
  public:
    explicit firehose_upstream(std::size_t limit) : limit_(limit) {
        acceptor_.open(tcp::v4());
        acceptor_.bind({net::ip::make_address("127.0.0.1"), 0});
        acceptor_.listen();
        thread_ = std::thread([this] { serve(); });
    }
    ~firehose_upstream() {
        stop_ = true;
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        if (thread_.joinable()) thread_.join();
    }
    firehose_upstream(const firehose_upstream&) = delete;
    firehose_upstream& operator=(const firehose_upstream&) = delete;

    std::string base_url() const {
        return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
    }
    std::size_t sent() const noexcept { return sent_.load(); }
    bool write_failed() const noexcept { return write_failed_.load(); }

  private:
    void serve() {
        boost::system::error_code ec;
        tcp::socket socket{ioc_};
        acceptor_.accept(socket, ec);
        if (ec) return;
        std::string request;
        net::read_until(socket, net::dynamic_buffer(request), "\r\n\r\n", ec);
        if (ec) return;
        const std::string head =
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            "Transfer-Encoding: chunked\r\n\r\n";
        net::write(socket, net::buffer(head), ec);
        // One 16 KiB HTTP chunk of small events, written over and over.
        std::string events;
        const std::string event =
            R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,)"
            R"("model":"gpt-4o","choices":[{"index":0,"delta":{"content":"flood "},)"
            R"("finish_reason":null}]})"
            "\n\n";
        while (events.size() + event.size() <= 16 * 1024) events += event;
        std::string chunk = fmt_hex(events.size()) + "\r\n" + events + "\r\n";
        while (!ec && !stop_ && sent_ < limit_) {
            net::write(socket, net::buffer(chunk), ec);
            if (!ec) sent_ += events.size();
        }
        write_failed_ = static_cast<bool>(ec);
    }
    static std::string fmt_hex(std::size_t n) {
        char buf[32];
        const int len = std::snprintf(buf, sizeof buf, "%zx", n);
        return std::string(buf, static_cast<std::size_t>(len));
    }

    std::size_t limit_;
    net::io_context ioc_;
    tcp::acceptor acceptor_{ioc_};
    std::thread thread_;
    std::atomic<std::size_t> sent_{0};
    std::atomic<bool> write_failed_{false};
    std::atomic<bool> stop_{false};
};

}  // namespace

TEST_CASE("a stalled client holds no more heap than the stream's buffers and is dropped",
          "[server][perf]") {
    // If the relay did not wait for each client write, it would buffer everything the upstream
    // can send: up to 256 MiB here.
    firehose_upstream upstream{256u << 20};
    auto opened = storage::open_sqlite_store(":memory:");
    REQUIRE(opened.has_value());
    auto& store = **opened;
    storage::token_record t;
    t.name = "guards";
    t.key_hash = storage::hash_key(relay_key);
    auto token_id = store.upsert_token(t);
    REQUIRE(token_id.has_value());
    storage::log_writer logs{store};

    server::io_pool pool{1};
    server::relay_service relay{pool, one_token(*token_id), channels(upstream.base_url()), &logs};
    server::server_options options;
    options.port = 0;
    options.write_timeout = 600ms;
    server::http_server server{pool, options, relay.handler()};
    REQUIRE(server.listen());
    pool.run();

    net::io_context ioc;
    tcp::socket client{ioc};
    client.open(tcp::v4());
    // A small receive window: the client's kernel takes little before the gateway must wait.
    client.set_option(net::socket_base::receive_buffer_size(4096));
    client.connect({net::ip::make_address("127.0.0.1"), server.port()});

    const std::size_t heap_before = live_heap_bytes();
    const std::string body =
        R"({"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]})";
    net::write(client,
               net::buffer(raw_post("/v1/chat/completions", body,
                                    "Authorization: Bearer " + std::string(relay_key) + "\r\n")));
    std::string head;
    net::read_until(client, net::dynamic_buffer(head), "\r\n\r\n");
    REQUIRE(head.find("HTTP/1.1 200") == 0);
    const auto stalled_at = std::chrono::steady_clock::now();
    // The client reads nothing more. Sample while the gateway waits on its write.
    std::size_t peak = 0;
    while (std::chrono::steady_clock::now() - stalled_at < 400ms) {
        std::this_thread::sleep_for(20ms);
        peak = std::max(peak, live_heap_bytes());
    }
    const std::size_t growth = peak > heap_before ? peak - heap_before : 0;
    const std::size_t pushed = upstream.sent();
    // The stream's own buffers: the upstream connection's read buffer (max_header_bytes +
    // 16 KiB = 80 KiB by default), the re-emitted events of one read (at most one read buffer),
    // the request, its parsers and the log entry. Kernel socket buffers are not heap.
    constexpr std::size_t bound = 512 * 1024;
    INFO("upstream pushed " << pushed << " bytes; gateway heap grew by " << growth << " bytes");
    CHECK(growth < bound);
    // The upstream got far past anything a correct relay holds: the bytes are in kernel buffers.
    CHECK(pushed > 4 * bound);

    // Dropped after write_timeout: the connection closes and the upstream request is cancelled.
    // (Reading earlier would let the stream go on.)
    std::this_thread::sleep_until(stalled_at + options.write_timeout + 400ms);
    boost::system::error_code ec;
    std::array<char, 64 * 1024> sink{};
    for (;;) {
        client.read_some(net::buffer(sink), ec);
        if (ec) break;
    }
    CHECK(std::chrono::steady_clock::now() - stalled_at < 3s);
    CHECK(upstream.sent() < 64 * bound);  // cut, not run to its end
    for (int i = 0; i < 200 && !upstream.write_failed(); ++i) std::this_thread::sleep_for(10ms);
    CHECK(upstream.write_failed());
    server.shutdown(2s);
    pool.stop();
    pool.join();
    logs.flush();
    auto logged = store.recent_logs(10);
    REQUIRE(logged.has_value());
    REQUIRE(logged->size() == 1);
    CHECK(logged->at(0).stream);
    // Logged as cut by the client (the timed-out write closed its connection).
    CHECK(logged->at(0).status == 499);
}

// --- (c) pass-through bytes ----------------------------------------------------------------

TEST_CASE("Anthropic and Responses pass-through streams are byte-identical", "[server][perf]") {
    // Recorded upstream streams (event: lines, trailing spaces inside data), one event per
    // write. The client asks for the model the upstream names, so nothing is renamed.
    const std::string messages = read_golden("anthropic_messages/stream-text/upstream.sse");
    const std::string responses = read_golden("openai_responses/text-stream/upstream.sse");
    fake_upstream upstream{[&](const recorded_request& r) {
        auto s = paced(split_sse_events(r.target == "/v1/messages" ? messages : responses));
        return s;
    }};
    storage::channel_record anthropic;
    anthropic.id = 1;
    anthropic.name = "anthropic";
    anthropic.type = "anthropic";
    anthropic.base_url = upstream.base_url();
    anthropic.keys = {"sk-upstream"};
    anthropic.models = {"claude-sonnet-4-5-20250929"};
    storage::channel_record openai = anthropic;
    openai.id = 2;
    openai.name = "openai-responses";
    openai.type = "openai";
    openai.models = {"gpt-5.5-2026-04-23"};
    openai.settings_json = R"({"upstream_format":"openai_responses"})";
    relay_server relay{std::make_shared<const routing::router>(
        std::vector<storage::channel_record>{anthropic, openai})};

    auto relayed = [&](std::string_view path, const std::string& body) {
        auto res = http_call(relay.port(), bhttp::verb::post, path, body,
                             {{"Authorization", std::string("Bearer ") + relay_key}});
        REQUIRE(res.status == 200);
        return res.body;
    };
    CHECK(relayed("/v1/messages",
                  R"({"model":"claude-sonnet-4-5-20250929","max_tokens":64,"stream":true,)"
                  R"("messages":[{"role":"user","content":"hi"}]})") == messages);
    CHECK(relayed("/v1/responses",
                  R"({"model":"gpt-5.5-2026-04-23","stream":true,"input":"hi"})") == responses);
}

TEST_CASE("a pass-through stream keeps comments, ids, retry hints and the upstream's framing",
          "[server][perf]") {
    // OpenRouter sends `: OPENROUTER PROCESSING` comments while a model thinks: a client's only
    // sign that the stream is alive. The recorded Chat stream, dressed with comments, a retry
    // hint, ids, CRLF and CR-only blocks and a `data:` without its space: the client gets every
    // byte but the model name, which goes back to the one it asked for.
    const std::string recorded = read_golden("openai_chat/text-stream/upstream.sse");
    std::vector<std::string> events = split_sse_events(recorded);
    REQUIRE(events.size() > 4);
    std::string dressed = ": OPENROUTER PROCESSING\n\nretry: 3000\n\n";
    for (std::size_t i = 0; i < events.size(); ++i) {
        std::string e = events[i];
        if (i == 1) e = "id: 1\n" + e;
        if (i == 2) e.replace(0, 6, "data:");  // "data: " -> "data:"
        if (i == 3) e.replace(e.size() - 2, 2, "\r\n\r\n");
        if (i == 4) e.replace(e.size() - 2, 2, "\r\r");
        dressed += e;
        if (i % 2 == 0) dressed += ": keep-alive\n\n";
    }
    const std::string upstream_model = "\"model\":\"gpt-4o-2024-08-06\"";
    std::string expected = dressed;
    for (auto at = expected.find(upstream_model); at != std::string::npos;
         at = expected.find(upstream_model, at)) {
        expected.replace(at, upstream_model.size(), "\"model\":\"gpt-4o\"");
    }
    REQUIRE(expected != dressed);

    fake_upstream upstream{
        [&](const recorded_request&) { return paced(split_sse_events(dressed)); }};
    relay_server relay{channels(upstream.base_url())};
    auto res =
        http_call(relay.port(), bhttp::verb::post, "/v1/chat/completions",
                  R"({"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},)"
                  R"("messages":[{"role":"user","content":"hi"}]})",
                  {{"Authorization", std::string("Bearer ") + relay_key}});
    CHECK(res.status == 200);
    CHECK(res.body == expected);
}

// --- (d) writes per upstream read ----------------------------------------------------------

TEST_CASE("the events of one upstream read go to the client in one write", "[server][perf]") {
    // The upstream frames its head and a whole stream's chunks into one socket write, so the
    // gateway's first read brings all of it: relayed one write per chunk, the client would see
    // one HTTP chunk per event; with the response head written on its own, one write more.
    fake_upstream upstream{[](const recorded_request& r) {
        auto s = paced(r.target == "/v1/messages" ? messages_events(40) : chat_events(40));
        s.delay_between_chunks = 0ms;
        s.one_write = true;
        return s;
    }};
    relay_server relay{channels(upstream.base_url())};

    // The raw response and the number of the server's writes that carried it.
    auto relayed = [&](std::string_view path, const std::string& body) {
        raw_connection conn{relay.port()};
        conn.send(raw_post(
            path, body,
            "Authorization: Bearer " + std::string(relay_key) + "\r\nConnection: close\r\n"));
        std::string raw = conn.read_to_end(10s);
        REQUIRE(raw.find("HTTP/1.1 200") == 0);
        return std::pair{raw, conn.data_segments_received()};
    };
    SECTION("pass-through") {
        const auto [raw, writes] = relayed("/v1/chat/completions", chat_body(40));
        // Role, 40 deltas, finish; the usage chunk the gateway asked for is not the client's.
        CHECK(count_occurrences(raw, "\"object\":\"chat.completion.chunk\"") == 42);
        CHECK(count_occurrences(raw, "data: [DONE]") == 1);
        CHECK(count_chunks(raw) <= 4);
        // The head with the events, then the last chunk.
        CHECK(writes <= 2);
    }
    SECTION("conversion") {
        // Anthropic upstream (claude-x), Chat client.
        const auto [raw, writes] = relayed(
            "/v1/chat/completions",
            R"({"model":"claude-x","stream":true,"messages":[{"role":"user","content":"deltas 40"}]})");
        CHECK(count_occurrences(raw, "\"object\":\"chat.completion.chunk\"") >= 42);
        CHECK(count_chunks(raw) <= 4);
        CHECK(writes <= 2);
    }
}

// --- (e) validation before the relay -------------------------------------------------------

TEST_CASE("a body the official schema refuses is a 400 naming the member, also on pass-through",
          "[server][validation]") {
    // Client and upstream speak the same format on each of the three routes, so the relay would
    // splice the client's own bytes: decoding is the only check they get. The upstream must see
    // none of these requests.
    fake_upstream upstream{[](const recorded_request& r) {
        if (r.target == "/v1/messages") {
            return json_response(200,
                                 read_golden("anthropic_messages/response-text/upstream.json"));
        }
        if (r.target == "/v1/responses") {
            return json_response(200,
                                 read_golden("openai_responses/response-cache-read/upstream.json"));
        }
        return json_response(200, read_golden("openai_chat/text/upstream.json"));
    }};
    storage::channel_record chat;
    chat.id = 1;
    chat.name = "openai";
    chat.type = "openai";
    chat.base_url = upstream.base_url();
    chat.keys = {"sk-upstream"};
    chat.models = {"gpt-4o"};
    storage::channel_record responses = chat;
    responses.id = 2;
    responses.name = "openai-responses";
    responses.models = {"gpt-5"};
    responses.settings_json = R"({"upstream_format":"openai_responses"})";
    storage::channel_record anthropic = chat;
    anthropic.id = 3;
    anthropic.name = "anthropic";
    anthropic.type = "anthropic";
    anthropic.models = {"claude-x"};
    relay_server relay{std::make_shared<const routing::router>(
        std::vector<storage::channel_record>{chat, responses, anthropic})};

    auto post = [&](std::string_view path, const std::string& body) {
        return http_call(relay.port(), bhttp::verb::post, path, body,
                         {{"Authorization", std::string("Bearer ") + relay_key}});
    };
    const std::string chat_head =
        R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],)";
    const std::string responses_head = R"({"model":"gpt-5","input":"hi",)";
    const std::string messages_head =
        R"({"model":"claude-x","max_tokens":64,"messages":[{"role":"user","content":"hi"}],)";

    struct case_t {
        std::string path;
        std::string body;
        std::string param;
    };
    const std::vector<case_t> cases = {
        {"/v1/chat/completions", chat_head + R"("temperature":1e999})", "temperature"},
        {"/v1/chat/completions", chat_head + R"("max_tokens":-1})", "max_tokens"},
        {"/v1/chat/completions", chat_head + R"("logit_bias":[]})", "logit_bias"},
        {"/v1/chat/completions", chat_head + R"("logprobs":"yes"})", "logprobs"},
        {"/v1/chat/completions", chat_head + R"("top_logprobs":21})", "top_logprobs"},
        {"/v1/chat/completions", chat_head + R"("modalities":"text"})", "modalities"},
        {"/v1/chat/completions", chat_head + R"("functions":{}})", "functions"},
        {"/v1/chat/completions", chat_head + R"("function_call":1})", "function_call"},
        {"/v1/chat/completions", chat_head + R"("audio":"alloy"})", "audio"},
        {"/v1/chat/completions", chat_head + R"("prediction":[]})", "prediction"},
        {"/v1/chat/completions", chat_head + R"("web_search_options":true})", "web_search_options"},
        {"/v1/responses", responses_head + R"("temperature":2.5})", "temperature"},
        {"/v1/responses", responses_head + R"("top_p":-1e999})", "top_p"},
        {"/v1/responses", responses_head + R"("max_output_tokens":-1})", "max_output_tokens"},
        {"/v1/messages", R"({"model":"claude-x","max_tokens":64,"messages":[]})", "messages"},
        {"/v1/messages", messages_head + R"("temperature":1e999})", "temperature"},
        {"/v1/messages", messages_head + R"("top_k":-1})", "top_k"},
    };
    for (const case_t& c : cases) {
        INFO(c.path << " " << c.body);
        const auto res = post(c.path, c.body);
        CHECK(res.status == 400);
        const boost::json::value err = boost::json::parse(res.body);
        if (c.path == "/v1/messages") {
            // Anthropic's envelope has no param: the message starts with it.
            CHECK(err.at("type") == "error");
            CHECK(err.at("error").at("type") == "invalid_request_error");
            CHECK(std::string_view(err.at("error").at("message").as_string())
                      .starts_with(c.param + ": "));
        } else {
            CHECK(err.at("error").at("type") == "invalid_request_error");
            CHECK(std::string_view(err.at("error").at("param").as_string()) == c.param);
            CHECK(std::string_view(err.at("error").at("message").as_string())
                      .starts_with(c.param + ": "));
        }
    }
    CHECK(upstream.requests().empty());

    // The same routes relay what the schema allows, as the client wrote it.
    CHECK(post("/v1/chat/completions", chat_head + R"("temperature":2,"logprobs":true})").status ==
          200);
    CHECK(post("/v1/responses", responses_head + R"("max_output_tokens":16})").status == 200);
    CHECK(post("/v1/messages", messages_head + R"("temperature":1})").status == 200);
    const auto seen = upstream.requests();
    REQUIRE(seen.size() == 3);
    CHECK(seen[0].body == chat_head + R"("temperature":2,"logprobs":true})");
    CHECK(seen[1].body.find(R"("max_output_tokens":16)") != std::string::npos);
    CHECK(seen[2].body == messages_head + R"("temperature":1})");
}
