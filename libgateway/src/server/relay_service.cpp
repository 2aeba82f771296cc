#include "gateway/server/relay_service.hpp"

#include "formats/json_skim.hpp"
#include "formats/json_util.hpp"
#include "gateway/core/api_format.hpp"
#include "gateway/core/log.hpp"
#include "gateway/ingress/codec.hpp"
#include "gateway/provider/registry.hpp"
#include "gateway/stream/sse_parser.hpp"
#include "gateway/stream/sse_writer.hpp"
#include "gateway/upstream/codec.hpp"
#include "gateway/upstream/embed_rerank.hpp"
#include "providers/mock/mock.hpp"
#include "server/google_tokens.hpp"
#include "server/redact.hpp"

#include <fmt/format.h>
#include <boost/asio/this_coro.hpp>
#include <boost/json/array.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <ctime>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace gateway::server {

namespace net = boost::asio;
namespace json = boost::json;
namespace bhttp = boost::beast::http;

namespace {

std::int64_t unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::int64_t ms_between(std::chrono::steady_clock::time_point a,
                        std::chrono::steady_clock::time_point b) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count();
}

/// Keeps the last usage snapshot of a canonical stream (for billing).
struct usage_meter final : event_sink {
    usage last;
    std::string model;  // the upstream's name for the model, from message_start
    std::int64_t deltas = 0;
    void on_event(const stream_event& e) override {
        if (e.type == stream_event_type::message_start && model.empty()) model = e.model;
        if (e.tokens != nullptr && e.tokens->reported) last = *e.tokens;
        if (e.type == stream_event_type::block_delta) ++deltas;
    }
};

/// Hands every event to two sinks (the meter, then the client's encoder).
struct tee_sink final : event_sink {
    event_sink& first;
    event_sink& second;
    tee_sink(event_sink& a, event_sink& b) : first(a), second(b) {}
    void on_event(const stream_event& e) override {
        first.on_event(e);
        second.on_event(e);
    }
};

/// The credentials of one upstream attempt, which no text leaving the process may quote.
struct attempt_secrets {
    std::vector<std::string_view> list;
    attempt_secrets(const routing::channel& channel, const provider::credentials& creds) {
        for (const auto& key : channel.keys) list.emplace_back(key);
        if (!creds.access_token.empty()) list.push_back(creds.access_token);
    }
    std::string redacted(std::string_view text) const { return server::redacted(text, list); }
};

/// Passes events on, with the upstream's error events' texts redacted (an upstream that quotes
/// the key it received in a stream error); remembers that one came, so the pass-through bytes
/// of the same read are redacted too.
struct redacting_sink final : event_sink {
    event_sink& next;
    const attempt_secrets& secrets;
    bool saw_error = false;
    redacting_sink(event_sink& n, const attempt_secrets& s) : next(n), secrets(s) {}
    void on_event(const stream_event& e) override {
        if (e.type != stream_event_type::error || e.error == nullptr) return next.on_event(e);
        saw_error = true;
        upstream_error clean = *e.error;
        server::redact_secrets(clean.message, secrets.list);
        server::redact_secrets(clean.code, secrets.list);
        server::redact_secrets(clean.param, secrets.list);
        stream_event copy = e;
        copy.error = &clean;
        next.on_event(copy);
    }
};

/// A model name to put back into the upstream's JSON texts: the JSON string literals of the
/// upstream's name and the client's, encoded once per response (a stream rewrites every event).
struct model_rename {
    std::string from;  // `"<from>"`, as the upstream writes it
    std::string to;    // `"<to>"`
    void set(std::string_view from_name, std::string_view to_name) {
        from.clear();
        to.clear();
        formats::append_json_string(from, from_name);
        formats::append_json_string(to, to_name);
    }
};

/// Replaces the value of the first `"model": "<from>"` member of a JSON text by `"<to>"`,
/// keeping every other byte (pass-through). Whitespace around the colon is allowed (OpenAI's
/// non-stream bodies are pretty-printed, its stream chunks compact); a `"model"` inside a string
/// value is escaped (`\"model\"`) and never matches. A text without such a member is left as
/// it is. Allocates only when the text must grow. Only the text from `start` on is searched.
void rewrite_model(std::string& json_text, const model_rename& rename, std::size_t start = 0) {
    if (rename.from == rename.to) return;
    const std::string_view literal = rename.from;
    constexpr std::string_view key = "\"model\"";
    auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
    for (std::size_t at = json_text.find(key, start); at != std::string::npos;
         at = json_text.find(key, at + key.size())) {
        if (at > 0 && json_text[at - 1] == '\\') continue;
        std::size_t i = at + key.size();
        while (i < json_text.size() && is_space(json_text[i])) ++i;
        if (i >= json_text.size() || json_text[i] != ':') continue;
        ++i;
        while (i < json_text.size() && is_space(json_text[i])) ++i;
        if (json_text.compare(i, literal.size(), literal) != 0) continue;
        json_text.replace(i, literal.size(), rename.to);
        return;
    }
}

void rewrite_model(std::string& json_text, std::string_view from, std::string_view to) {
    if (from == to) return;
    model_rename rename;
    rename.set(from, to);
    rewrite_model(json_text, rename);
}

/// The client's body for a pass-through upstream, spliced from its own bytes: the model name
/// replaced and, for a Chat stream (`usage_option`), `stream_options.include_usage` set; every
/// other member goes up byte for byte (numbers as the client wrote them), without copying the
/// tree. Empty when more must change (a parameter the model cannot take, a provider's quirks),
/// or the skim cannot list the members exactly (duplicate or escaped keys, more than 64): the
/// caller then edits a copy of the tree.
std::optional<std::string> splice_passthrough_body(std::string_view body, const json::object& tree,
                                                   upstream::upstream_format wire_format,
                                                   const upstream::model_capabilities& caps,
                                                   const upstream::encode_options& encode,
                                                   std::string_view upstream_model,
                                                   bool usage_option) {
    if (!encode.renames.empty() || !encode.extra_body.empty() || !encode.model_in_body) {
        return std::nullopt;
    }
    std::array<formats::skimmed_member, 64> members;
    std::size_t count = 0;
    bool too_many = false;
    const bool followed = formats::skim_object(body, [&](const formats::skimmed_member& m) {
        if (count == members.size()) {
            too_many = true;
            return;
        }
        members[count++] = m;
    });
    // A parsed object keeps one member per name: fewer than the text has means duplicates.
    if (!followed || too_many || count != tree.size()) return std::nullopt;
    const std::span<const formats::skimmed_member> listed(members.data(), count);
    if (!caps.params.empty()) {
        // The same check as on a copy, on the names alone: nothing may be dropped or refused.
        alignas(std::max_align_t) unsigned char scratch[2048];
        json::monotonic_resource arena(scratch, sizeof scratch);
        json::object names(&arena);
        for (const auto& m : listed) names.emplace(m.key, nullptr);
        if (usage_option) names.emplace("stream_options", nullptr);
        const std::size_t before = names.size();
        conversion_report ignored;
        if (!upstream::apply_capabilities(wire_format, names, caps, ignored) ||
            names.size() != before) {
            return std::nullopt;
        }
    }
    std::string out;
    out.reserve(body.size() + upstream_model.size() + 48);
    out += '{';
    bool model_written = false;
    bool usage_written = !usage_option;
    for (const auto& m : listed) {
        if (out.size() > 1) out += ',';
        if (m.key == "model") {
            out += R"("model":)";
            formats::append_json_string(out, upstream_model);
            model_written = true;
        } else if (m.key == "stream_options" && usage_option) {
            out += R"("stream_options":)";
            if (const auto* so = tree.at("stream_options").if_object()) {
                json::object with_usage = *so;
                with_usage["include_usage"] = true;
                out += json::serialize(with_usage);
            } else {
                out += R"({"include_usage":true})";
            }
            usage_written = true;
        } else {
            out += m.whole;
        }
    }
    if (!model_written) {
        if (out.size() > 1) out += ',';
        out += R"("model":)";
        formats::append_json_string(out, upstream_model);
    }
    if (!usage_written) {
        if (out.size() > 1) out += ',';
        out += R"("stream_options":{"include_usage":true})";
    }
    out += '}';
    return out;
}

/// Whether a Chat chunk is the usage-only chunk (`"choices":[]`), which clients get only when
/// they asked for it with `stream_options.include_usage`.
bool is_usage_only_chunk(std::string_view data) {
    return data.find("\"choices\":[]") != std::string_view::npos &&
           data.find("\"usage\":{") != std::string_view::npos;
}

/// The outcome of one attempt on one channel.
struct attempt {
    bool sent = false;       // a response (or its head) reached the client
    bool retryable = false;  // another channel may succeed
    unsigned status = 0;     // when !sent: the status to answer with
    std::string body;        // when !sent: the error body to answer with

    static attempt delivered() { return attempt{true, false, 0, {}}; }
};

unsigned status_for(const error_code& ec) {
    if (ec == errc::upstream_timeout) return 504;
    if (ec == errc::body_too_large) return 502;
    return 502;
}

/// An upstream exchange that is cancelled when the client closes its connection, for as long
/// as this object lives: while it is being opened (so the upstream stops at once instead of
/// answering into a closed connection minutes later), and once open.
struct watched_exchange {
    request_context& ctx;
    std::unique_ptr<http::exchange> ex;
    http::open_cancellation opening;  // for the async_open before `ex` is set
    explicit watched_exchange(request_context& c) : ctx(c) {
        ctx.on_client_close([this] {
            if (ex) {
                ex->cancel();
            } else {
                opening.cancel();
            }
        });
    }
    ~watched_exchange() { ctx.stop_watching(); }
    watched_exchange(const watched_exchange&) = delete;
    watched_exchange& operator=(const watched_exchange&) = delete;
};

/// The log of an accepted request until it is settled (completed, charged and submitted), once:
/// right before the response's last bytes go out (`request_context::before_last_write`), so
/// the log writer's journal holds it before the client can see its response complete; or by
/// `finish` when no last write came (the client left first).
struct pending_log {
    request_context& ctx;
    const auth::token& token;
    storage::log_writer* logs;
    storage::request_log entry;
    const usage& billed;         // as the upstream reported it, filled in while relaying
    const std::int64_t& deltas;  // content deltas seen, for an estimate when none was reported
    bool failed = false;         // the response is the gateway's own error answer
    bool settled = false;

    pending_log(request_context& c, const auth::token& t, storage::log_writer* l,
                storage::request_log e, const usage& b, const std::int64_t& d)
        : ctx(c), token(t), logs(l), entry(std::move(e)), billed(b), deltas(d) {
        ctx.before_last_write([this] { settle(); });
    }
    ~pending_log() { ctx.before_last_write(nullptr); }
    pending_log(const pending_log&) = delete;
    pending_log& operator=(const pending_log&) = delete;

    void settle() {
        if (settled) return;
        settled = true;
        const auto end = std::chrono::steady_clock::now();
        // 499: the client closed the connection before its response was complete (nginx's).
        entry.status = ctx.client_closed() ? 499 : static_cast<int>(ctx.response_status());
        if (ctx.client_closed() && entry.error.empty()) {
            entry.error = "client closed the connection";
        }
        entry.duration_ms = ms_between(ctx.started_at(), end);
        entry.first_byte_ms =
            ctx.bytes_written() > 0 ? ms_between(ctx.started_at(), ctx.first_byte_at()) : -1;
        if (billed.reported) {
            entry.prompt_tokens = billed.input_tokens;
            entry.completion_tokens = billed.output_tokens;
        } else if (!failed && ctx.bytes_written() > 0) {
            // No usage arrived (an interrupted stream): bill what was seen, roughly four bytes
            // per prompt token and one token per content delta.
            entry.prompt_tokens = static_cast<std::int64_t>(ctx.request().body().size() / 4);
            entry.completion_tokens = deltas;
        }
        // One quota unit per token until per-model pricing lands.
        entry.quota = entry.prompt_tokens + entry.completion_tokens;
        token.charge(entry.quota);
        if (logs != nullptr) logs->submit(std::move(entry));
    }
};

}  // namespace

/// One accepted generation request, as every attempt on a channel sees it.
struct relay_call {
    api_format format;
    const json::object* tree;           // the client's body, parsed once, never changed
    const gateway::request* canonical;  // the decoded request
    ingress::encode_options encode;     // how the client's answers are written
};

/// The non-generation endpoints: `POST /v1/embeddings` and `POST /v1/rerank`.
enum class retrieval_kind : std::uint8_t { embeddings, rerank };

/// One accepted embeddings or rerank request, decoded (the other member is empty).
struct retrieval_call {
    retrieval_kind kind;
    std::string_view body;   // the client's bytes
    std::string_view model;  // as the client named it
    std::optional<upstream::embeddings_request> embeddings;
    std::optional<upstream::rerank_request> rerank;
};

struct relay_service::impl {
    io_pool& pool;
    std::shared_ptr<const auth::token_table> tokens;
    std::shared_ptr<const routing::router> router;
    storage::log_writer* logs;
    relay_options options;
    std::shared_ptr<const provider::registry> providers;
    std::vector<std::unique_ptr<http::client>> clients;      // one per worker
    std::vector<std::unique_ptr<google_tokens>> tokens_for;  // one per worker, on its client

    net::awaitable<void> serve_models(request_context& ctx);
    net::awaitable<void> serve_generation(request_context& ctx, api_format format);
    net::awaitable<void> serve_sandbox(request_context& ctx);
    net::awaitable<attempt> relay(request_context& ctx, const routing::channel& channel,
                                  const relay_call& call, usage_meter& meter);
    net::awaitable<attempt> relay_stream(request_context& ctx, http::exchange& ex,
                                         const relay_call& call,
                                         upstream::upstream_format wire_format, bool pass_through,
                                         const conversion_report& report, usage_meter& meter,
                                         const attempt_secrets& secrets);
    net::awaitable<void> answer_mock(request_context& ctx, const relay_call& call,
                                     usage_meter& meter);

    const auth::token* authenticate(request_context& ctx, api_format format, unsigned& status,
                                    std::string& error) {
        return authenticate(ctx.request(), format, status, error);
    }
    const auth::token* authenticate(const bhttp::fields& head, api_format format,
                                    unsigned& status, std::string& error);
    /// The 401 of a POST to a keyed route whose key is missing or refused (`head_checker`).
    std::optional<early_response> check_head(const bhttp::request_header<>& head);
    /// The HTTP request for a prepared upstream call, with the channel's own deadlines.
    /// `wire_format` decides the stream's media type (AWS event stream for Bedrock).
    http::request upstream_request(const routing::channel& channel,
                                   provider::prepared_request prepared, bool stream,
                                   upstream::upstream_format wire_format) const {
        http::request req;
        req.method = bhttp::verb::post;
        req.url = std::move(prepared.url);
        for (const auto& [name, value] : prepared.headers) req.headers.set(name, value);
        req.body = std::move(prepared.body);
        const auto& d = channel.deadlines;
        if (d.connect_ms >= 0 || d.first_byte_ms >= 0 || d.idle_ms >= 0 || d.total_ms >= 0) {
            http::timeouts t = options.upstream.default_timeouts;
            auto pick = [](std::int64_t ms, std::chrono::milliseconds fallback) {
                return ms >= 0 ? std::chrono::milliseconds(ms) : fallback;
            };
            t.connect = pick(d.connect_ms, t.connect);
            t.first_byte = pick(d.first_byte_ms, t.first_byte);
            t.idle = pick(d.idle_ms, t.idle);
            t.total = pick(d.total_ms, t.total);
            req.deadlines = t;
        }
        if (req.headers[bhttp::field::accept].empty()) {
            req.headers.set(bhttp::field::accept, stream
                                                      ? upstream::stream_content_type(wire_format)
                                                      : "application/json");
        }
        // A compressing server may hold events back to fill its deflate blocks: streams are
        // asked for uncompressed, whole bodies for gzip (decoded by the client).
        if (stream) req.headers.set(bhttp::field::accept_encoding, "identity");
        return req;
    }

    /// The log entry of a request from the moment it is accepted (routed to its channels).
    storage::request_log accepted(request_context& ctx, const auth::token& token,
                                  const std::string& model);
    /// Ends an accepted request: answers with the last attempt's error if nothing was sent,
    /// and settles its log (status, timings, usage: the upstream's when it reported it, an
    /// estimate when a response was cut; the charge; the submit) unless the last write did.
    net::awaitable<void> finish(request_context& ctx, pending_log& pending, attempt last);
    /// The channels that may serve `model` for `token`; empty after answering the client
    /// (model not allowed, quota spent, no channel).
    net::awaitable<std::vector<const routing::channel*>> admit(request_context& ctx,
                                                               const auth::token& token,
                                                               api_format format,
                                                               const std::string& model);
    net::awaitable<void> serve_retrieval(request_context& ctx, retrieval_kind kind);
    net::awaitable<attempt> relay_retrieval(request_context& ctx, const routing::channel& channel,
                                            const retrieval_call& call, usage& billed);
};

namespace {

net::awaitable<void> send_error(request_context& ctx, api_format format, unsigned status,
                                std::string_view message, std::string_view code = {},
                                std::string_view type = {}) {
    co_await ctx.send(status, "application/json", error_body(format, status, message, code, type));
}

/// Sends SSE events one write each, as a real upstream flushes them.
net::awaitable<error_code> send_events(request_context& ctx,
                                       const std::vector<std::string>& events) {
    if (auto ec = co_await ctx.begin_stream(200, "text/event-stream")) co_return ec;
    for (const auto& e : events) {
        if (auto ec = co_await ctx.write(e)) co_return ec;
    }
    co_return co_await ctx.end_stream();
}

/// What parsing a JSON text will build, counted without parsing: its objects, and an upper
/// bound on its values (one per `,` and per container, plus one). Bytes inside strings do not
/// count.
struct json_shape {
    std::size_t objects = 0;
    std::size_t values = 1;
};

json_shape skim_shape(std::string_view text) noexcept {
    json_shape shape;
    bool in_string = false;
    bool escaped = false;
    for (const char c : text) {
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        switch (c) {
            case '"':
                in_string = true;
                break;
            case '{':
                ++shape.objects;
                ++shape.values;
                break;
            case '[':
            case ',':
                ++shape.values;
                break;
            default:
                break;
        }
    }
    return shape;
}

/// A body whose parsed tree and canonical request would take many times its own size: a JSON
/// value costs the tree 16 to 64 bytes however few bytes it takes in the text, and a message or
/// content part about 600 bytes more in the canonical request. Beyond a floor that any sane
/// request stays under, a body may hold one object per `body_bytes_per_object` bytes and one
/// value per `body_bytes_per_value`, which keeps a request's memory within a few times its body.
/// Returns the refusal's message, or empty.
constexpr std::size_t free_objects = 16 * 1024;
constexpr std::size_t free_values = 128 * 1024;
constexpr std::size_t body_bytes_per_object = 256;
constexpr std::size_t body_bytes_per_value = 24;

std::string too_dense(std::string_view body) {
    const json_shape shape = skim_shape(body);
    const std::size_t max_objects = free_objects + body.size() / body_bytes_per_object;
    const std::size_t max_values = free_values + body.size() / body_bytes_per_value;
    if (shape.objects <= max_objects && shape.values <= max_values) return {};
    return fmt::format(
        "The request body holds too many JSON elements for its size ({} objects and up to {} "
        "values in {} bytes; at most {} objects and {} values): send fewer, longer messages or "
        "content parts.",
        shape.objects, shape.values, body.size(), max_objects, max_values);
}

/// Parses a JSON object body; on failure answers 400 and returns nullopt.
net::awaitable<std::optional<json::object>> parse_body(request_context& ctx, api_format format) {
    if (std::string dense = too_dense(ctx.request().body()); !dense.empty()) {
        co_await send_error(ctx, format, 413, dense);
        co_return std::nullopt;
    }
    error_code ec;
    auto value = json::parse(ctx.request().body(), ec);
    if (ec) {
        co_await send_error(ctx, format, 400,
                            fmt::format("We could not parse the JSON body of your request: {}. "
                                        "The body must be a JSON object.",
                                        ec.message()));
        co_return std::nullopt;
    }
    if (!value.is_object()) {
        co_await send_error(ctx, format, 400, "The JSON body of your request must be an object.");
        co_return std::nullopt;
    }
    co_return std::move(value.get_object());
}

/// `stream` must be a boolean when present.
bool read_stream_flag(const json::object& body, bool& stream, std::string& error) {
    stream = false;
    if (const auto* v = body.if_contains("stream")) {
        if (v->is_bool()) {
            stream = v->get_bool();
        } else if (!v->is_null()) {
            error = "Invalid type for 'stream': expected a boolean.";
            return false;
        }
    }
    return true;
}

}  // namespace

relay_service::relay_service(io_pool& pool, std::shared_ptr<const auth::token_table> tokens,
                             std::shared_ptr<const routing::router> router,
                             storage::log_writer* logs, relay_options options)
    : impl_(std::make_unique<impl>(
          impl{pool, std::move(tokens), std::move(router), logs, std::move(options), {}, {}, {}})) {
    impl_->providers = impl_->options.providers;
    if (!impl_->providers) {
        auto builtin = std::make_shared<provider::registry>();
        provider::register_builtin_providers(*builtin);
        impl_->providers = std::move(builtin);
    }
    for (std::size_t i = 0; i < pool.size(); ++i) {
        impl_->clients.push_back(std::make_unique<http::client>(pool.context(i).get_executor(),
                                                                impl_->options.upstream));
        impl_->tokens_for.push_back(std::make_unique<google_tokens>(*impl_->clients.back()));
    }
}

relay_service::~relay_service() = default;

request_handler relay_service::handler() {
    return [this](request_context& ctx) { return handle(ctx); };
}

net::awaitable<void> relay_service::handle(request_context& ctx) {
    const auto path = ctx.path();
    const auto method = ctx.request().method();
    const auto format = format_for_path(path);

    auto expect = [&](bhttp::verb v) { return method == v; };
    if (path == "/health") {
        if (!expect(bhttp::verb::get)) {
            co_await send_error(ctx, format, 405, "Method not allowed: use GET /health.");
        } else {
            co_await ctx.send(200, "application/json", R"({"status":"ok"})");
        }
        co_return;
    }
    if (path == "/v1/models") {
        if (!expect(bhttp::verb::get)) {
            co_await send_error(ctx, format, 405, "Method not allowed: use GET /v1/models.");
        } else {
            co_await impl_->serve_models(ctx);
        }
        co_return;
    }
    if (path == "/v1/chat/completions" || path == "/v1/responses" || path == "/v1/messages") {
        if (!expect(bhttp::verb::post)) {
            co_await send_error(ctx, format, 405,
                                fmt::format("Method not allowed: use POST {}.", path));
        } else {
            co_await impl_->serve_generation(ctx, format);
        }
        co_return;
    }
    if (path == "/v1/embeddings" || path == "/v1/rerank") {
        if (!expect(bhttp::verb::post)) {
            co_await send_error(ctx, format, 405,
                                fmt::format("Method not allowed: use POST {}.", path));
        } else {
            retrieval_kind kind = retrieval_kind::rerank;
            if (path == "/v1/embeddings") kind = retrieval_kind::embeddings;
            co_await impl_->serve_retrieval(ctx, kind);
        }
        co_return;
    }
    if (impl_->options.sandbox && path.starts_with("/sandbox/v1/")) {
        co_await impl_->serve_sandbox(ctx);
        co_return;
    }
    // OpenAI's own wording for unknown routes.
    co_await send_error(ctx, format, 404,
                        fmt::format("Invalid URL ({} {})", bhttp::to_string(method), path));
}

head_check relay_service::head_checker() {
    return [this](const bhttp::request_header<>& head) { return impl_->check_head(head); };
}

std::optional<early_response> relay_service::impl::check_head(
    const bhttp::request_header<>& head) {
    if (head.method() != bhttp::verb::post) return std::nullopt;  // 405s come from `handle`
    const std::string_view target = head.target();
    const std::string_view path = target.substr(0, target.find('?'));
    const bool retrieval = path == "/v1/embeddings" || path == "/v1/rerank";
    if (!retrieval && path != "/v1/chat/completions" && path != "/v1/responses" &&
        path != "/v1/messages") {
        return std::nullopt;
    }
    // The same answer as serve_generation's and serve_retrieval's.
    const api_format format = retrieval ? api_format::openai_chat : format_for_path(path);
    unsigned status = 0;
    std::string error;
    if (authenticate(head, format, status, error) != nullptr) return std::nullopt;
    return early_response{status, "application/json",
                          error_body(format, status, error, "invalid_api_key")};
}

const auth::token* relay_service::impl::authenticate(const bhttp::fields& req, api_format format,
                                                     unsigned& status, std::string& error) {
    auto key = auth::presented_key(req[bhttp::field::authorization], req["x-api-key"]);
    auto outcome = tokens->authenticate(key, std::time(nullptr));
    status = 401;
    switch (outcome.status) {
        case auth::auth_status::ok:
            return outcome.found;
        case auth::auth_status::missing_key:
            error = format == api_format::anthropic_messages
                        ? "x-api-key header is required"
                        : "You didn't provide an API key. You need to provide your API key in "
                          "an Authorization header using Bearer auth (i.e. Authorization: "
                          "Bearer YOUR_KEY).";
            break;
        // The key itself is never echoed back.
        case auth::auth_status::unknown_key:
            error = "Incorrect API key provided.";
            break;
        case auth::auth_status::disabled:
            error = "This API key is disabled.";
            break;
        case auth::auth_status::expired:
            error = "This API key has expired.";
            break;
    }
    return nullptr;
}

storage::request_log relay_service::impl::accepted(request_context& ctx, const auth::token& token,
                                                   const std::string& model) {
    storage::request_log entry;
    entry.request_id = std::string(ctx.request_id());
    entry.token_id = token.id;
    entry.endpoint = std::string(ctx.path());
    entry.model = model;
    entry.created_at_ms = unix_ms();
    return entry;
}

net::awaitable<void> relay_service::impl::finish(request_context& ctx, pending_log& pending,
                                                 attempt last) {
    if (!last.sent && !ctx.client_closed()) {
        pending.failed = true;
        pending.entry.error = "upstream failed";
        co_await ctx.send(last.status, "application/json", std::move(last.body));
    }
    pending.settle();
}

net::awaitable<std::vector<const routing::channel*>> relay_service::impl::admit(
    request_context& ctx, const auth::token& token, api_format format, const std::string& model) {
    if (!token.allows_model(model)) {
        co_await send_error(ctx, format, 403,
                            fmt::format("This API key may not use the model `{}`.", model),
                            "model_not_allowed");
        co_return std::vector<const routing::channel*>{};
    }
    if (!token.has_quota()) {
        co_await send_error(ctx, format, 429,
                            "You exceeded your current quota: this API key has no quota left.",
                            "insufficient_quota", "insufficient_quota");
        co_return std::vector<const routing::channel*>{};
    }
    auto candidates = router->candidates(model);
    if (candidates.empty()) {
        co_await send_error(
            ctx, format, 404,
            fmt::format("The model `{}` does not exist or you do not have access to it.", model),
            "model_not_found");
        co_return std::vector<const routing::channel*>{};
    }

    co_return candidates;
}

net::awaitable<void> relay_service::impl::serve_models(request_context& ctx) {
    unsigned status = 0;
    std::string error;
    const auto* token = authenticate(ctx, api_format::openai_chat, status, error);
    if (token == nullptr) {
        co_await send_error(ctx, api_format::openai_chat, status, error, "invalid_api_key");
        co_return;
    }
    json::array data;
    for (const auto& [model, type] : router->models()) {
        if (!token->allows_model(model)) continue;
        data.push_back(
            json::object{{"id", model}, {"object", "model"}, {"created", 0}, {"owned_by", type}});
    }
    json::object body{{"object", "list"}, {"data", std::move(data)}};
    co_await ctx.send(200, "application/json", json::serialize(body));
}

namespace {

/// An error answer in the client's format, from neutral parts.
std::string client_error(api_format format, unsigned status, std::string_view type,
                         std::string message, std::string_view param = {}) {
    upstream_error e;
    e.status = status;
    e.type = type;
    e.param = param;
    e.message = std::move(message);
    return ingress::encode_error(format, e);
}

/// The attempt's outcome when the upstream could not be reached (logged, not yet sent).
attempt open_failed(request_context& ctx, const routing::channel& channel, http::client& client,
                    const error_code& ec, api_format format) {
    log::warn(fmt::format("request {}: upstream {}: {} ({})", ctx.request_id(), channel.name,
                          ec.message(), client.last_error_detail()));
    const unsigned status = status_for(ec);
    return attempt{false, ec == condition::retryable, status,
                   client_error(format, status, "api_error",
                                fmt::format("Upstream request failed: {}.", ec.message()))};
}

net::awaitable<void> send_client_error(request_context& ctx, api_format format, unsigned status,
                                       std::string_view type, std::string message,
                                       std::string_view param = {}) {
    co_await ctx.send(status, "application/json",
                      client_error(format, status, type, std::move(message), param));
}

/// The reference product's URL parameters for Chat clients: `thinking=true` turns reasoning on
/// and shows it, `reasoning_format` picks the delta field. Returns an error message, or empty.
std::string apply_reasoning_params(request_context& ctx, gateway::request& canonical,
                                   ingress::encode_options& encode) {
    const std::string_view thinking = ctx.query_param("thinking");
    if (thinking == "true" || thinking == "1") {
        canonical.reasoning.include_thoughts = true;
        if (!canonical.reasoning.effort && !canonical.reasoning.budget_tokens &&
            !canonical.reasoning.enabled) {
            canonical.reasoning.enabled = true;
        }
    } else if (!thinking.empty() && thinking != "false" && thinking != "0") {
        return "Invalid value for the 'thinking' URL parameter: expected true or false.";
    }
    const std::string_view field = ctx.query_param("reasoning_format");
    if (field.empty() || field == "reasoning_content") {
        encode.reasoning = ingress::reasoning_field::reasoning_content;
    } else if (field == "reasoning") {
        encode.reasoning = ingress::reasoning_field::reasoning;
    } else if (field == "thinking") {
        encode.reasoning = ingress::reasoning_field::thinking;
    } else {
        return "Invalid value for the 'reasoning_format' URL parameter: expected "
               "reasoning_content, reasoning or thinking.";
    }
    return {};
}

bhttp::fields adjusted_fields(const conversion_report& report) {
    bhttp::fields fields;
    if (auto value = report.header_value(); !value.empty()) {
        fields.set("X-Gateway-Adjusted", value);
    }
    return fields;
}

}  // namespace

net::awaitable<void> relay_service::impl::serve_generation(request_context& ctx,
                                                           api_format format) {
    unsigned status = 0;
    std::string error;
    const auto* token = authenticate(ctx, format, status, error);
    if (token == nullptr) {
        co_await send_error(ctx, format, status, error, "invalid_api_key");
        co_return;
    }
    if (std::string dense = too_dense(ctx.request().body()); !dense.empty()) {
        co_await send_error(ctx, format, 413, dense);
        co_return;
    }
    conversion_report report;
    // Parsed once: the canonical request is read from the tree, and pass-through relays a copy
    // of the tree itself.
    auto tree = ingress::parse_request_body(format, ctx.request().body(), report);
    result<gateway::request> decoded = errc::bad_request;
    if (tree) decoded = ingress::decode_request(format, tree->get_object(), report);
    if (!decoded) {
        // A named local, not a conditional expression in the argument list: g++ 12 destroys
        // such a temporary twice when it is passed by value into a coroutine (a double free on
        // every 400). tests/unit/server/coroutine_arguments_test.cpp keeps the pattern out.
        std::string message = std::move(report.error_message);
        if (message.empty()) message = "The request body is not valid.";
        co_await send_client_error(ctx, format, 400, "invalid_request_error", std::move(message),
                                   report.error_param);
        co_return;
    }
    gateway::request& canonical = *decoded;
    relay_call call{format, &tree->get_object(), &canonical, {}};
    call.encode.model = canonical.model;
    call.encode.created = std::time(nullptr);
    call.encode.original = &canonical;
    if (format == api_format::openai_chat) {
        if (auto bad = apply_reasoning_params(ctx, canonical, call.encode); !bad.empty()) {
            co_await send_client_error(ctx, format, 400, "invalid_request_error", std::move(bad));
            co_return;
        }
    }
    const std::string& model = canonical.model;
    auto candidates = co_await admit(ctx, *token, format, model);
    if (candidates.empty()) co_return;

    // Accepted: from here on the request is logged exactly once, whatever happens.
    usage_meter meter;
    pending_log pending{ctx, *token, logs, accepted(ctx, *token, model), meter.last, meter.deltas};
    pending.entry.stream = canonical.stream;

    attempt last;
    for (const auto* channel : candidates) {
        pending.entry.channel_id = channel->id;
        pending.entry.upstream_model = std::string(channel->upstream_model(model));
        if (channel->type == "mock") {
            co_await answer_mock(ctx, call, meter);
            last = attempt::delivered();
            break;
        }
        last = co_await relay(ctx, *channel, call, meter);
        if (last.sent || !last.retryable || ctx.client_closed()) break;
        log::warn(fmt::format("request {}: channel {} failed with {}, trying the next",
                              ctx.request_id(), channel->name, last.status));
    }
    co_await finish(ctx, pending, std::move(last));
}

net::awaitable<void> relay_service::impl::answer_mock(request_context& ctx, const relay_call& call,
                                                      usage_meter& meter) {
    auto reply = providers::mock::make_reply(*call.tree, call.format);
    providers::mock::identity who{ctx.request_id(), call.canonical->model, std::time(nullptr)};
    meter.last.input_tokens = reply.input_tokens;
    meter.last.output_tokens = reply.output_tokens;
    meter.last.reported = true;
    const bool stream = call.canonical->stream;
    switch (call.format) {
        case api_format::openai_chat:
            if (!stream) {
                co_await ctx.send(200, "application/json",
                                  providers::mock::chat_completion(reply, who));
            } else {
                co_await send_events(ctx, providers::mock::chat_completion_stream(
                                              reply, who, call.canonical->include_usage));
            }
            break;
        case api_format::openai_responses:
            if (!stream) {
                co_await ctx.send(200, "application/json",
                                  providers::mock::responses_object(reply, who));
            } else {
                co_await send_events(ctx, providers::mock::responses_stream(reply, who));
            }
            break;
        case api_format::anthropic_messages:
            if (!stream) {
                co_await ctx.send(200, "application/json",
                                  providers::mock::messages_object(reply, who));
            } else {
                co_await send_events(ctx, providers::mock::messages_stream(reply, who));
            }
            break;
    }
}

net::awaitable<attempt> relay_service::impl::relay(request_context& ctx,
                                                   const routing::channel& channel,
                                                   const relay_call& call, usage_meter& meter) {
    const api_format format = call.format;
    const provider::adapter* adapter = providers->find(channel.type);
    if (adapter == nullptr) {
        co_return attempt{false, true, 502,
                          client_error(format, 502, "api_error",
                                       fmt::format("The channel type '{}' cannot serve {}.",
                                                   channel.type, ctx.path()))};
    }
    const provider::channel_config config{channel.base_url, channel.settings};
    const std::string upstream_model(channel.upstream_model(call.canonical->model));
    const upstream::upstream_format wire_format = adapter->format(config, upstream_model);
    const bool pass_through = upstream::same_format(wire_format, format);
    const bool stream = call.canonical->stream;
    const auto& client_req = ctx.request();

    upstream::model_capabilities caps = adapter->capabilities(config, upstream_model);
    if (channel.reasoning_model) caps.openai_reasoning_model = *channel.reasoning_model;
    for (const auto& [param, action] : channel.param_overrides) caps.set(param, action);
    upstream::encode_options encode;
    encode.model = upstream_model;
    encode.stream = stream;
    encode.capabilities = &caps;
    if (channel.default_max_tokens > 0)
        encode.default_max_output_tokens = channel.default_max_tokens;
    adapter->tune(config, encode);

    conversion_report report;
    upstream::http_request_parts parts;
    if (pass_through) {
        // Same format: the client's body with the channel's model name (and, for Chat streams,
        // the usage chunk the gateway needs for billing).
        const bool usage_option = stream && format == api_format::openai_chat &&
                                  caps.action("stream_options") != param_action::drop;
        if (auto spliced = splice_passthrough_body(client_req.body(), *call.tree, wire_format, caps,
                                                   encode, upstream_model, usage_option)) {
            parts.body = std::move(*spliced);
        } else {
            // Edited on a copy, since another channel may need the tree as the client sent it.
            // It lives only until serialised, so its nodes go into one block, freed at once.
            json::monotonic_resource arena(formats::read_arena_size(client_req.body()));
            json::object object(*call.tree, &arena);
            object["model"] = upstream_model;
            if (usage_option) {
                auto& so = object["stream_options"];
                if (!so.is_object()) so = json::object{};
                so.get_object()["include_usage"] = true;
            }
            if (auto applied = upstream::apply_capabilities(wire_format, object, caps, report);
                !applied) {
                co_return attempt{false, true, 400,
                                  client_error(format, 400, "invalid_request_error",
                                               report.error_message, report.error_param)};
            }
            upstream::apply_body_tuning(object, encode);
            parts.body = json::serialize(object);
        }
        parts.path = upstream::request_path(wire_format, upstream_model, stream);
        parts.headers.emplace_back("Content-Type", "application/json");
        if (format == api_format::anthropic_messages) {
            // Clients may send any version; the API knows only its published ones and answers
            // 400 to anything else, so an unknown one is replaced by the current version.
            const bool known = client_req["anthropic-version"] == "2023-01-01";
            parts.headers.emplace_back("anthropic-version", known ? "2023-01-01" : "2023-06-01");
        }
    } else {
        auto encoded = upstream::encode_request(wire_format, *call.canonical, encode, report);
        if (!encoded) {
            // The request cannot be expressed for this upstream; another channel of another
            // format might take it.
            co_return attempt{false, true, 400,
                              client_error(format, 400, "invalid_request_error",
                                           report.error_message.empty()
                                               ? "The request cannot be sent to this model."
                                               : report.error_message,
                                           report.error_param)};
        }
        parts = std::move(*encoded);
    }

    provider::credentials creds;
    creds.key = channel.next_key();
    creds.now = std::chrono::system_clock::now();
    google_tokens::token google;
    if (adapter->auth() == provider::auth_kind::google_oauth) {
        std::string why;
        auto fetched = co_await tokens_for[ctx.worker()]->get(creds.key, why);
        if (!fetched) {
            const attempt_secrets secrets{channel, creds};
            log::warn(fmt::format("request {}: channel {}: no access token: {}", ctx.request_id(),
                                  channel.name, secrets.redacted(why)));
            co_return attempt{
                false, true, 502,
                client_error(format, 502, "api_error",
                             "The gateway could not authenticate with the upstream.")};
        }
        google = std::move(*fetched);
        creds.access_token = google.access_token;
        creds.project = google.project;
    }
    const std::string_view beta = client_req["anthropic-beta"];
    const provider::request_target target{upstream_model, stream, beta};
    conversion_report prepare_report;
    auto prepared = adapter->prepare(config, target, std::move(parts), creds, prepare_report);
    if (!prepared) {
        co_return attempt{false, true, 400,
                          client_error(format, 400, "invalid_request_error",
                                       prepare_report.error_message, prepare_report.error_param)};
    }
    http::request req = upstream_request(channel, std::move(*prepared), stream, wire_format);
    const attempt_secrets secrets{channel, creds};

    auto& client = *clients[ctx.worker()];
    watched_exchange watched{ctx};
    std::unique_ptr<http::exchange>& ex = watched.ex;

    auto opened = co_await client.async_open(std::move(req), watched.opening);
    if (!opened && ctx.client_closed()) co_return attempt{};
    if (!opened) co_return open_failed(ctx, channel, client, opened.error(), format);
    ex = std::move(*opened);
    if (ctx.client_closed()) {
        ex->cancel();
        co_return attempt{};
    }

    const unsigned status = ex->status();
    if (status >= 400) {
        auto body = co_await ex->async_read_all();
        const std::string_view text = body ? std::string_view(*body) : std::string_view{};
        if (status == 401 && adapter->auth() == provider::auth_kind::google_oauth) {
            tokens_for[ctx.worker()]->invalidate(creds.key);  // revoked or expired early
        }
        // Some upstreams (and proxies) quote the key they were sent: it is redacted here,
        // before the text reaches the client or a log.
        const std::string clean = secrets.redacted(text);
        upstream_error e =
            upstream::decode_error(wire_format, status, clean, ex->headers()["x-amzn-ErrorType"]);
        const bool retryable = status == 429 || status >= 500;
        // The status follows one mapping on every path (docs/conversion.md, "Errors"): a 4xx
        // the request caused is kept, the channel's credentials refused is a 502, 5xx are
        // 502/503/504. When the client speaks the upstream's format and the status is kept, the
        // upstream's own error JSON goes back as it came (decode_error only read it); anything
        // else (a changed status, an HTML page of a proxy, an empty body) is put into the
        // client's envelope with the upstream's message.
        if (pass_through && e.status == status &&
            ex->headers()[bhttp::field::content_type].starts_with("application/json")) {
            co_return attempt{false, retryable, status, clean};
        }
        co_return attempt{false, retryable, e.status, ingress::encode_error(format, e)};
    }

    if (stream) {
        co_return co_await relay_stream(ctx, *ex, call, wire_format, pass_through, report, meter,
                                        secrets);
    }

    auto whole = co_await ex->async_read_all();
    if (!whole) {
        if (ctx.client_closed()) co_return attempt{};
        const unsigned error_status = status_for(whole.error());
        co_return attempt{
            false, whole.error() == condition::retryable, error_status,
            client_error(format, error_status, "api_error",
                         fmt::format("Upstream response failed: {}.", whole.error().message()))};
    }
    conversion_report read_report;
    bool readable = false;
    std::string out;
    if (pass_through) {
        // Relayed as it came: only usage and the model name are read out of it.
        if (auto summary = upstream::summarize_response(wire_format, *whole, read_report)) {
            readable = true;
            meter.last = summary->usage;
            out = std::move(*whole);
            rewrite_model(out, summary->model, call.canonical->model);
        }
    } else if (auto decoded =
                   upstream::decode_response(wire_format, *whole, call.canonical, read_report)) {
        readable = true;
        meter.last = decoded->usage;
        out = ingress::encode_response(format, *decoded, call.encode);
    }
    if (!readable) {
        log::warn(fmt::format("request {}: upstream {} sent an unreadable response: {}",
                              ctx.request_id(), channel.name,
                              secrets.redacted(read_report.error_message)));
        co_return attempt{false, true, 502,
                          client_error(format, 502, "api_error",
                                       "The upstream sent a response the gateway cannot read.")};
    }
    co_await ctx.send(200, "application/json", std::move(out), adjusted_fields(report));
    co_return attempt::delivered();
}

net::awaitable<attempt> relay_service::impl::relay_stream(
    request_context& ctx, http::exchange& ex, const relay_call& call,
    upstream::upstream_format wire_format, bool pass_through, const conversion_report& report,
    usage_meter& meter, const attempt_secrets& secrets) {
    const api_format format = call.format;
    // SSE, or AWS event-stream framing for Bedrock's ConverseStream.
    if (!ex.headers()[bhttp::field::content_type].starts_with(
            upstream::stream_content_type(wire_format))) {
        auto body = co_await ex.async_read_all();
        (void)body;
        co_return attempt{false, true, 502,
                          client_error(format, 502, "api_error",
                                       "The upstream answered a streaming request without a "
                                       "stream.")};
    }
    // The head goes out with the first events when they came with the upstream's headers (one
    // write and one wake-up of the client fewer), else on its own before the relay waits.
    if (auto ec = ctx.prepare_stream(200, "text/event-stream", adjusted_fields(report))) {
        ex.cancel();
        co_return attempt::delivered();
    }

    upstream::stream_decoder_options decoder_options;
    decoder_options.original = call.canonical;
    auto decoder = upstream::make_stream_decoder(wire_format, decoder_options);
    std::unique_ptr<ingress::stream_encoder> encoder;
    if (!pass_through) encoder = ingress::make_stream_encoder(format, call.encode);
    tee_sink both(meter, pass_through ? static_cast<event_sink&>(meter) : *encoder);
    redacting_sink sink(pass_through ? static_cast<event_sink&>(meter) : both, secrets);

    // Pass-through forwards the upstream's blocks as they came (comments such as keep-alives,
    // ids and retry hints included), changing only the model name back to the client's and
    // leaving out the usage chunk that a Chat client did not ask for.
    stream::sse_parser parser;
    std::string out;
    const bool hide_usage_chunk =
        format == api_format::openai_chat && !call.canonical->include_usage;
    model_rename rename;  // set once the upstream named its model (message_start)
    bool rename_set = false;
    auto forward = [&](const stream::sse_block& block) {
        if (block.event != nullptr && hide_usage_chunk && is_usage_only_chunk(block.event->data)) {
            return;
        }
        const std::size_t at = out.size();
        out.append(block.raw);
        if (sink.saw_error) {
            // An error event came in this read: the bytes relayed as they came are redacted too.
            std::string block_text = out.substr(at);
            if (server::redact_secrets(block_text, secrets.list) > 0) {
                out.replace(at, std::string::npos, block_text);
            }
        }
        if (block.event == nullptr || meter.model.empty() || meter.model == call.canonical->model) {
            return;
        }
        if (!rename_set) {
            rename.set(meter.model, call.canonical->model);
            rename_set = true;
        }
        rewrite_model(out, rename, at);
    };

    std::string failure;
    auto take = [&](std::string_view bytes) {
        if (auto fed = decoder->feed(bytes, sink); !fed) {
            failure = fmt::format("upstream event stream: {}", decoder->error_detail());
            return false;
        }
        if (pass_through) {
            if (auto fed = parser.feed_blocks(bytes, forward); !fed) {
                failure = fmt::format("upstream event stream: {}", fed.error().message());
                return false;
            }
        }
        return true;
    };
    for (;;) {
        std::string_view bytes = ex.read_buffered();
        if (bytes.empty()) {
            if (co_await ctx.flush_head()) {
                ex.cancel();
                break;
            }
            auto piece = co_await ex.async_read_some();
            if (!piece) {
                if (!ctx.client_closed()) failure = piece.error().message();
                break;
            }
            if (piece->empty()) break;
            bytes = *piece;
        }
        // Everything one socket read brought goes out in one write.
        bool taken = true;
        for (; taken && !bytes.empty(); bytes = ex.read_buffered()) taken = take(bytes);
        if (!taken) {
            ex.cancel();
            break;
        }
        std::string& ready = pass_through ? out : encoder->output();
        if (!ready.empty()) {
            auto ec = co_await ctx.write(ready);
            ready.clear();
            if (ec) {
                ex.cancel();
                break;
            }
        }
    }
    if (ctx.client_closed()) co_return attempt::delivered();
    if (failure.empty()) {
        if (auto done = decoder->finish(sink); !done) {
            failure = decoder->error_detail().empty() ? std::string(done.error().message())
                                                      : std::string(decoder->error_detail());
        }
    }
    std::string tail = pass_through ? std::move(out) : std::move(encoder->output());
    if (!failure.empty()) {
        log::warn(fmt::format("request {}: {}", ctx.request_id(), failure));
        upstream_error e;
        e.status = 502;
        e.type = "api_error";
        e.message = fmt::format("The upstream stream failed: {}.", failure);
        stream_event event;
        event.type = stream_event_type::error;
        event.error = &e;
        // A pass-through stream has no encoder of its own: a fresh one writes the error event
        // in the client's format.
        if (pass_through || encoder->finished()) {
            auto closing = ingress::make_stream_encoder(format, call.encode);
            closing->on_event(event);
            tail += closing->output();
        } else {
            encoder->on_event(event);
            tail += encoder->output();
        }
    }
    const bool client_ok = tail.empty() || !(co_await ctx.write(tail));
    if (client_ok) co_await ctx.end_stream();
    co_return attempt::delivered();
}
// Embeddings and rerank: authenticated, routed by model, logged and billed like generation.
// Cohere-format channels get the request converted to Cohere's v2 API; OpenAI-compatible ones
// get the client's body (with the channel's model name) at `{base}/embeddings` or
// `{base}/rerank`. Errors are in OpenAI's envelope, the shape clients of both endpoints read.
net::awaitable<void> relay_service::impl::serve_retrieval(request_context& ctx,
                                                          retrieval_kind kind) {
    constexpr api_format format = api_format::openai_chat;
    unsigned status = 0;
    std::string error;
    const auto* token = authenticate(ctx, format, status, error);
    if (token == nullptr) {
        co_await send_error(ctx, format, status, error, "invalid_api_key");
        co_return;
    }
    if (std::string dense = too_dense(ctx.request().body()); !dense.empty()) {
        co_await send_error(ctx, format, 413, dense);
        co_return;
    }
    conversion_report report;
    retrieval_call call{kind, ctx.request().body(), {}, std::nullopt, std::nullopt};
    bool decoded = false;
    if (kind == retrieval_kind::embeddings) {
        if (auto req = upstream::decode_embeddings_request(call.body, report)) {
            call.embeddings = std::move(*req);
            call.model = call.embeddings->model;
            decoded = true;
        }
    } else if (auto req = upstream::decode_rerank_request(call.body, report)) {
        call.rerank = std::move(*req);
        call.model = call.rerank->model;
        decoded = true;
    }
    if (!decoded) {
        co_await send_client_error(ctx, format, 400, "invalid_request_error",
                                   std::move(report.error_message), report.error_param);
        co_return;
    }
    const std::string model(call.model);
    auto candidates = co_await admit(ctx, *token, format, model);
    if (candidates.empty()) co_return;

    // Accepted: from here on the request is logged exactly once, whatever happens.
    usage billed;
    const std::int64_t no_deltas = 0;
    pending_log pending{ctx, *token, logs, accepted(ctx, *token, model), billed, no_deltas};
    attempt last;
    for (const auto* channel : candidates) {
        pending.entry.channel_id = channel->id;
        pending.entry.upstream_model = std::string(channel->upstream_model(model));
        last = co_await relay_retrieval(ctx, *channel, call, billed);
        if (last.sent || !last.retryable || ctx.client_closed()) break;
        log::warn(fmt::format("request {}: channel {} failed with {}, trying the next",
                              ctx.request_id(), channel->name, last.status));
    }
    co_await finish(ctx, pending, std::move(last));
}

net::awaitable<attempt> relay_service::impl::relay_retrieval(request_context& ctx,
                                                             const routing::channel& channel,
                                                             const retrieval_call& call,
                                                             usage& billed) {
    constexpr api_format format = api_format::openai_chat;
    const bool embeddings = call.kind == retrieval_kind::embeddings;
    const provider::adapter* adapter =
        channel.type == "mock" ? nullptr : providers->find(channel.type);
    const provider::channel_config config{channel.base_url, channel.settings};
    const std::string upstream_model(channel.upstream_model(call.model));
    const auto wire = adapter != nullptr ? adapter->format(config, upstream_model)
                                         : upstream::upstream_format::gemini;
    const bool native = wire == upstream::upstream_format::cohere_chat;
    if (!native && (wire != upstream::upstream_format::openai_chat ||
                    adapter->auth() == provider::auth_kind::google_oauth)) {
        co_return attempt{false, true, 400,
                          client_error(format, 400, "invalid_request_error",
                                       fmt::format("The channel type '{}' cannot serve {}.",
                                                   channel.type, ctx.path()))};
    }

    conversion_report report;
    upstream::http_request_parts parts;
    if (native && embeddings) {
        auto encoded = upstream::encode_cohere_embed(*call.embeddings, upstream_model, report);
        if (!encoded) {
            co_return attempt{false, true, 400,
                              client_error(format, 400, "invalid_request_error",
                                           report.error_message, report.error_param)};
        }
        parts = std::move(*encoded);
    } else if (native) {
        parts = upstream::encode_cohere_rerank(*call.rerank, upstream_model);
    } else {
        error_code ec;
        json::value body = json::parse(call.body, ec);  // decoded once already
        if (ec || !body.is_object()) {
            co_return attempt{false, false, 400,
                              client_error(format, 400, "invalid_request_error",
                                           "The JSON body of your request must be an object.")};
        }
        body.get_object()["model"] = upstream_model;
        parts.body = json::serialize(body);
        parts.path = embeddings ? "/embeddings" : "/rerank";
        parts.headers.emplace_back("Content-Type", "application/json");
    }
    provider::credentials creds;
    creds.key = channel.next_key();
    creds.now = std::chrono::system_clock::now();
    auto prepared = adapter->prepare(config, provider::request_target{upstream_model, false, {}},
                                     std::move(parts), creds, report);
    if (!prepared) {
        co_return attempt{false, true, 400,
                          client_error(format, 400, "invalid_request_error", report.error_message,
                                       report.error_param)};
    }
    auto& client = *clients[ctx.worker()];
    watched_exchange watched{ctx};
    std::unique_ptr<http::exchange>& ex = watched.ex;
    http::request req = upstream_request(channel, std::move(*prepared), false,
                                         upstream::upstream_format::openai_chat);
    auto opened = co_await client.async_open(std::move(req), watched.opening);
    if (!opened && ctx.client_closed()) co_return attempt{};
    if (!opened) co_return open_failed(ctx, channel, client, opened.error(), format);
    ex = std::move(*opened);
    auto whole = co_await ex->async_read_all();
    if (ctx.client_closed()) co_return attempt{};
    if (!whole) {
        const unsigned status = status_for(whole.error());
        co_return attempt{
            false, whole.error() == condition::retryable, status,
            client_error(format, status, "api_error",
                         fmt::format("Upstream response failed: {}.", whole.error().message()))};
    }
    if (const unsigned status = ex->status(); status >= 400) {
        const attempt_secrets secrets{channel, creds};
        const upstream_error e = upstream::decode_error(wire, status, secrets.redacted(*whole));
        co_return attempt{false, status == 429 || status >= 500, e.status,
                          ingress::encode_error(format, e)};
    }
    std::string out;
    if (native) {
        conversion_report read_report;
        auto converted = embeddings ? upstream::decode_cohere_embed(*whole, *call.embeddings,
                                                                    call.model, billed, read_report)
                                    : upstream::decode_cohere_rerank(
                                          *whole, *call.rerank, call.model, billed, read_report);
        if (!converted) {
            log::warn(fmt::format("request {}: upstream {} sent an unreadable response: {}",
                                  ctx.request_id(), channel.name, read_report.error_message));
            co_return attempt{
                false, true, 502,
                client_error(format, 502, "api_error",
                             "The upstream sent a response the gateway cannot read.")};
        }
        out = std::move(*converted);
    } else {
        out = std::move(*whole);
        upstream::read_passthrough_usage(out, billed);
        rewrite_model(out, upstream_model, call.model);
    }
    co_await ctx.send(200, "application/json", std::move(out));
    co_return attempt::delivered();
}

net::awaitable<void> relay_service::impl::serve_sandbox(request_context& ctx) {
    const auto path = ctx.path();
    const auto format = format_for_path(path);
    if (path != "/sandbox/v1/chat/completions" && path != "/sandbox/v1/responses" &&
        path != "/sandbox/v1/messages") {
        co_await send_error(
            ctx, format, 404,
            fmt::format("Invalid URL ({} {})", bhttp::to_string(ctx.request().method()), path));
        co_return;
    }
    if (ctx.request().method() != bhttp::verb::post) {
        co_await send_error(ctx, format, 405, "Method not allowed: use POST.");
        co_return;
    }
    auto parsed = co_await parse_body(ctx, format);
    if (!parsed) co_return;
    bool stream = false;
    std::string error;
    if (!read_stream_flag(*parsed, stream, error)) {
        co_await send_error(ctx, format, 400, error);
        co_return;
    }
    std::string model = "mock";
    if (const auto* m = parsed->if_contains("model"); m && m->is_string()) {
        model = std::string(m->get_string());
    }
    auto reply = providers::mock::make_reply(*parsed, format);
    providers::mock::identity who{ctx.request_id(), model, std::time(nullptr)};
    switch (format) {
        case api_format::openai_chat:
            if (stream) {
                co_await send_events(ctx,
                                     providers::mock::chat_completion_stream(reply, who, true));
            } else {
                co_await ctx.send(200, "application/json",
                                  providers::mock::chat_completion(reply, who));
            }
            break;
        case api_format::openai_responses:
            if (stream) {
                co_await send_events(ctx, providers::mock::responses_stream(reply, who));
            } else {
                co_await ctx.send(200, "application/json",
                                  providers::mock::responses_object(reply, who));
            }
            break;
        case api_format::anthropic_messages:
            if (stream) {
                co_await send_events(ctx, providers::mock::messages_stream(reply, who));
            } else {
                co_await ctx.send(200, "application/json",
                                  providers::mock::messages_object(reply, who));
            }
            break;
    }
}

}  // namespace gateway::server
