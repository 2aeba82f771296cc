// Converts an Anthropic Messages request into the Gemini generateContent request that carries
// the same conversation, without a server: the converters are plain functions.
//
//   convert_claude_to_gemini [request.json]     (default: a built-in request with a tool call)

#include "gateway/ingress/codec.hpp"
#include "gateway/upstream/codec.hpp"

#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

namespace {

constexpr const char* sample_request = R"({
  "model": "claude-sonnet-4-5",
  "max_tokens": 1024,
  "system": "You are a weather assistant.",
  "tools": [{
    "name": "get_weather",
    "description": "Current weather of a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}},
                     "required": ["city"]}
  }],
  "messages": [
    {"role": "user", "content": "What is the weather in Paris?"},
    {"role": "assistant", "content": [
      {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}}]},
    {"role": "user", "content": [
      {"type": "tool_result", "tool_use_id": "toolu_01", "content": "18 °C, light rain"}]}
  ]
})";

}  // namespace

int main(int argc, char** argv) {
    std::string body = sample_request;
    if (argc > 1) {
        std::ifstream in(argv[1], std::ios::binary);
        if (!in) {
            std::cerr << "cannot read " << argv[1] << "\n";
            return 1;
        }
        body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }

    gateway::conversion_report report;
    auto request =
        gateway::ingress::decode_request(gateway::api_format::anthropic_messages, body, report);
    if (!request) {
        std::cerr << "invalid Claude request: " << report.error_message << "\n";
        return 1;
    }
    gateway::upstream::encode_options options;
    options.model = "gemini-2.5-flash";
    auto gemini = gateway::upstream::encode_request(gateway::upstream::upstream_format::gemini,
                                                    *request, options, report);
    if (!gemini) {
        std::cerr << "cannot convert: " << report.error_message << "\n";
        return 1;
    }
    std::cout << "POST {base_url}/v1beta" << gemini->path << "\n" << gemini->body << "\n";
    if (auto adjusted = report.header_value(); !adjusted.empty()) {
        std::cerr << "adjusted: " << adjusted << "\n";
    }
    return 0;
}
