// A generation request whose body does not decode, relayed in-process over 127.0.0.1: the
// client gets a 400 in its own format and the server survives the request. Found by the `http`
// fuzz target (tests/fuzz/corpus/http/): the error message was built in the argument list of a
// coroutine call, which GCC 12 destroyed twice (a double free on the I/O thread, after the 400
// had been written, so a client saw nothing wrong).

#include "support/test_client.hpp"

#include <gateway/auth/token_table.hpp>
#include <gateway/routing/router.hpp>
#include <gateway/server/http_server.hpp>
#include <gateway/server/io_pool.hpp>
#include <gateway/server/relay_service.hpp>
#include <gateway/storage/store.hpp>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

using namespace gateway;
using namespace std::chrono_literals;
namespace json = boost::json;
namespace bhttp = boost::beast::http;

namespace {

constexpr const char* relay_key = "sk-relay-bad-body-test-0001";

struct mock_relay {
    server::io_pool pool{1};
    server::relay_service relay;
    server::http_server server;

    mock_relay()
        : relay(pool, tokens(), channels(), nullptr),
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
    ~mock_relay() {
        server.shutdown(2s);
        pool.stop();
        pool.join();
    }

    static std::shared_ptr<const auth::token_table> tokens() {
        storage::token_record t;
        t.id = 1;
        t.name = "bad-body";
        t.key_hash = storage::hash_key(relay_key);
        return std::make_shared<const auth::token_table>(std::vector<storage::token_record>{t});
    }
    static std::shared_ptr<const routing::router> channels() {
        storage::channel_record mock;
        mock.id = 1;
        mock.name = "mock";
        mock.type = "mock";
        mock.models = {"mock-gpt-4o"};
        return std::make_shared<const routing::router>(std::vector<storage::channel_record>{mock});
    }
};

}  // namespace

TEST_CASE(
    "relay: a body that does not decode is a 400 in the client's format, and the server "
    "lives on",
    "[server][relay]") {
    mock_relay gw;
    const std::vector<std::pair<std::string, std::string>> auth{
        {"Authorization", std::string("Bearer ") + relay_key},
        {"Content-Type", "application/json"}};
    // Not JSON, and JSON that is not a request: both answered with the decoder's message.
    const std::string bodies[] = {"{not json", R"({"model":"mock-gpt-4o","messages":7})"};
    for (const std::string& body : bodies) {
        INFO(body);
        auto chat = test::http_call(gw.server.port(), bhttp::verb::post, "/v1/chat/completions",
                                    body, auth);
        CHECK(chat.status == 400);
        // OpenAI's envelope (https://platform.openai.com/docs/guides/error-codes).
        const auto chat_error = json::parse(chat.body).at("error");
        CHECK(chat_error.at("type") == "invalid_request_error");
        CHECK_FALSE(chat_error.at("message").as_string().empty());

        auto messages =
            test::http_call(gw.server.port(), bhttp::verb::post, "/v1/messages", body, auth);
        CHECK(messages.status == 400);
        // Anthropic's envelope (https://docs.anthropic.com/en/api/errors).
        const auto anthropic = json::parse(messages.body);
        CHECK(anthropic.at("type") == "error");
        CHECK(anthropic.at("error").at("type") == "invalid_request_error");

        auto responses =
            test::http_call(gw.server.port(), bhttp::verb::post, "/v1/responses", body, auth);
        CHECK(responses.status == 400);
        CHECK(json::parse(responses.body).at("error").at("type") == "invalid_request_error");
    }
    // The I/O thread is still serving.
    CHECK(test::http_call(gw.server.port(), bhttp::verb::get, "/health").status == 200);
}

TEST_CASE("relay: a 404 for a target that is not UTF-8 is still a JSON body", "[server][relay]") {
    // Found by the `http` fuzz target: the 404 quotes the target, whose bytes went into the JSON
    // as they came, so the client's parser refused the body (RFC 8259, section 8.1: UTF-8).
    mock_relay gw;
    test::raw_connection c(gw.server.port());
    c.send("GET /v1/re\xAF\xFFrank HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const std::string reply = c.read_to_end(5s);
    REQUIRE(reply.starts_with("HTTP/1.1 404 "));
    const std::string body = reply.substr(reply.find("\r\n\r\n") + 4);
    boost::system::error_code ec;
    const auto parsed = json::parse(body, ec);
    REQUIRE_FALSE(ec);
    CHECK(parsed.at("error").at("message") ==
          "Invalid URL (GET /v1/re\xEF\xBF\xBD\xEF\xBF\xBDrank)");
}
