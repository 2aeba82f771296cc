// Embeddings and rerank conversions (gateway/upstream/embed_rerank.hpp): client requests as
// OpenAI and Cohere/Jina define them, Cohere v2 bodies out, Cohere answers back.

#include "gateway/upstream/embed_rerank.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <string>

namespace {

namespace json = boost::json;
using gateway::conversion_report;
using gateway::errc;
using namespace gateway::upstream;

embeddings_request embeddings(std::string_view body) {
    conversion_report report;
    auto req = decode_embeddings_request(body, report);
    INFO(report.error_message);
    REQUIRE(req.has_value());
    return *req;
}

rerank_request rerank(std::string_view body) {
    conversion_report report;
    auto req = decode_rerank_request(body, report);
    INFO(report.error_message);
    REQUIRE(req.has_value());
    return *req;
}

// A Cohere /v2/embed answer (https://docs.cohere.com/reference/embed, "Response").
constexpr const char* cohere_embed_answer = R"({
  "id": "da6e531f-54c6-4a73-bf92-f60566d8d753",
  "embeddings": {"float": [[1.0, -2.5, 0.016296387], [0.5, 0.25, -0.125]]},
  "texts": ["hello", "goodbye"],
  "meta": {"api_version": {"version": "2"}, "billed_units": {"input_tokens": 2}},
  "response_type": "embeddings_by_type"
})";

// A Cohere /v2/rerank answer (https://docs.cohere.com/reference/rerank, "Response").
constexpr const char* cohere_rerank_answer = R"({
  "results": [{"index": 2, "relevance_score": 0.999071}, {"index": 0, "relevance_score": 0.32713068}],
  "id": "07734bd2-2473-4f07-94e1-0d9f0e6843cf",
  "meta": {"api_version": {"version": "2"}, "billed_units": {"search_units": 1}}
})";

}  // namespace

TEST_CASE("embeddings request: OpenAI's input shapes and options", "[embed]") {
    const auto one = embeddings(R"({"model":"embed-v4.0","input":"hello"})");
    CHECK(one.model == "embed-v4.0");
    CHECK(one.input == std::vector<std::string>{"hello"});
    CHECK_FALSE(one.base64);
    CHECK_FALSE(one.dimensions);
    const auto many =
        embeddings(R"({"model":"m","input":["a","b"],"encoding_format":"base64","dimensions":256,)"
                   R"("input_type":"search_query","user":"u1"})");
    CHECK(many.input == std::vector<std::string>{"a", "b"});
    CHECK(many.base64);
    CHECK(many.dimensions == 256);
    CHECK(many.input_type == "search_query");
    CHECK(embeddings(R"({"model":"m","input":[[1,2],[3]]})").token_input);
    CHECK(embeddings(R"({"model":"m","input":[1,2,3]})").token_input);

    for (const auto& [body, param] : std::vector<std::pair<const char*, const char*>>{
             {R"({"input":"x"})", "model"},
             {R"({"model":"m"})", "input"},
             {R"({"model":"m","input":[]})", "input"},
             {R"({"model":"m","input":7})", "input"},
             {R"({"model":"m","input":["a",1]})", "input"},
             {R"({"model":"m","input":[{"text":"a"}]})", "input"},
             {R"({"model":"m","input":"a","encoding_format":"int8"})", "encoding_format"},
             {R"({"model":"m","input":"a","dimensions":0})", "dimensions"},
             {R"({"model":"m","input":"a","dimensions":"big"})", "dimensions"},
             {R"({"model":"m","input":"a","input_type":3})", "input_type"},
             {"[1]", ""},
             {"{", ""},
         }) {
        INFO(body);
        conversion_report report;
        CHECK(decode_embeddings_request(body, report).error() == errc::bad_request);
        CHECK(report.error_param == param);
        CHECK_FALSE(report.error_message.empty());
    }
}

TEST_CASE("embeddings to Cohere: texts, input_type, float embeddings, output_dimension",
          "[embed]") {
    conversion_report report;
    auto parts = encode_cohere_embed(embeddings(R"({"model":"client","input":["a","b"]})"),
                                     "embed-v4.0", report);
    REQUIRE(parts.has_value());
    CHECK(parts->path == "/embed");
    CHECK(json::parse(parts->body) ==
          json::parse(R"({"model":"embed-v4.0","texts":["a","b"],"input_type":"search_document",)"
                      R"("embedding_types":["float"]})"));
    parts = encode_cohere_embed(
        embeddings(R"({"model":"c","input":"q","dimensions":512,"input_type":"search_query",)"
                   R"("encoding_format":"base64"})"),
        "embed-v4.0", report);
    REQUIRE(parts.has_value());
    CHECK(json::parse(parts->body) ==
          json::parse(R"({"model":"embed-v4.0","texts":["q"],"input_type":"search_query",)"
                      R"("embedding_types":["float"],"output_dimension":512})"));
    const auto tokens =
        encode_cohere_embed(embeddings(R"({"model":"c","input":[1,2]})"), "embed-v4.0", report);
    CHECK(tokens.error() == errc::unsupported_feature);
    CHECK(report.error_param == "input");
}

TEST_CASE("embeddings from Cohere: OpenAI's list, floats or base64 float32, billed tokens",
          "[embed]") {
    conversion_report report;
    gateway::usage billed;
    auto out = decode_cohere_embed(cohere_embed_answer,
                                   embeddings(R"({"model":"e","input":["hello","goodbye"]})"),
                                   "my-embedder", billed, report);
    INFO(report.error_message);
    REQUIRE(out.has_value());
    CHECK(json::parse(*out) == json::parse(R"({"object":"list","data":[
        {"object":"embedding","index":0,"embedding":[1,-2.5,0.016296387]},
        {"object":"embedding","index":1,"embedding":[0.5,0.25,-0.125]}],
        "model":"my-embedder","usage":{"prompt_tokens":2,"total_tokens":2}})"));
    CHECK(out->find("0.016296387") != std::string::npos);  // written as Cohere sent it
    CHECK(billed.reported);
    CHECK(billed.input_tokens == 2);
    CHECK(billed.output_tokens == 0);

    out = decode_cohere_embed(
        cohere_embed_answer,
        embeddings(R"({"model":"e","input":["hello","goodbye"],"encoding_format":"base64"})"),
        "my-embedder", billed, report);
    REQUIRE(out.has_value());
    const auto data = json::parse(*out).at("data").as_array();
    // 1.0f = 00 00 80 3f, -2.5f = 00 00 20 c0, 0.016296387f = 00 80 85 3c (little-endian).
    CHECK(data[0].at("embedding") == "AACAPwAAIMAAgIU8");
    // 0.5f, 0.25f, -0.125f.
    CHECK(data[1].at("embedding") == "AAAAPwAAgD4AAAC+");

    for (const char* bad : {
             "not json",
             R"({"embeddings":{}})",
             R"({"embeddings":{"float":[[1.0]]}})",  // one vector for two texts
             R"({"embeddings":{"float":[[1.0],"x"]}})",
             R"({"embeddings":{"float":[[1.0],["x"]]}})",
         }) {
        INFO(bad);
        conversion_report r;
        CHECK(decode_cohere_embed(bad, embeddings(R"({"model":"e","input":["a","b"]})"), "m",
                                  billed, r)
                  .error() == errc::bad_upstream_response);
        CHECK_FALSE(r.error_message.empty());
    }
}

TEST_CASE("rerank request: Cohere/Jina shape, documents as strings or {text}", "[rerank]") {
    const auto req =
        rerank(R"({"model":"rerank-v3.5","query":"capital of the US?","top_n":2,)"
               R"("return_documents":true,"documents":["Carson City is in Nevada.",)"
               R"({"text":"Washington, D.C. is the capital."},"Paris is in France."]})");
    CHECK(req.documents.size() == 3);
    CHECK(req.documents[1] == "Washington, D.C. is the capital.");
    CHECK(req.top_n == 2);
    CHECK(req.return_documents);
    auto parts = encode_cohere_rerank(req, "rerank-v3.5");
    CHECK(parts.path == "/rerank");
    CHECK(json::parse(parts.body) ==
          json::parse(R"({"model":"rerank-v3.5","query":"capital of the US?","documents":[)"
                      R"("Carson City is in Nevada.","Washington, D.C. is the capital.",)"
                      R"("Paris is in France."],"top_n":2})"));

    for (const auto& [body, param] : std::vector<std::pair<const char*, const char*>>{
             {R"({"query":"q","documents":["a"]})", "model"},
             {R"({"model":"m","documents":["a"]})", "query"},
             {R"({"model":"m","query":"q"})", "documents"},
             {R"({"model":"m","query":"q","documents":[]})", "documents"},
             {R"({"model":"m","query":"q","documents":["a",{"title":"t"}]})", "documents[1]"},
             {R"({"model":"m","query":"q","documents":["a"],"top_n":-1})", "top_n"},
             {R"({"model":"m","query":"q","documents":["a"],"return_documents":"yes"})",
              "return_documents"},
         }) {
        INFO(body);
        conversion_report report;
        CHECK(decode_rerank_request(body, report).error() == errc::bad_request);
        CHECK(report.error_param == param);
    }
}

TEST_CASE("rerank from Cohere: results in Cohere's order, documents added back, search units",
          "[rerank]") {
    const auto req =
        rerank(R"({"model":"r","query":"q","return_documents":true,"documents":["a","b","c"]})");
    conversion_report report;
    gateway::usage billed;
    auto out = decode_cohere_rerank(cohere_rerank_answer, req, "my-reranker", billed, report);
    INFO(report.error_message);
    REQUIRE(out.has_value());
    CHECK(json::parse(*out) == json::parse(R"({"id":"07734bd2-2473-4f07-94e1-0d9f0e6843cf",
        "model":"my-reranker","results":[
        {"index":2,"relevance_score":0.999071,"document":{"text":"c"}},
        {"index":0,"relevance_score":0.32713068,"document":{"text":"a"}}],
        "usage":{"total_tokens":0,"search_units":1}})"));
    CHECK(billed.reported);
    CHECK(billed.input_tokens == 1);  // one search unit

    auto plain = rerank(R"({"model":"r","query":"q","documents":["a","b","c"]})");
    out = decode_cohere_rerank(
        R"({"results":[{"index":1,"relevance_score":0.5}],"meta":{"tokens":{"input_tokens":42}}})",
        plain, "m", billed, report);
    REQUIRE(out.has_value());
    CHECK(json::parse(*out) == json::parse(R"({"model":"m","results":[)"
                                           R"({"index":1,"relevance_score":0.5}],)"
                                           R"("usage":{"total_tokens":42}})"));
    CHECK(billed.input_tokens == 42);

    for (const char* bad : {
             "[]",
             R"({"results":{}})",
             R"({"results":[{"index":3,"relevance_score":0.1}]})",  // no such document
             R"({"results":[{"index":0}]})",
             R"({"results":[{"relevance_score":0.1}]})",
         }) {
        INFO(bad);
        conversion_report r;
        CHECK(decode_cohere_rerank(bad, plain, "m", billed, r).error() ==
              errc::bad_upstream_response);
    }
}

TEST_CASE("pass-through usage: prompt_tokens, or Jina's total_tokens", "[embed][rerank]") {
    gateway::usage u;
    CHECK(read_passthrough_usage(R"({"usage":{"prompt_tokens":8,"total_tokens":8}})", u));
    CHECK(u.input_tokens == 8);
    CHECK(read_passthrough_usage(R"({"results":[],"usage":{"total_tokens":31}})", u));
    CHECK(u.input_tokens == 31);
    CHECK_FALSE(read_passthrough_usage(R"({"data":[]})", u));
    CHECK_FALSE(read_passthrough_usage("<html>", u));
}
