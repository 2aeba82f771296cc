#include "gateway/server/relay_service.hpp"

#include "gateway/core/api_format.hpp"
#include "gateway/core/log.hpp"
#include "gateway/stream/sse_parser.hpp"
#include "gateway/stream/sse_writer.hpp"
#include "providers/mock/mock.hpp"

#include <fmt/format.h>
#include <boost/asio/this_coro.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <ctime>

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

/// `base_url` + the API path, accepting base URLs given with or without the `/v1` suffix.
std::string upstream_url(std::string_view base_url, std::string_view path_after_v1) {
    while (!base_url.empty() && base_url.back() == '/') base_url.remove_suffix(1);
    if (base_url.ends_with("/v1")) return fmt::format("{}{}", base_url, path_after_v1);
    return fmt::format("{}/v1{}", base_url, path_after_v1);
}

struct usage_counts {
    std::int64_t prompt = 0;
    std::int64_t completion = 0;
    bool known = false;
};

void read_chat_usage(const json::value& usage, usage_counts& out) {
    const auto* obj = usage.if_object();
    if (obj == nullptr) return;
    auto number = [&](const char* key) -> std::int64_t {
        const auto* v = obj->if_contains(key);
        if (v == nullptr) return 0;
        if (v->is_int64()) return v->get_int64();
        if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
        return 0;
    };
    out.prompt = number("prompt_tokens");
    out.completion = number("completion_tokens");
    out.known = true;
}

/// Where `"usage"` is followed by an object in a chunk's JSON text (cheap pre-check before
/// parsing: most chunks carry `"usage":null` or no usage at all).
bool has_usage_object(std::string_view data) {
    auto pos = data.find("\"usage\"");
    while (pos != std::string_view::npos) {
        auto i = pos + 7;
        while (i < data.size() && (data[i] == ' ' || data[i] == ':')) ++i;
        if (i < data.size() && data[i] == '{') return true;
        pos = data.find("\"usage\"", i);
    }
    return false;
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

}  // namespace

struct relay_service::impl {
    io_pool& pool;
    std::shared_ptr<const auth::token_table> tokens;
    std::shared_ptr<const routing::router> router;
    storage::log_writer* logs;
    relay_options options;
    std::vector<std::unique_ptr<http::client>> clients;  // one per worker

    net::awaitable<void> serve_models(request_context& ctx);
    net::awaitable<void> serve_chat(request_context& ctx);
    net::awaitable<void> serve_sandbox(request_context& ctx);
    net::awaitable<attempt> relay_openai_chat(request_context& ctx, const routing::channel& channel,
                                              const json::object& body, bool stream,
                                              usage_counts& usage);
    net::awaitable<void> answer_mock_chat(request_context& ctx, const json::object& body,
                                          std::string_view model, bool stream, usage_counts& usage);

    const auth::token* authenticate(request_context& ctx, api_format format, unsigned& status,
                                    std::string& error);
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

/// Parses a JSON object body; on failure answers 400 and returns nullopt.
net::awaitable<std::optional<json::object>> parse_body(request_context& ctx, api_format format) {
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
          impl{pool, std::move(tokens), std::move(router), logs, std::move(options), {}})) {
    for (std::size_t i = 0; i < pool.size(); ++i) {
        impl_->clients.push_back(std::make_unique<http::client>(pool.context(i).get_executor(),
                                                                impl_->options.upstream));
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
    if (path == "/v1/chat/completions") {
        if (!expect(bhttp::verb::post)) {
            co_await send_error(ctx, format, 405,
                                "Method not allowed: use POST /v1/chat/completions.");
        } else {
            co_await impl_->serve_chat(ctx);
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

const auth::token* relay_service::impl::authenticate(request_context& ctx, api_format format,
                                                     unsigned& status, std::string& error) {
    const auto& req = ctx.request();
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

net::awaitable<void> relay_service::impl::serve_chat(request_context& ctx) {
    constexpr auto format = api_format::openai_chat;
    unsigned status = 0;
    std::string error;
    const auto* token = authenticate(ctx, format, status, error);
    if (token == nullptr) {
        co_await send_error(ctx, format, status, error, "invalid_api_key");
        co_return;
    }
    auto parsed = co_await parse_body(ctx, format);
    if (!parsed) co_return;
    const json::object& body = *parsed;

    const auto* model_value = body.if_contains("model");
    if (model_value == nullptr || !model_value->is_string() || model_value->get_string().empty()) {
        co_await send_error(ctx, format, 400, "you must provide a model parameter");
        co_return;
    }
    const std::string model(model_value->get_string());
    const auto* messages = body.if_contains("messages");
    if (messages == nullptr || !messages->is_array() || messages->get_array().empty()) {
        co_await send_error(ctx, format, 400,
                            "Invalid 'messages': expected a non-empty array of messages.");
        co_return;
    }
    bool stream = false;
    if (!read_stream_flag(body, stream, error)) {
        co_await send_error(ctx, format, 400, error);
        co_return;
    }
    if (!token->allows_model(model)) {
        co_await send_error(ctx, format, 403,
                            fmt::format("This API key may not use the model `{}`.", model),
                            "model_not_allowed");
        co_return;
    }
    if (!token->has_quota()) {
        co_await send_error(ctx, format, 429,
                            "You exceeded your current quota: this API key has no quota left.",
                            "insufficient_quota", "insufficient_quota");
        co_return;
    }
    auto candidates = router->candidates(model);
    if (candidates.empty()) {
        co_await send_error(
            ctx, format, 404,
            fmt::format("The model `{}` does not exist or you do not have access to it.", model),
            "model_not_found");
        co_return;
    }

    // Accepted: from here on the request is logged exactly once, whatever happens.
    storage::request_log entry;
    entry.request_id = std::string(ctx.request_id());
    entry.token_id = token->id;
    entry.endpoint = std::string(ctx.path());
    entry.model = model;
    entry.stream = stream;
    entry.created_at_ms = unix_ms();
    usage_counts usage;

    attempt last;
    for (const auto* channel : candidates) {
        entry.channel_id = channel->id;
        entry.upstream_model = std::string(channel->upstream_model(model));
        if (channel->type == "mock") {
            co_await answer_mock_chat(ctx, body, model, stream, usage);
            last = attempt::delivered();
            break;
        }
        last = co_await relay_openai_chat(ctx, *channel, body, stream, usage);
        if (last.sent || !last.retryable || ctx.client_closed()) break;
        log::warn(fmt::format("request {}: channel {} failed with {}, trying the next",
                              ctx.request_id(), channel->name, last.status));
    }
    if (!last.sent && !ctx.client_closed()) {
        co_await ctx.send(last.status, "application/json", std::move(last.body));
        entry.error = "upstream failed";
    }

    const auto end = std::chrono::steady_clock::now();
    // 499: the client closed the connection before its response was complete (nginx's code).
    entry.status = ctx.client_closed() ? 499 : static_cast<int>(ctx.response_status());
    if (ctx.client_closed() && entry.error.empty()) entry.error = "client closed the connection";
    entry.duration_ms = ms_between(ctx.started_at(), end);
    entry.first_byte_ms =
        ctx.bytes_written() > 0 ? ms_between(ctx.started_at(), ctx.first_byte_at()) : -1;
    entry.prompt_tokens = usage.prompt;
    entry.completion_tokens = usage.completion;
    // One quota unit per token until per-model pricing lands.
    entry.quota = usage.prompt + usage.completion;
    token->charge(entry.quota);
    if (logs != nullptr) logs->submit(std::move(entry));
}

net::awaitable<void> relay_service::impl::answer_mock_chat(request_context& ctx,
                                                           const json::object& body,
                                                           std::string_view model, bool stream,
                                                           usage_counts& usage) {
    auto reply = providers::mock::make_reply(body, api_format::openai_chat);
    providers::mock::identity who{ctx.request_id(), model, std::time(nullptr)};
    usage = {reply.input_tokens, reply.output_tokens, true};
    if (!stream) {
        co_await ctx.send(200, "application/json", providers::mock::chat_completion(reply, who));
        co_return;
    }
    bool include_usage = false;
    if (const auto* so = body.if_contains("stream_options"); so && so->is_object()) {
        if (const auto* iu = so->get_object().if_contains("include_usage"); iu && iu->is_bool()) {
            include_usage = iu->get_bool();
        }
    }
    ctx.on_client_close([] {});
    co_await send_events(ctx, providers::mock::chat_completion_stream(reply, who, include_usage));
}

net::awaitable<attempt> relay_service::impl::relay_openai_chat(request_context& ctx,
                                                               const routing::channel& channel,
                                                               const json::object& body,
                                                               bool stream, usage_counts& usage) {
    constexpr auto format = api_format::openai_chat;
    json::object upstream_body = body;
    upstream_body["model"] = channel.upstream_model(body.at("model").get_string());
    bool client_wants_usage = false;
    if (stream) {
        // Ask for the usage chunk so the request can be billed; it is passed on only to
        // clients that asked for it themselves.
        auto& so = upstream_body["stream_options"];
        if (!so.is_object()) so = json::object{};
        auto& iu = so.get_object()["include_usage"];
        client_wants_usage = iu.is_bool() && iu.get_bool();
        iu = true;
    }

    http::request req;
    req.method = bhttp::verb::post;
    req.url = upstream_url(channel.base_url, "/chat/completions");
    req.headers.set(bhttp::field::content_type, "application/json");
    req.headers.set(bhttp::field::accept, stream ? "text/event-stream" : "application/json");
    if (auto key = channel.next_key(); !key.empty()) {
        req.headers.set(bhttp::field::authorization, fmt::format("Bearer {}", key));
    }
    req.body = json::serialize(upstream_body);

    auto& client = *clients[ctx.worker()];
    std::unique_ptr<http::exchange> ex;
    // Declared after `ex`, so it stops watching before `ex` is destroyed.
    struct watch_guard {
        request_context& ctx;
        ~watch_guard() { ctx.stop_watching(); }
    } guard{ctx};
    ctx.on_client_close([&ex] {
        if (ex) ex->cancel();
    });

    auto opened = co_await client.async_open(std::move(req));
    if (!opened) {
        const auto& ec = opened.error();
        log::warn(fmt::format("request {}: upstream {}: {}", ctx.request_id(), channel.name,
                              ec.message()));
        unsigned status = status_for(ec);
        co_return attempt{
            false, ec == condition::retryable, status,
            error_body(format, status, fmt::format("Upstream request failed: {}.", ec.message()),
                       {}, "upstream_error")};
    }
    ex = std::move(*opened);
    if (ctx.client_closed()) {
        ex->cancel();
        co_return attempt{};
    }

    const unsigned status = ex->status();
    if (status >= 400) {
        auto error = co_await ex->async_read_all();
        std::string upstream_body_text = error ? std::move(*error) : std::string{};
        error_code parse_ec;
        auto parsed = json::parse(upstream_body_text, parse_ec);
        bool is_error_json =
            !parse_ec && parsed.is_object() && parsed.get_object().contains("error");
        if (!is_error_json) {
            upstream_body_text =
                error_body(format, status,
                           fmt::format("Upstream answered HTTP {} without an error body.", status),
                           {}, "upstream_error");
        }
        co_return attempt{false, status == 429 || status >= 500, status,
                          std::move(upstream_body_text)};
    }

    const auto content_type = ex->headers()[bhttp::field::content_type];
    if (!stream || !content_type.starts_with("text/event-stream")) {
        auto whole = co_await ex->async_read_all();
        if (!whole) {
            if (ctx.client_closed()) co_return attempt{};
            unsigned error_status = status_for(whole.error());
            co_return attempt{
                false, whole.error() == condition::retryable, error_status,
                error_body(format, error_status,
                           fmt::format("Upstream response failed: {}.", whole.error().message()),
                           {}, "upstream_error")};
        }
        error_code parse_ec;
        auto parsed = json::parse(*whole, parse_ec);
        if (parse_ec || !parsed.is_object()) {
            co_return attempt{false, true, 502,
                              error_body(format, 502, "Upstream sent a response that is not JSON.",
                                         {}, "upstream_error")};
        }
        if (const auto* u = parsed.get_object().if_contains("usage")) read_chat_usage(*u, usage);
        co_await ctx.send(status, "application/json", std::move(*whole));
        co_return attempt::delivered();
    }

    if (auto ec = co_await ctx.begin_stream(status, "text/event-stream")) {
        ex->cancel();
        co_return attempt::delivered();
    }
    stream::sse_parser parser;
    std::string out;
    bool done = false;
    std::int64_t delta_chunks = 0;
    auto on_event = [&](const stream::sse_event& ev) {
        if (ev.data == "[DONE]") {
            done = true;
            out += stream::sse_done;
            return;
        }
        if (has_usage_object(ev.data)) {
            error_code ec;
            auto chunk = json::parse(ev.data, ec);
            if (!ec && chunk.is_object()) {
                const auto& obj = chunk.get_object();
                if (const auto* u = obj.if_contains("usage")) read_chat_usage(*u, usage);
                const auto* choices = obj.if_contains("choices");
                bool usage_only = choices && choices->is_array() && choices->get_array().empty();
                if (usage_only && !client_wants_usage) return;
            }
        } else {
            ++delta_chunks;
        }
        stream::append_sse_event(out, ev.event, ev.data);
    };
    std::string failure;
    for (;;) {
        auto piece = co_await ex->async_read_some();
        if (!piece) {
            if (!ctx.client_closed()) failure = piece.error().message();
            break;
        }
        if (piece->empty()) break;
        if (auto fed = parser.feed(*piece, on_event); !fed) {
            failure = fmt::format("upstream event stream: {}", fed.error().message());
            ex->cancel();
            break;
        }
        if (!out.empty()) {
            auto ec = co_await ctx.write(out);
            out.clear();
            if (ec) {
                ex->cancel();
                break;
            }
        }
    }
    if (ctx.client_closed()) co_return attempt::delivered();
    if (!failure.empty() || !done) {
        if (failure.empty()) failure = "upstream stream ended before [DONE]";
        log::warn(fmt::format("request {}: {}", ctx.request_id(), failure));
        json::object err{{"error",
                          {{"message", fmt::format("The upstream stream failed: {}.", failure)},
                           {"type", "upstream_error"},
                           {"param", nullptr},
                           {"code", nullptr}}}};
        stream::append_sse_data(out, json::serialize(err));
    }
    const bool client_ok = out.empty() || !(co_await ctx.write(out));
    if (client_ok) co_await ctx.end_stream();
    if (!usage.known) {
        // No usage chunk arrived (interrupted stream): bill what was seen, roughly one token
        // per delta chunk and four bytes per prompt token.
        usage.prompt = static_cast<std::int64_t>(ctx.request().body().size() / 4);
        usage.completion = delta_chunks;
    }
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
