// Canonical request -> Gemini generateContent / streamGenerateContent request.
//
// Reference: https://ai.google.dev/api/generate-content (GenerateContentRequest, Content, Part,
// Tool, ToolConfig, GenerationConfig) and the v1beta OpenAPI export in the reference set.
// Gemini rejects unknown fields ("Invalid JSON payload received. Unknown name …"), so only the
// fields below are ever written; everything else is reported as dropped or rejected.

#include "formats/gemini/codec.hpp"
#include "formats/gemini/model_traits.hpp"
#include "formats/json_util.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <string>
#include <unordered_map>
#include <utility>

namespace gateway::formats::gemini {

namespace json = boost::json;

model_traits traits_of(std::string_view name) noexcept {
    model_traits t;
    if (!name.starts_with("gemini-")) return t;
    t.gemini = true;
    std::string_view rest = name.substr(7);
    // "2.5-flash", "3-pro-preview", "2.0-flash-001"; aliases ("flash-latest") have no number.
    std::size_t i = 0;
    int major = 0;
    while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9' && major < 1000) {
        major = major * 10 + (rest[i++] - '0');
    }
    if (i > 0) {
        t.major = major;
        if (i + 1 < rest.size() && rest[i] == '.') {
            ++i;
            int minor = 0;
            while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9' && minor < 1000) {
                minor = minor * 10 + (rest[i++] - '0');
            }
            t.minor = minor;
        }
    }
    t.pro = rest.find("pro") != std::string_view::npos;
    t.flash = rest.find("flash") != std::string_view::npos;
    t.lite = rest.find("lite") != std::string_view::npos;
    return t;
}

namespace {

/// Google's documented stand-in for a thought signature on function calls that Gemini did not
/// produce (history from another model, or built by hand): "skip_thought_signature_validator"
/// (https://ai.google.dev/gemini-api/docs/thought-signatures, FAQ). Gemini 3 answers 400 when the
/// first functionCall of a step in the current turn has no signature at all.
constexpr std::string_view dummy_signature = "skip_thought_signature_validator";

/// Where Gemini Files API uploads live (`files/{id}` is the resource name, the URI is this plus
/// it: https://ai.google.dev/api/files).
constexpr std::string_view files_api_prefix = "https://generativelanguage.googleapis.com/v1beta/";

bool valid_model_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

/// The MIME type of a URL's file, judged by its extension (Gemini wants one on fileData for
/// anything but Files API URIs). Empty when unknown.
std::string_view mime_from_url(std::string_view url) {
    url = url.substr(0, std::min(url.find('?'), url.find('#')));
    const std::size_t dot = url.rfind('.');
    const std::size_t slash = url.rfind('/');
    if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
        return {};
    }
    const std::string ext = lower(url.substr(dot + 1));
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 19> table{{
        {"png", "image/png"},    {"jpg", "image/jpeg"},      {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},    {"webp", "image/webp"},     {"heic", "image/heic"},
        {"heif", "image/heif"},  {"pdf", "application/pdf"}, {"txt", "text/plain"},
        {"md", "text/markdown"}, {"html", "text/html"},      {"csv", "text/csv"},
        {"xml", "text/xml"},     {"mp3", "audio/mp3"},       {"wav", "audio/wav"},
        {"flac", "audio/flac"},  {"mp4", "video/mp4"},       {"mov", "video/mov"},
        {"webm", "video/webm"},
    }};
    for (const auto& [e, mime] : table) {
        if (e == ext) return mime;
    }
    return {};
}

/// The MIME type of base64 data judged by its first bytes, for clients that omit it.
std::string_view mime_from_base64(std::string_view data) {
    if (data.starts_with("iVBORw0KGgo")) return "image/png";
    if (data.starts_with("/9j/")) return "image/jpeg";
    if (data.starts_with("R0lGOD")) return "image/gif";
    if (data.starts_with("UklGR")) return "image/webp";
    if (data.starts_with("JVBERi0")) return "application/pdf";
    return {};
}

/// A client's JSON Schema for parametersJsonSchema / responseJsonSchema: sent as it is, except
/// the top-level `$schema` (a dialect marker, meaningless to Gemini, which documents the keywords
/// it reads and names no `$schema`).
json::value schema_for_gemini(const json::value& schema) {
    json::value out = schema;
    if (json::object* o = out.if_object()) o->erase("$schema");
    return out;
}

std::string path_of(std::size_t message, std::size_t block) {
    return "messages[" + std::to_string(message) + "].content[" + std::to_string(block) + "]";
}

class request_encoder {
  public:
    request_encoder(const request& req, const upstream::encode_options& options,
                    conversion_report& report)
        : req_(req), options_(options), report_(report) {}

    result<upstream::http_request_parts> run() {
        std::string_view model =
            options_.model.empty() ? std::string_view(req_.model) : options_.model;
        std::string_view collection = "models";
        // A "models/" prefix the user gave is the resource name's, not part of the id.
        if (model.starts_with("models/")) {
            model.remove_prefix(7);
        } else if (model.starts_with("tunedModels/")) {
            collection = "tunedModels";
            model.remove_prefix(12);
        }
        // The name goes into the URL path: anything else could change the request's target.
        if (model.empty() || !std::all_of(model.begin(), model.end(), valid_model_char)) {
            return fail(errc::bad_request, "model",
                        "model: '" + std::string(model) + "' is not a valid Gemini model name");
        }
        traits_ = traits_of(model);
        model_ = model;
        caps_ = options_.capabilities != nullptr
                    ? *options_.capabilities
                    : upstream::builtin_capabilities(upstream::upstream_format::gemini, model);

        json::object body;
        if (!encode_contents(body)) return failure_;
        if (!encode_tools(body)) return failure_;
        json::object config;
        if (!encode_generation_config(config)) return failure_;
        if (!config.empty()) body["generationConfig"] = std::move(config);
        if (!encode_unmodelled()) return failure_;

        upstream::http_request_parts out;
        out.path = "/";
        out.path += collection;
        out.path += '/';
        out.path += model;
        out.path += options_.stream ? ":streamGenerateContent?alt=sse" : ":generateContent";
        out.body = json::serialize(body);
        out.headers.emplace_back("Content-Type", "application/json");
        return out;
    }

  private:
    bool fail_flag(errc code, std::string_view param, std::string message) {
        report_.fail(param, message);
        failure_ = code;
        return false;
    }
    error_code fail(errc code, std::string_view param, std::string message) {
        fail_flag(code, param, std::move(message));
        return failure_;
    }

    /// The capability table's decision for `param`, applied: true to send it. Emulation has no
    /// meaning for the plain knobs this is used for, so it counts as a drop.
    bool admit(std::string_view param, param_action fallback = param_action::pass) {
        switch (caps_.action(param, fallback)) {
            case param_action::pass:
                return true;
            case param_action::drop:
            case param_action::emulate:
                report_.dropped(param);
                return false;
            case param_action::reject:
                fail_flag(errc::unsupported_feature, param,
                          std::string(param) + " is not supported by " + model_);
                return false;
        }
        return true;
    }

    // ---- contents and systemInstruction ------------------------------------------------------

    bool encode_contents(json::object& body) {
        json::array system_parts;
        for (std::size_t j = 0; j < req_.system.size(); ++j) {
            const std::string param = "system[" + std::to_string(j) + "]";
            if (!add_system_block(system_parts, req_.system[j], param)) return false;
        }

        json::array contents;
        std::string_view last_role;
        for (std::size_t i = 0; i < req_.messages.size(); ++i) {
            const message& m = req_.messages[i];
            if (m.role == role::system) {
                // Gemini has one systemInstruction and no system turns.
                for (std::size_t j = 0; j < m.content.size(); ++j) {
                    if (!add_system_block(system_parts, m.content[j], path_of(i, j))) return false;
                }
                report_.changed("messages[" + std::to_string(i) + "]",
                                "folded into systemInstruction");
                continue;
            }
            const bool assistant = m.role == role::assistant;
            json::array parts;
            for (std::size_t j = 0; j < m.content.size(); ++j) {
                if (!add_block(parts, m.content[j], assistant, i, j)) return false;
            }
            if (parts.empty()) continue;  // Gemini rejects a Content without parts
            const std::string_view role_name = assistant ? "model" : "user";
            if (!contents.empty() && last_role == role_name) {
                // Gemini wants turns to alternate; consecutive messages of one role are one turn.
                json::array& prev = contents.back().get_object()["parts"].get_array();
                for (json::value& p : parts) prev.push_back(std::move(p));
            } else {
                json::object c;
                c["role"] = role_name;
                c["parts"] = std::move(parts);
                contents.push_back(std::move(c));
                last_role = role_name;
            }
        }
        if (contents.empty()) {
            return fail_flag(errc::bad_request, "messages",
                             "messages: Gemini needs at least one user or assistant message with "
                             "content");
        }
        if (traits_.validates_signatures()) sign_foreign_calls(contents);

        body["contents"] = std::move(contents);
        if (!system_parts.empty()) {
            json::object si;
            si["parts"] = std::move(system_parts);
            body["systemInstruction"] = std::move(si);
        }
        return true;
    }

    bool add_system_block(json::array& parts, const content_block& b, const std::string& param) {
        if (b.kind != block_kind::text) {
            return fail_flag(errc::unsupported_feature, param,
                             param + ": Gemini's systemInstruction takes text only, not " +
                                 std::string(to_string(b.kind)));
        }
        if (b.text.empty()) return true;
        json::object p;
        p["text"] = b.text;
        parts.push_back(std::move(p));
        return true;
    }

    static bool gemini_signed(const content_block& b) {
        return b.signature_origin == reasoning_origin::gemini && !b.signature.empty();
    }

    bool add_block(json::array& parts, const content_block& b, bool assistant, std::size_t i,
                   std::size_t j) {
        switch (b.kind) {
            case block_kind::text:
            case block_kind::refusal: {
                json::object p;
                p["text"] = b.text;
                if (gemini_signed(b)) p["thoughtSignature"] = b.signature;
                parts.push_back(std::move(p));
                return true;
            }
            case block_kind::image:
            case block_kind::document:
                return add_media(parts, b, path_of(i, j));
            case block_kind::tool_use:
                if (!assistant) {
                    return fail_flag(
                        errc::bad_request, path_of(i, j),
                        path_of(i, j) + ": a tool call must be in an assistant message");
                }
                return add_call(parts, b, path_of(i, j));
            case block_kind::tool_result:
                if (assistant) {
                    return fail_flag(errc::bad_request, path_of(i, j),
                                     path_of(i, j) + ": a tool result must be in a user message");
                }
                return add_result(parts, b, path_of(i, j));
            case block_kind::thinking:
                // Gemini takes no thought text back; its signature is what carries the state, and
                // it goes back as the signed empty part it arrived on.
                if (assistant && gemini_signed(b)) {
                    json::object p;
                    p["text"] = "";
                    p["thoughtSignature"] = b.signature;
                    parts.push_back(std::move(p));
                }
                return true;
            case block_kind::redacted_thinking:
                return true;  // another provider's opaque state
        }
        return true;
    }

    bool add_media(json::array& parts, const content_block& b, const std::string& path) {
        const bool image = b.kind == block_kind::image;
        if (b.source.type != media_source::kind::text) {
            const std::string_view category = image ? "images" : "documents";
            switch (caps_.action(category)) {
                case param_action::pass:
                    break;
                case param_action::drop:
                case param_action::emulate:
                    report_.dropped(path);
                    return true;
                case param_action::reject:
                    return fail_flag(
                        errc::unsupported_feature, path,
                        path + ": " + std::string(category) + " are not supported by " + model_);
            }
        }
        const media_source& s = b.source;
        switch (s.type) {
            case media_source::kind::text: {
                json::object p;
                p["text"] = s.data;
                parts.push_back(std::move(p));
                return true;
            }
            case media_source::kind::base64: {
                std::string_view mime = s.media_type;
                if (mime.empty()) mime = mime_from_base64(s.data);
                if (mime.empty()) {
                    return fail_flag(errc::bad_request, path + ".source.media_type",
                                     path + ": the media type of base64 data is required");
                }
                return add_inline(parts, mime, s.data);
            }
            case media_source::kind::url: {
                std::string_view url = s.data;
                if (url.starts_with("data:")) {
                    // data:<mime>;base64,<data>
                    const std::size_t comma = url.find(',');
                    const std::string_view meta =
                        url.substr(5, comma == std::string_view::npos ? 0 : comma - 5);
                    if (comma == std::string_view::npos || !meta.ends_with(";base64")) {
                        return fail_flag(errc::bad_request, path + ".source",
                                         path + ": only base64 data URLs are supported");
                    }
                    std::string_view mime = meta.substr(0, meta.size() - 7);
                    if (mime.empty()) mime = s.media_type;
                    const std::string_view data = url.substr(comma + 1);
                    if (mime.empty()) mime = mime_from_base64(data);
                    if (mime.empty()) {
                        return fail_flag(errc::bad_request, path + ".source",
                                         path + ": the data URL has no media type");
                    }
                    return add_inline(parts, mime, data);
                }
                if (!url.starts_with("https://") && !url.starts_with("http://") &&
                    !url.starts_with("gs://")) {
                    return fail_flag(errc::bad_request, path + ".source",
                                     path + ": unsupported URL scheme");
                }
                // Gemini does not fetch arbitrary URLs into inlineData; fileData.fileUri takes
                // Files API URIs, YouTube links and (on current models) public http(s) URLs,
                // which the API fetches itself. A URL it cannot fetch comes back as the
                // upstream's 400.
                std::string_view mime = s.media_type;
                if (mime.empty()) mime = mime_from_url(url);
                return add_file(parts, mime, url);
            }
            case media_source::kind::file_id: {
                std::string uri;
                if (s.data.starts_with("files/")) {
                    uri = std::string(files_api_prefix) + s.data;
                } else if (std::string_view(s.data).starts_with(files_api_prefix)) {
                    uri = s.data;
                } else {
                    return fail_flag(errc::unsupported_feature, path + ".source",
                                     path + ": file id '" + s.data +
                                         "' is not a Gemini Files API file (files/…)");
                }
                return add_file(parts, s.media_type, uri);
            }
        }
        return true;
    }

    static bool add_inline(json::array& parts, std::string_view mime, std::string_view data) {
        json::object blob;
        blob["mimeType"] = mime;
        blob["data"] = data;
        json::object p;
        p["inlineData"] = std::move(blob);
        parts.push_back(std::move(p));
        return true;
    }

    static bool add_file(json::array& parts, std::string_view mime, std::string_view uri) {
        json::object fd;
        if (!mime.empty()) fd["mimeType"] = mime;
        fd["fileUri"] = uri;
        json::object p;
        p["fileData"] = std::move(fd);
        parts.push_back(std::move(p));
        return true;
    }

    bool add_call(json::array& parts, const content_block& b, const std::string& path) {
        if (b.name.empty()) {
            return fail_flag(errc::bad_request, path + ".name",
                             path + ": tool call without a name");
        }
        json::value args = json::object();
        if (b.arguments.find_first_not_of(" \t\r\n") != std::string::npos) {
            error_code ec;
            json::parse_options opts;
            opts.max_depth = 128;
            args = json::parse(b.arguments, ec, {}, opts);
            if (ec || !args.is_object()) {
                return fail_flag(errc::bad_request, path + ".arguments",
                                 path + ": tool call arguments are not a JSON object");
            }
        }
        json::object call;
        call["name"] = b.name;
        call["args"] = std::move(args);
        // Gemini echoes a call's id in its functionResponse; ids from any origin are accepted.
        if (!b.id.empty()) call["id"] = b.id;
        json::object p;
        p["functionCall"] = std::move(call);
        if (gemini_signed(b)) p["thoughtSignature"] = b.signature;
        parts.push_back(std::move(p));
        if (!b.id.empty()) call_names_[b.id] = b.name;
        return true;
    }

    bool add_result(json::array& parts, const content_block& b, const std::string& path) {
        // Gemini pairs a response with its call by function name (FunctionResponse.name is
        // required), so the name comes from the call with the same id earlier in the history.
        const auto it = call_names_.find(b.id);
        if (it == call_names_.end()) {
            return fail_flag(errc::bad_request, path + ".tool_use_id",
                             path + ": no earlier tool call has the id '" + b.id + "'");
        }
        std::string text;
        for (std::size_t k = 0; k < b.content.size(); ++k) {
            const content_block& c = b.content[k];
            if (c.kind == block_kind::text) {
                if (!text.empty()) text += '\n';
                text += c.text;
            } else {
                // FunctionResponse.response is JSON only; media in tool results has no place.
                report_.dropped(path + ".content[" + std::to_string(k) + "]");
            }
        }
        // A result that is a JSON document goes as JSON (the model reads structure better);
        // anything else as a string.
        json::value value = json::string(text);
        const std::size_t first = text.find_first_not_of(" \t\r\n");
        if (first != std::string::npos && (text[first] == '{' || text[first] == '[')) {
            error_code ec;
            json::value parsed = json::parse(text, ec);
            if (!ec) value = std::move(parsed);
        }
        json::object response;
        response[b.is_error ? "error" : "result"] = std::move(value);
        json::object fr;
        fr["id"] = b.id;
        fr["name"] = it->second;
        fr["response"] = std::move(response);
        json::object p;
        p["functionResponse"] = std::move(fr);
        parts.push_back(std::move(p));
        return true;
    }

    /// Gemini 3 validates that the first functionCall of every model turn carries a thought
    /// signature. Calls that came from another provider (or whose signature was stripped) get the
    /// documented stand-in; a turn whose first call is Gemini's own keeps it.
    static void sign_foreign_calls(json::array& contents) {
        for (json::value& c : contents) {
            json::object& turn = c.get_object();
            if (get_string(turn, "role") != "model") continue;
            for (json::value& p : turn["parts"].get_array()) {
                json::object& part = p.get_object();
                if (!part.contains("functionCall")) continue;
                if (!part.contains("thoughtSignature")) part["thoughtSignature"] = dummy_signature;
                break;
            }
        }
    }

    // ---- tools and toolConfig ----------------------------------------------------------------

    bool encode_tools(json::object& body) {
        const bool has_choice = req_.choice.type != tool_choice::mode::unset;
        if (req_.tools.empty()) {
            if (req_.choice.type == tool_choice::mode::required ||
                req_.choice.type == tool_choice::mode::tool) {
                return fail_flag(errc::bad_request, "tool_choice",
                                 "tool_choice: a tool call is required but no tools are given");
            }
            if (req_.parallel_tool_calls == false) report_.dropped("parallel_tool_calls");
            return true;  // auto/none without tools: nothing to say
        }
        if (!admit("tools")) {
            if (failure_) return false;
            if (has_choice) report_.dropped("tool_choice");
            return true;
        }
        json::array decls;
        for (std::size_t i = 0; i < req_.tools.size(); ++i) {
            const tool& t = req_.tools[i];
            const std::string param = "tools[" + std::to_string(i) + "]";
            if (t.type != "function") {
                // Another provider's built-in tool (web_search, bash, ...): Gemini cannot run it.
                return fail_flag(
                    errc::unsupported_feature, param,
                    param + ": built-in tool '" + t.type + "' cannot run on a Gemini upstream");
            }
            if (t.name.empty()) {
                return fail_flag(errc::bad_request, param + ".name",
                                 param + ": a tool needs a name");
            }
            json::object d;
            d["name"] = t.name;
            d["description"] = t.description;  // documented as required
            if (!t.parameters.is_null()) {
                // parametersJsonSchema takes JSON Schema as it is (additionalProperties, $ref,
                // $defs, anyOf, ...), unlike `parameters`, an OpenAPI subset that rejects unknown
                // keywords: the client's schema goes through unchanged.
                if (!t.parameters.is_object()) {
                    return fail_flag(errc::bad_request, param + ".parameters",
                                     param + ": parameters must be a JSON Schema object");
                }
                d["parametersJsonSchema"] = schema_for_gemini(t.parameters);
            }
            decls.push_back(std::move(d));
        }
        json::object tool_obj;
        tool_obj["functionDeclarations"] = std::move(decls);
        json::array tools;
        tools.push_back(std::move(tool_obj));
        body["tools"] = std::move(tools);

        if (req_.parallel_tool_calls == false && admit("parallel_tool_calls", param_action::drop)) {
            // Gemini has no switch for it: it may still call several functions at once.
            report_.dropped("parallel_tool_calls");
        }
        if (failure_) return false;

        if (has_choice && admit("tool_choice")) {
            json::object fc;
            switch (req_.choice.type) {
                case tool_choice::mode::unset:
                case tool_choice::mode::auto_:
                    fc["mode"] = "AUTO";
                    break;
                case tool_choice::mode::none:
                    fc["mode"] = "NONE";
                    break;
                case tool_choice::mode::required:
                    fc["mode"] = "ANY";
                    break;
                case tool_choice::mode::tool: {
                    const bool known =
                        std::any_of(req_.tools.begin(), req_.tools.end(),
                                    [&](const tool& t) { return t.name == req_.choice.name; });
                    if (!known) {
                        return fail_flag(
                            errc::bad_request, "tool_choice",
                            "tool_choice: no tool is named '" + req_.choice.name + "'");
                    }
                    fc["mode"] = "ANY";
                    json::array names;
                    names.emplace_back(req_.choice.name);
                    fc["allowedFunctionNames"] = std::move(names);
                    break;
                }
            }
            json::object tc;
            tc["functionCallingConfig"] = std::move(fc);
            body["toolConfig"] = std::move(tc);
        }
        return !failure_;
    }

    // ---- generationConfig --------------------------------------------------------------------

    bool encode_generation_config(json::object& config) {
        const sampling& s = req_.sampler;
        // Penalties: Gemini 2.5 and later answer 400 "Penalty is not enabled for models/…"
        // (recorded); older models take them. A channel can override either way.
        const param_action penalty_default =
            traits_.at_least(2, 5) ? param_action::drop : param_action::pass;
        // No seed before Gemini 2.0 (capabilities.hpp).
        const param_action seed_default =
            traits_.gemini && !traits_.unversioned() && traits_.major < 2 ? param_action::drop
                                                                          : param_action::pass;

        if (s.stop.size() > 5) {
            return fail_flag(errc::unsupported_feature, "stop",
                             "stop: Gemini accepts at most 5 stop sequences");
        }
        if (req_.n && *req_.n > 1) {
            return fail_flag(errc::unsupported_feature, "n",
                             "n: Gemini returns one candidate per request here; n must be 1");
        }
        if (s.temperature && admit("temperature")) config["temperature"] = *s.temperature;
        if (s.top_p && admit("top_p")) config["topP"] = *s.top_p;
        if (s.top_k && admit("top_k")) config["topK"] = *s.top_k;
        if (req_.max_output_tokens && admit("max_tokens")) {
            config["maxOutputTokens"] = *req_.max_output_tokens;
        }
        if (!s.stop.empty() && admit("stop")) {
            json::array stop;
            for (const std::string& seq : s.stop) stop.emplace_back(seq);
            config["stopSequences"] = std::move(stop);
        }
        if (s.seed && admit("seed", seed_default)) config["seed"] = *s.seed;
        if (s.presence_penalty && admit("presence_penalty", penalty_default)) {
            config["presencePenalty"] = *s.presence_penalty;
        }
        if (s.frequency_penalty && admit("frequency_penalty", penalty_default)) {
            config["frequencyPenalty"] = *s.frequency_penalty;
        }
        if (failure_) return false;

        if (req_.format.type != response_format::kind::text && admit("response_format")) {
            config["responseMimeType"] = "application/json";
            // responseJsonSchema takes JSON Schema; responseSchema is an OpenAPI subset.
            if (req_.format.type == response_format::kind::json_schema &&
                !req_.format.schema.is_null()) {
                config["responseJsonSchema"] = schema_for_gemini(req_.format.schema);
            }
        }
        if (failure_) return false;
        return encode_thinking(config);
    }

    /// Reasoning controls (https://ai.google.dev/gemini-api/docs/thinking): 2.5 models take a
    /// token budget (Pro 128–32768 and cannot turn thinking off; Flash 0–24576; Flash-Lite
    /// 512–24576 or 0); Gemini 3 takes a thinking level (Pro: low, high; Flash also minimal and
    /// medium) and still accepts a budget, and cannot turn thinking off. Older models have no
    /// thinkingConfig at all (400 if sent).
    bool encode_thinking(json::object& config) {
        const reasoning_config& r = req_.reasoning;
        const bool mentioned =
            r.effort || r.budget_tokens || r.enabled || r.include_thoughts || !r.summary.empty();
        if (!mentioned) return true;
        const bool disable =
            r.enabled == false || (r.budget_tokens ? *r.budget_tokens == 0 : r.effort == "none");
        if (!traits_.thinks()) {
            // These models do not think; "off" is what they do anyway.
            if (!disable && admit("reasoning", param_action::drop)) report_.dropped("reasoning");
            return !failure_;
        }
        if (!admit("reasoning")) return !failure_;

        json::object tc;
        const bool pro25 = traits_.pro && !traits_.gemini3() && !traits_.unversioned();
        const bool lite25 = traits_.lite && !traits_.gemini3() && !traits_.unversioned();
        const bool flash25 =
            traits_.flash && !lite25 && !traits_.gemini3() && !traits_.unversioned();
        if (disable) {
            if (traits_.gemini3()) {
                const std::string_view level = traits_.flash ? "minimal" : "low";
                tc["thinkingLevel"] = level;
                report_.changed("reasoning", "thinking cannot be disabled on " + model_ +
                                                 ": thinkingLevel " + std::string(level));
            } else if (pro25) {
                tc["thinkingBudget"] = 128;
                report_.changed("reasoning", "thinking cannot be disabled on " + model_ +
                                                 ": thinkingBudget clamped to 128");
            } else {
                tc["thinkingBudget"] = 0;
            }
        } else {
            if (r.budget_tokens) {  // a budget wins over an effort level
                tc["thinkingBudget"] = clamp_budget(*r.budget_tokens, pro25, flash25, lite25);
            } else if (r.effort) {
                if (traits_.gemini3()) {
                    const std::string_view level = level_for(*r.effort);
                    if (!level.empty()) tc["thinkingLevel"] = level;
                } else {
                    tc["thinkingBudget"] =
                        clamp_budget(effort_to_budget(*r.effort), pro25, flash25, lite25);
                }
            }
            if (r.include_thoughts.value_or(r.enabled == true || !r.summary.empty())) {
                tc["includeThoughts"] = true;
            }
        }
        if (!tc.empty()) config["thinkingConfig"] = std::move(tc);
        return true;
    }

    std::int64_t clamp_budget(std::int64_t b, bool pro25, bool flash25, bool lite25) {
        if (b < 0) return -1;  // -1: dynamic thinking
        std::int64_t lo = b;
        std::int64_t hi = b;
        if (pro25) {
            lo = 128;
            hi = 32768;
        } else if (flash25) {
            lo = 1;
            hi = 24576;
        } else if (lite25) {
            lo = 512;
            hi = 24576;
        }
        const std::int64_t c = std::clamp(b, lo, hi);
        if (c != b) {
            report_.changed("reasoning",
                            "thinkingBudget clamped to " + std::to_string(c) + " for " + model_);
        }
        return c;
    }

    std::string_view level_for(std::string_view effort) const {
        if (traits_.flash) {
            if (effort == "minimal" || effort == "none") return "minimal";
            if (effort == "low") return "low";
            if (effort == "medium") return "medium";
            if (effort == "high" || effort == "xhigh") return "high";
            return {};
        }
        if (effort == "minimal" || effort == "low" || effort == "none") return "low";
        if (effort == "medium" || effort == "high" || effort == "xhigh") return "high";
        return {};
    }

    // ---- what Gemini has no field for --------------------------------------------------------

    bool encode_unmodelled() {
        if (!req_.previous_response_id.empty()) {
            return fail_flag(errc::unsupported_feature, "previous_response_id",
                             "previous_response_id: the conversation is stored at OpenAI; only an "
                             "OpenAI Responses upstream can continue it");
        }
        if (!req_.user.empty()) report_.dropped("user");
        if (!req_.metadata.empty()) report_.dropped("metadata");
        if (req_.service_tier) report_.dropped("service_tier");
        if (req_.store) report_.dropped("store");
        // Fields of the client's own format: Gemini is never a client format here, so none of
        // them has a Gemini meaning, and Gemini rejects unknown fields.
        for (const auto& kv : req_.extra) report_.dropped(kv.key());
        return true;
    }

    const request& req_;
    const upstream::encode_options& options_;
    conversion_report& report_;
    upstream::model_capabilities caps_;
    model_traits traits_;
    std::string model_;
    std::unordered_map<std::string, std::string> call_names_;  // tool call id -> function name
    error_code failure_;
};

}  // namespace

result<upstream::http_request_parts> encode_request(const request& req,
                                                    const upstream::encode_options& options,
                                                    conversion_report& report) {
    return request_encoder(req, options, report).run();
}

}  // namespace gateway::formats::gemini
