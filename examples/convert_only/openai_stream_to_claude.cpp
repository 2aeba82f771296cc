// Turns a recorded OpenAI Chat Completions stream into the Anthropic Messages stream a Claude
// client would receive, feeding the bytes in small pieces as a socket would deliver them.
//
//   convert_openai_stream_to_claude recorded.sse      (default: a built-in three-chunk stream)

#include "gateway/ingress/codec.hpp"
#include "gateway/upstream/codec.hpp"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <string_view>

namespace {

constexpr std::string_view sample_stream =
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
    "\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
    "\"content\":\"\"},\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
    "\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello!\"},"
    "\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
    "\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}"
    "\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
    "\"model\":\"gpt-4o\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,"
    "\"completion_tokens\":2,\"total_tokens\":11}}\n\n"
    "data: [DONE]\n\n";

}  // namespace

int main(int argc, char** argv) {
    std::string recorded(sample_stream);
    if (argc > 1) {
        std::ifstream in(argv[1], std::ios::binary);
        if (!in) {
            std::cerr << "cannot read " << argv[1] << "\n";
            return 1;
        }
        recorded.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }

    auto decoder =
        gateway::upstream::make_stream_decoder(gateway::upstream::upstream_format::openai_chat);
    gateway::ingress::encode_options options;
    options.model = "claude-sonnet-4-5";  // the name the Claude client asked for
    auto encoder =
        gateway::ingress::make_stream_encoder(gateway::api_format::anthropic_messages, options);

    // The decoder pushes canonical events straight into the encoder; whatever SSE the encoder
    // has ready after each piece is what a server would write to the client.
    std::string_view rest = recorded;
    while (!rest.empty()) {
        const std::string_view piece = rest.substr(0, std::min<std::size_t>(rest.size(), 7));
        rest.remove_prefix(piece.size());
        if (auto fed = decoder->feed(piece, *encoder); !fed) {
            std::cerr << "bad stream: " << decoder->error_detail() << "\n";
            return 1;
        }
        std::cout << encoder->output();
        encoder->output().clear();
    }
    if (auto done = decoder->finish(*encoder); !done) {
        std::cerr << "stream ended early: " << decoder->error_detail() << "\n";
        return 1;
    }
    std::cout << encoder->output();
    return 0;
}
