// The canonical types as JSON (golden files, logs) and back for stream events.

#include "gateway/core/canonical_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <optional>

namespace gateway {

namespace json = boost::json;

namespace {

void put(json::object& o, std::string_view key, std::string_view value) {
    if (!value.empty()) o[key] = value;
}

template <class T>
void put(json::object& o, std::string_view key, const std::optional<T>& value) {
    if (value) o[key] = *value;
}

void put(json::object& o, std::string_view key, const json::object& value) {
    if (!value.empty()) o[key] = value;
}

json::value to_json(const media_source& s) {
    json::object o;
    switch (s.type) {
        case media_source::kind::url: o["type"] = "url"; break;
        case media_source::kind::base64: o["type"] = "base64"; break;
        case media_source::kind::file_id: o["type"] = "file_id"; break;
        case media_source::kind::text: o["type"] = "text"; break;
    }
    put(o, "media_type", s.media_type);
    put(o, "data", s.data);
    put(o, "detail", s.detail);
    put(o, "filename", s.filename);
    return o;
}

json::value to_json(const usage& u) {
    json::object o;
    o["input_tokens"] = u.input_tokens;
    o["output_tokens"] = u.output_tokens;
    if (u.cache_read_tokens != 0) o["cache_read_tokens"] = u.cache_read_tokens;
    if (u.cache_creation_tokens != 0) o["cache_creation_tokens"] = u.cache_creation_tokens;
    if (u.reasoning_tokens != 0) o["reasoning_tokens"] = u.reasoning_tokens;
    return o;
}

json::array blocks_to_json(const std::vector<content_block>& blocks) {
    json::array a;
    a.reserve(blocks.size());
    for (const content_block& b : blocks) a.push_back(to_json(b));
    return a;
}

// --- back from JSON (stream events only) ---------------------------------------------------

std::string_view str(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || !v->is_string()) return {};
    return v->get_string();
}

std::int64_t integer(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr) return 0;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
    return 0;
}

template <class Enum, std::size_t N>
std::optional<Enum> enum_from(std::string_view name, const std::array<Enum, N>& all) {
    for (Enum e : all) {
        if (to_string(e) == name) return e;
    }
    return std::nullopt;
}

constexpr std::array all_block_kinds{block_kind::text,     block_kind::image,
                                     block_kind::document, block_kind::tool_use,
                                     block_kind::tool_result, block_kind::thinking,
                                     block_kind::redacted_thinking, block_kind::refusal};
constexpr std::array all_origins{reasoning_origin::none, reasoning_origin::anthropic,
                                 reasoning_origin::openai, reasoning_origin::gemini};
constexpr std::array all_event_types{
    stream_event_type::message_start, stream_event_type::block_start,
    stream_event_type::block_delta,   stream_event_type::block_stop,
    stream_event_type::message_delta, stream_event_type::message_stop,
    stream_event_type::error};
constexpr std::array all_delta_types{delta_type::text, delta_type::thinking, delta_type::signature,
                                     delta_type::tool_arguments};
constexpr std::array all_finish_reasons{
    finish_reason::none,           finish_reason::stop,       finish_reason::stop_sequence,
    finish_reason::length,         finish_reason::tool_use,   finish_reason::content_filter,
    finish_reason::refusal,        finish_reason::pause_turn, finish_reason::context_window,
    finish_reason::error};

content_block block_from_json(const json::object& o) {
    content_block b;
    b.kind = enum_from(str(o, "kind"), all_block_kinds).value_or(block_kind::text);
    b.text = str(o, "text");
    b.id = str(o, "id");
    b.name = str(o, "name");
    b.arguments = str(o, "arguments");
    b.signature = str(o, "signature");
    b.signature_origin =
        enum_from(str(o, "signature_origin"), all_origins).value_or(reasoning_origin::none);
    if (const json::value* v = o.if_contains("is_error"); v != nullptr && v->is_bool()) {
        b.is_error = v->get_bool();
    }
    if (const json::value* v = o.if_contains("source"); v != nullptr && v->is_object()) {
        const json::object& s = v->get_object();
        const std::string_view type = str(s, "type");
        b.source.type = type == "base64"    ? media_source::kind::base64
                        : type == "file_id" ? media_source::kind::file_id
                        : type == "text"    ? media_source::kind::text
                                            : media_source::kind::url;
        b.source.media_type = str(s, "media_type");
        b.source.data = str(s, "data");
        b.source.detail = str(s, "detail");
        b.source.filename = str(s, "filename");
    }
    if (const json::value* v = o.if_contains("content"); v != nullptr && v->is_array()) {
        for (const json::value& item : v->get_array()) {
            if (item.is_object()) b.content.push_back(block_from_json(item.get_object()));
        }
    }
    if (const json::value* v = o.if_contains("extra"); v != nullptr && v->is_object()) {
        b.extra = v->get_object();
    }
    return b;
}

usage usage_from_json(const json::object& o) {
    usage u;
    u.input_tokens = integer(o, "input_tokens");
    u.output_tokens = integer(o, "output_tokens");
    u.cache_read_tokens = integer(o, "cache_read_tokens");
    u.cache_creation_tokens = integer(o, "cache_creation_tokens");
    u.reasoning_tokens = integer(o, "reasoning_tokens");
    u.reported = true;
    return u;
}

}  // namespace

json::value to_json(const content_block& b) {
    json::object o;
    o["kind"] = to_string(b.kind);
    put(o, "text", b.text);
    if (b.kind == block_kind::image || b.kind == block_kind::document) {
        o["source"] = to_json(b.source);
    }
    put(o, "id", b.id);
    put(o, "name", b.name);
    put(o, "arguments", b.arguments);
    if (!b.content.empty()) o["content"] = blocks_to_json(b.content);
    if (b.is_error) o["is_error"] = true;
    put(o, "signature", b.signature);
    if (b.signature_origin != reasoning_origin::none) {
        o["signature_origin"] = to_string(b.signature_origin);
    }
    put(o, "extra", b.extra);
    return o;
}

json::value to_json(const request& r) {
    json::object o;
    o["source_format"] = to_string(r.source_format);
    o["model"] = r.model;
    if (!r.system.empty()) o["system"] = blocks_to_json(r.system);
    if (r.system_is_developer) o["system_is_developer"] = true;
    json::array messages;
    for (const message& m : r.messages) {
        json::object mo;
        mo["role"] = to_string(m.role);
        mo["content"] = blocks_to_json(m.content);
        put(mo, "name", m.name);
        if (m.developer) mo["developer"] = true;
        messages.push_back(std::move(mo));
    }
    o["messages"] = std::move(messages);
    if (!r.tools.empty()) {
        json::array tools;
        for (const tool& t : r.tools) {
            json::object to;
            to["type"] = t.type;
            put(to, "name", t.name);
            put(to, "description", t.description);
            if (!t.parameters.is_null()) to["parameters"] = t.parameters;
            put(to, "strict", t.strict);
            put(to, "extra", t.extra);
            tools.push_back(std::move(to));
        }
        o["tools"] = std::move(tools);
    }
    if (r.choice.type != tool_choice::mode::unset) {
        json::object c;
        switch (r.choice.type) {
            case tool_choice::mode::unset: break;
            case tool_choice::mode::auto_: c["type"] = "auto"; break;
            case tool_choice::mode::none: c["type"] = "none"; break;
            case tool_choice::mode::required: c["type"] = "required"; break;
            case tool_choice::mode::tool: c["type"] = "tool"; break;
        }
        put(c, "name", r.choice.name);
        o["tool_choice"] = std::move(c);
    }
    put(o, "parallel_tool_calls", r.parallel_tool_calls);
    if (r.format.type != response_format::kind::text) {
        json::object f;
        f["type"] = r.format.type == response_format::kind::json_object ? "json_object"
                                                                         : "json_schema";
        put(f, "name", r.format.name);
        put(f, "description", r.format.description);
        if (!r.format.schema.is_null()) f["schema"] = r.format.schema;
        put(f, "strict", r.format.strict);
        o["response_format"] = std::move(f);
    }
    {
        json::object re;
        put(re, "effort", r.reasoning.effort);
        put(re, "budget_tokens", r.reasoning.budget_tokens);
        put(re, "enabled", r.reasoning.enabled);
        put(re, "summary", r.reasoning.summary);
        put(re, "include_thoughts", r.reasoning.include_thoughts);
        if (!re.empty()) o["reasoning"] = std::move(re);
    }
    {
        json::object s;
        put(s, "temperature", r.sampler.temperature);
        put(s, "top_p", r.sampler.top_p);
        put(s, "top_k", r.sampler.top_k);
        put(s, "presence_penalty", r.sampler.presence_penalty);
        put(s, "frequency_penalty", r.sampler.frequency_penalty);
        put(s, "seed", r.sampler.seed);
        if (!r.sampler.stop.empty()) {
            json::array stop;
            for (const std::string& st : r.sampler.stop) stop.emplace_back(st);
            s["stop"] = std::move(stop);
        }
        if (!s.empty()) o["sampling"] = std::move(s);
    }
    put(o, "max_output_tokens", r.max_output_tokens);
    put(o, "n", r.n);
    if (r.stream) o["stream"] = true;
    if (r.include_usage) o["include_usage"] = true;
    put(o, "user", r.user);
    put(o, "metadata", r.metadata);
    put(o, "service_tier", r.service_tier);
    put(o, "store", r.store);
    put(o, "previous_response_id", r.previous_response_id);
    put(o, "extra", r.extra);
    return o;
}

json::value to_json(const response& r) {
    json::object o;
    put(o, "id", r.id);
    put(o, "model", r.model);
    o["content"] = blocks_to_json(r.content);
    o["finish"] = to_string(r.finish);
    put(o, "stop_sequence", r.stop_sequence);
    if (r.usage.reported) o["usage"] = to_json(r.usage);
    if (r.created != 0) o["created"] = r.created;
    put(o, "extra", r.extra);
    return o;
}

json::value to_json(const upstream_error& e) {
    json::object o;
    o["status"] = e.status;
    put(o, "type", e.type);
    put(o, "code", e.code);
    put(o, "param", e.param);
    o["message"] = e.message;
    return o;
}

json::value to_json(const stream_event& e) {
    json::object o;
    o["type"] = to_string(e.type);
    switch (e.type) {
        case stream_event_type::message_start:
            put(o, "id", e.id);
            put(o, "model", e.model);
            if (e.tokens != nullptr) o["usage"] = to_json(*e.tokens);
            break;
        case stream_event_type::block_start:
            o["index"] = e.index;
            if (e.block != nullptr) o["block"] = to_json(*e.block);
            break;
        case stream_event_type::block_delta:
            o["index"] = e.index;
            o["delta"] = to_string(e.delta);
            o["data"] = e.data;
            break;
        case stream_event_type::block_stop: o["index"] = e.index; break;
        case stream_event_type::message_delta:
            if (e.finish != finish_reason::none) o["finish"] = to_string(e.finish);
            put(o, "stop_sequence", e.stop_sequence);
            if (e.tokens != nullptr) o["usage"] = to_json(*e.tokens);
            break;
        case stream_event_type::message_stop: break;
        case stream_event_type::error:
            if (e.error != nullptr) o["error"] = to_json(*e.error);
            break;
    }
    return o;
}

void event_recorder::on_event(const stream_event& event) {
    lines_ += json::serialize(to_json(event));
    lines_ += '\n';
    ++count_;
}

result<void> replay_events(std::string_view jsonl, event_sink& sink) {
    while (!jsonl.empty()) {
        const std::size_t end = jsonl.find('\n');
        const std::string_view line = jsonl.substr(0, end);
        jsonl.remove_prefix(end == std::string_view::npos ? jsonl.size() : end + 1);
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;

        error_code ec;
        const json::value v = json::parse(line, ec);
        if (ec || !v.is_object()) return errc::bad_request;
        const json::object& o = v.get_object();
        const auto type = enum_from(str(o, "type"), all_event_types);
        if (!type) return errc::bad_request;

        stream_event e;
        e.type = *type;
        e.index = static_cast<std::uint32_t>(integer(o, "index"));
        e.delta = enum_from(str(o, "delta"), all_delta_types).value_or(delta_type::text);
        e.data = str(o, "data");
        e.id = str(o, "id");
        e.model = str(o, "model");
        e.finish = enum_from(str(o, "finish"), all_finish_reasons).value_or(finish_reason::none);
        e.stop_sequence = str(o, "stop_sequence");
        content_block block;
        if (const json::value* b = o.if_contains("block"); b != nullptr && b->is_object()) {
            block = block_from_json(b->get_object());
            e.block = &block;
        }
        usage tokens;
        if (const json::value* u = o.if_contains("usage"); u != nullptr && u->is_object()) {
            tokens = usage_from_json(u->get_object());
            e.tokens = &tokens;
        }
        upstream_error error;
        if (const json::value* er = o.if_contains("error"); er != nullptr && er->is_object()) {
            const json::object& eo = er->get_object();
            error.status = static_cast<unsigned>(integer(eo, "status"));
            error.type = str(eo, "type");
            error.code = str(eo, "code");
            error.param = str(eo, "param");
            error.message = str(eo, "message");
            e.error = &error;
        }
        sink.on_event(e);
    }
    return {};
}

}  // namespace gateway
