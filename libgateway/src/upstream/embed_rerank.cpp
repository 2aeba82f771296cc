// Embeddings and reranking: OpenAI / Cohere-Jina client shapes ↔ Cohere v2.
//
// References: OpenAI "Create embeddings" (request `input`, `model`, `encoding_format`,
// `dimensions`; response `{object:"list", data[{object:"embedding", index, embedding}], model,
// usage{prompt_tokens, total_tokens}}`); Cohere "Embed API (v2)"
// (https://docs.cohere.com/reference/embed: `texts`, `model`, `input_type`, `embedding_types`,
// `output_dimension`; response `{id, embeddings{float[[...]]}, texts, meta{billed_units
// {input_tokens}}}`) and "Rerank API (v2)" (https://docs.cohere.com/reference/rerank: `model`,
// `query`, `documents` (strings), `top_n`, `max_tokens_per_doc`; response `{id,
// results[{index, relevance_score}], meta{billed_units{search_units}}}`).

#include "gateway/upstream/embed_rerank.hpp"

#include "formats/json_util.hpp"

#include <boost/beast/core/detail/base64.hpp>
#include <boost/json/serialize.hpp>

#include <bit>
#include <cstring>

namespace gateway::upstream {

namespace json = boost::json;
using formats::get_int;
using formats::get_string;

namespace {

template <class T>
result<T> fail(conversion_report& report, errc code, std::string_view param, std::string message) {
    report.fail(param, message);
    return code;
}

/// A client's body, which must be a JSON object. Errors: `errc::bad_request`.
result<json::object> parse_request(std::string_view body, conversion_report& report) {
    std::string why;
    auto parsed = formats::parse_json(body, &why);
    if (!parsed) {
        return fail<json::object>(report, errc::bad_request, "",
                                  "the body is not valid JSON: " + why);
    }
    if (!parsed->is_object()) {
        return fail<json::object>(report, errc::bad_request, "", "the body is not a JSON object");
    }
    return std::move(parsed->get_object());
}

/// An upstream's answer, which must be a JSON object. Errors: `errc::bad_upstream_response`.
result<json::object> parse_answer(std::string_view body, conversion_report& report) {
    auto parsed = formats::parse_upstream_object(body, report);
    if (!parsed) return parsed.error();
    return std::move(parsed->get_object());
}

/// A JSON POST body for Cohere at `path`.
http_request_parts json_parts(std::string_view path, const json::object& body) {
    http_request_parts parts;
    parts.path = path;
    parts.body = json::serialize(body);
    parts.headers.emplace_back("Content-Type", "application/json");
    return parts;
}

/// `model` must be a non-empty string.
bool read_model(const json::object& o, std::string& model, conversion_report& report) {
    model = get_string(o, "model");
    if (model.empty()) {
        report.fail("model", "you must provide a model parameter");
        return false;
    }
    return true;
}

/// An optional positive integer member.
bool read_positive(const json::object& o, std::string_view key, std::optional<std::int64_t>& out,
                   conversion_report& report) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return true;
    const auto n = get_int(o, key);
    if (!n || *n <= 0) {
        report.fail(key, std::string(key) + ": expected a positive integer");
        return false;
    }
    out = *n;
    return true;
}

/// Cohere's `meta.billed_units` / `meta.tokens` member `key`, or -1.
std::int64_t meta_count(const json::object& root, std::string_view group, std::string_view key) {
    const json::object* meta = formats::get_object(root, "meta");
    const json::object* g = meta ? formats::get_object(*meta, group) : nullptr;
    const auto n = g ? get_int(*g, key) : std::nullopt;
    return n && *n >= 0 ? *n : -1;
}

void append_usage(std::string& out, std::int64_t prompt_tokens) {
    out += R"("usage":{"prompt_tokens":)";
    formats::append_json_int(out, prompt_tokens);
    out += R"(,"total_tokens":)";
    formats::append_json_int(out, prompt_tokens);
    out += '}';
}

/// OpenAI's base64 embedding: the vector as little-endian IEEE-754 float32, base64-encoded.
void append_base64_floats(std::string& out, const json::array& values) {
    std::string bytes;
    bytes.reserve(values.size() * 4);
    for (const json::value& v : values) {
        const auto bits = std::bit_cast<std::uint32_t>(static_cast<float>(v.to_number<double>()));
        for (int shift = 0; shift < 32; shift += 8) {
            bytes += static_cast<char>((bits >> shift) & 0xffU);
        }
    }
    namespace b64 = boost::beast::detail::base64;
    std::string encoded(b64::encoded_size(bytes.size()), '\0');
    encoded.resize(b64::encode(encoded.data(), bytes.data(), bytes.size()));
    formats::append_json_string(out, encoded);
}

}  // namespace

result<embeddings_request> decode_embeddings_request(std::string_view body,
                                                     conversion_report& report) {
    auto root = parse_request(body, report);
    if (!root) return root.error();
    embeddings_request req;
    if (!read_model(*root, req.model, report)) return errc::bad_request;
    const json::value* input = root->if_contains("input");
    if (input == nullptr || input->is_null()) {
        return fail<embeddings_request>(report, errc::bad_request, "input",
                                        "you must provide an input parameter");
    }
    if (input->is_string()) {
        req.input.emplace_back(input->get_string());
    } else if (const json::array* a = input->if_array(); a != nullptr && !a->empty()) {
        for (const json::value& item : *a) {
            if (item.is_string()) {
                req.input.emplace_back(item.get_string());
            } else if (item.is_number() || item.is_array()) {
                req.token_input = true;  // token ids, or arrays of them
            } else {
                return fail<embeddings_request>(report, errc::bad_request, "input",
                                                "input: expected strings or token arrays");
            }
        }
        if (req.token_input && !req.input.empty()) {
            return fail<embeddings_request>(report, errc::bad_request, "input",
                                            "input: strings and token ids cannot be mixed");
        }
    } else {
        return fail<embeddings_request>(
            report, errc::bad_request, "input",
            "input: expected a non-empty string or array (of strings or token ids)");
    }
    const std::string_view encoding = get_string(*root, "encoding_format");
    if (const json::value* e = root->if_contains("encoding_format");
        e != nullptr && !e->is_null() && encoding != "float" && encoding != "base64") {
        return fail<embeddings_request>(report, errc::bad_request, "encoding_format",
                                        "encoding_format: expected float or base64");
    }
    req.base64 = encoding == "base64";
    if (!read_positive(*root, "dimensions", req.dimensions, report)) return errc::bad_request;
    if (const json::value* t = root->if_contains("input_type"); t != nullptr && !t->is_null()) {
        if (!t->is_string() || t->get_string().empty()) {
            return fail<embeddings_request>(report, errc::bad_request, "input_type",
                                            "input_type: expected a non-empty string");
        }
        req.input_type = t->get_string();
    }
    return req;
}

result<http_request_parts> encode_cohere_embed(const embeddings_request& req,
                                               std::string_view model, conversion_report& report) {
    if (req.token_input) {
        return fail<http_request_parts>(report, errc::unsupported_feature, "input",
                                        "input: Cohere embeds text, not token ids");
    }
    json::array texts;
    for (const std::string& t : req.input) texts.emplace_back(t);
    json::object body{{"model", model},
                      {"texts", std::move(texts)},
                      // Cohere's embedding models (v3 and later) require an input type; a
                      // document is what an embeddings API is most often given.
                      {"input_type", req.input_type.empty() ? std::string_view("search_document")
                                                            : std::string_view(req.input_type)},
                      // Floats only: base64 is encoded by the gateway as OpenAI defines it.
                      {"embedding_types", json::array{"float"}}};
    if (req.dimensions) body["output_dimension"] = *req.dimensions;
    return json_parts("/embed", body);
}

result<std::string> decode_cohere_embed(std::string_view body, const embeddings_request& req,
                                        std::string_view client_model, usage& tokens,
                                        conversion_report& report) {
    auto root = parse_answer(body, report);
    if (!root) return root.error();
    const json::object* embeddings = formats::get_object(*root, "embeddings");
    const json::array* vectors = embeddings ? formats::get_array(*embeddings, "float") : nullptr;
    if (vectors == nullptr) {
        return fail<std::string>(report, errc::bad_upstream_response, "embeddings.float",
                                 "embeddings.float: missing or not an array");
    }
    if (vectors->size() != req.input.size()) {
        return fail<std::string>(report, errc::bad_upstream_response, "embeddings.float",
                                 "embeddings.float: not one vector per input text");
    }
    std::string out = R"({"object":"list","data":[)";
    for (std::size_t i = 0; i < vectors->size(); ++i) {
        const json::array* vector = (*vectors)[i].if_array();
        if (vector == nullptr) {
            return fail<std::string>(report, errc::bad_upstream_response, "embeddings.float",
                                     "embeddings.float: a vector is not an array");
        }
        for (const json::value& x : *vector) {
            if (!x.is_number()) {
                return fail<std::string>(report, errc::bad_upstream_response, "embeddings.float",
                                         "embeddings.float: a vector holds a non-number");
            }
        }
        if (i > 0) out += ',';
        out += R"({"object":"embedding","index":)";
        formats::append_json_int(out, static_cast<std::int64_t>(i));
        out += R"(,"embedding":)";
        if (req.base64) {
            append_base64_floats(out, *vector);
        } else {
            out += '[';
            for (std::size_t k = 0; k < vector->size(); ++k) {
                if (k > 0) out += ',';
                formats::append_json_number(out, (*vector)[k].to_number<double>());
            }
            out += ']';
        }
        out += '}';
    }
    out += R"(],"model":)";
    formats::append_json_string(out, client_model);
    out += ',';
    const std::int64_t billed = meta_count(*root, "billed_units", "input_tokens");
    tokens = {};
    tokens.input_tokens = billed >= 0 ? billed : 0;
    tokens.reported = billed >= 0;
    append_usage(out, tokens.input_tokens);
    out += '}';
    return out;
}

result<rerank_request> decode_rerank_request(std::string_view body, conversion_report& report) {
    auto root = parse_request(body, report);
    if (!root) return root.error();
    rerank_request req;
    if (!read_model(*root, req.model, report)) return errc::bad_request;
    req.query = get_string(*root, "query");
    if (req.query.empty()) {
        return fail<rerank_request>(report, errc::bad_request, "query",
                                    "query: expected a non-empty string");
    }
    const json::array* docs = formats::get_array(*root, "documents");
    if (docs == nullptr || docs->empty()) {
        return fail<rerank_request>(report, errc::bad_request, "documents",
                                    "documents: expected a non-empty array");
    }
    for (std::size_t i = 0; i < docs->size(); ++i) {
        const json::value& d = (*docs)[i];
        const json::object* o = d.if_object();
        const json::value* text = o ? o->if_contains("text") : &d;
        if (text == nullptr || !text->is_string()) {
            const std::string path = "documents[" + std::to_string(i) + "]";
            return fail<rerank_request>(report, errc::bad_request, path,
                                        path + ": expected a string or an object with text");
        }
        req.documents.emplace_back(text->get_string());
    }
    if (!read_positive(*root, "top_n", req.top_n, report) ||
        !read_positive(*root, "max_tokens_per_doc", req.max_tokens_per_doc, report)) {
        return errc::bad_request;
    }
    if (const json::value* r = root->if_contains("return_documents");
        r != nullptr && !r->is_null()) {
        if (!r->is_bool()) {
            return fail<rerank_request>(report, errc::bad_request, "return_documents",
                                        "return_documents: expected a boolean");
        }
        req.return_documents = r->get_bool();
    }
    return req;
}

http_request_parts encode_cohere_rerank(const rerank_request& req, std::string_view model) {
    json::array docs;
    for (const std::string& d : req.documents) docs.emplace_back(d);
    json::object body{{"model", model}, {"query", req.query}, {"documents", std::move(docs)}};
    if (req.top_n) body["top_n"] = *req.top_n;
    if (req.max_tokens_per_doc) body["max_tokens_per_doc"] = *req.max_tokens_per_doc;
    return json_parts("/rerank", body);
}

result<std::string> decode_cohere_rerank(std::string_view body, const rerank_request& req,
                                         std::string_view client_model, usage& tokens,
                                         conversion_report& report) {
    auto root = parse_answer(body, report);
    if (!root) return root.error();
    const json::array* results = formats::get_array(*root, "results");
    if (results == nullptr) {
        return fail<std::string>(report, errc::bad_upstream_response, "results",
                                 "results: missing or not an array");
    }
    std::string out = "{";
    if (const std::string_view id = get_string(*root, "id"); !id.empty()) {
        out += R"("id":)";
        formats::append_json_string(out, id);
        out += ',';
    }
    out += R"("model":)";
    formats::append_json_string(out, client_model);
    out += R"(,"results":[)";
    for (std::size_t i = 0; i < results->size(); ++i) {
        const json::object* r = (*results)[i].if_object();
        const auto index = r ? get_int(*r, "index") : std::nullopt;
        const json::value* score = r ? r->if_contains("relevance_score") : nullptr;
        if (!index || *index < 0 || static_cast<std::size_t>(*index) >= req.documents.size() ||
            score == nullptr || !score->is_number()) {
            const std::string path = "results[" + std::to_string(i) + "]";
            return fail<std::string>(report, errc::bad_upstream_response, path,
                                     path + ": expected an index of a document and a score");
        }
        if (i > 0) out += ',';
        out += R"({"index":)";
        formats::append_json_int(out, *index);
        out += R"(,"relevance_score":)";
        formats::append_json_number(out, score->to_number<double>());
        if (req.return_documents) {
            out += R"(,"document":{"text":)";
            formats::append_json_string(out, req.documents[static_cast<std::size_t>(*index)]);
            out += '}';
        }
        out += '}';
    }
    out += "],";
    std::int64_t input = meta_count(*root, "tokens", "input_tokens");
    if (input < 0) input = meta_count(*root, "billed_units", "input_tokens");
    const std::int64_t units = meta_count(*root, "billed_units", "search_units");
    tokens = {};
    tokens.input_tokens = input >= 0 ? input : (units >= 0 ? units : 0);
    tokens.reported = input >= 0 || units >= 0;
    out += R"("usage":{"total_tokens":)";
    formats::append_json_int(out, input >= 0 ? input : 0);
    if (units >= 0) {
        out += R"(,"search_units":)";
        formats::append_json_int(out, units);
    }
    out += "}}";
    return out;
}

bool read_passthrough_usage(std::string_view body, usage& tokens) {
    conversion_report ignored;
    auto root = parse_answer(body, ignored);
    const json::object* u = root ? formats::get_object(*root, "usage") : nullptr;
    if (u == nullptr) return false;
    auto n = get_int(*u, "prompt_tokens");
    if (!n) n = get_int(*u, "total_tokens");
    if (!n || *n < 0) return false;
    tokens = {};
    tokens.input_tokens = *n;
    tokens.reported = true;
    return true;
}

}  // namespace gateway::upstream
