#pragma once
/// Embeddings and reranking: the client-side shapes gatewayd serves (`POST /v1/embeddings` as
/// OpenAI defines it, `POST /v1/rerank` as Cohere and Jina define it) and their conversion to
/// and from Cohere's native v2 API (`/v2/embed`, `/v2/rerank`). OpenAI-compatible upstreams get
/// the client's body unchanged (but for the model name), so only the usage is read from their
/// answer.
///
/// Sans-I/O like the chat codecs: bytes in, bytes out. Errors are values: a request the gateway
/// cannot accept fails with `errc::bad_request`, one it cannot express for Cohere with
/// `errc::unsupported_feature`, an answer it cannot read with `errc::bad_upstream_response`;
/// `report.error_message` / `error_param` say why.

#include "gateway/core/conversion.hpp"
#include "gateway/core/error.hpp"
#include "gateway/core/usage.hpp"
#include "gateway/upstream/codec.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gateway::upstream {

/// `POST /v1/embeddings` (OpenAI: https://platform.openai.com/docs/api-reference/embeddings).
struct embeddings_request {
    std::string model;
    std::vector<std::string> input;  ///< `input` as a string or an array of strings
    bool token_input = false;        ///< `input` was token ids (OpenAI upstreams only)
    bool base64 = false;             ///< `encoding_format: "base64"` (else "float")
    std::optional<std::int64_t> dimensions;
    /// Cohere's `input_type` (`search_document`, `search_query`, `classification`, `clustering`),
    /// an extension a client may add; empty means the default, `search_document`.
    std::string input_type;
};

/// Errors: `errc::bad_request` (not JSON, no model, `input` missing, empty or of another type,
/// an unknown `encoding_format`, `dimensions` not a positive integer).
result<embeddings_request> decode_embeddings_request(std::string_view body,
                                                     conversion_report& report);

/// The Cohere `POST /v2/embed` request (`path` relative to `https://api.cohere.com/v2`):
/// `texts`, `model`, `input_type`, `embedding_types: ["float"]`, `output_dimension`.
/// Errors: `errc::unsupported_feature` for token-id input (Cohere embeds text only).
result<http_request_parts> encode_cohere_embed(const embeddings_request& req,
                                               std::string_view model, conversion_report& report);

/// Cohere's embed answer → the OpenAI embeddings response for the client (`client_model` as the
/// model name; base64 is little-endian float32, as OpenAI encodes it). `tokens` gets the billed
/// input tokens.
result<std::string> decode_cohere_embed(std::string_view body, const embeddings_request& req,
                                        std::string_view client_model, usage& tokens,
                                        conversion_report& report);

/// `POST /v1/rerank` (Cohere https://docs.cohere.com/reference/rerank, Jina's same shape).
struct rerank_request {
    std::string model;
    std::string query;
    std::vector<std::string> documents;  ///< strings, or objects with a `text` member
    std::optional<std::int64_t> top_n;
    bool return_documents = false;
    std::optional<std::int64_t> max_tokens_per_doc;
};

/// Errors: `errc::bad_request` (not JSON, no model or query, `documents` missing, empty or of
/// another type, `top_n` not a positive integer).
result<rerank_request> decode_rerank_request(std::string_view body, conversion_report& report);

/// The Cohere `POST /v2/rerank` request: `model`, `query`, `documents`, `top_n`,
/// `max_tokens_per_doc`. v2 returns no documents: the gateway adds them to its answer itself.
http_request_parts encode_cohere_rerank(const rerank_request& req, std::string_view model);

/// Cohere's rerank answer → `{id, model, results[{index, relevance_score, document?}], usage}`.
/// Cohere bills reranking in search units (one query over up to 100 documents): `tokens` gets
/// the input tokens when Cohere reports them, else the search units.
result<std::string> decode_cohere_rerank(std::string_view body, const rerank_request& req,
                                         std::string_view client_model, usage& tokens,
                                         conversion_report& report);

/// The usage of an OpenAI-compatible embeddings or rerank answer that is passed through:
/// `usage.prompt_tokens` (or `total_tokens`, as Jina reports it). False when there is none.
bool read_passthrough_usage(std::string_view body, usage& tokens);

}  // namespace gateway::upstream
