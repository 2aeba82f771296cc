// Embeds the gateway in a program of your own: a relay with one key and the built-in mock
// provider on a free port, one request sent to it with the library's own HTTP client, then a
// graceful stop. Prints the answer; exits 0 when it came back 200.

#include <gateway/auth/token_table.hpp>
#include <gateway/http/client.hpp>
#include <gateway/routing/router.hpp>
#include <gateway/server/http_server.hpp>
#include <gateway/server/io_pool.hpp>
#include <gateway/server/relay_service.hpp>
#include <gateway/storage/store.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <iostream>
#include <memory>
#include <string>

int main() {
    const std::string key = gateway::storage::generate_key();

    gateway::storage::token_record token;
    token.id = 1;
    token.name = "example";
    token.key_hash = gateway::storage::hash_key(key);
    gateway::storage::channel_record mock;
    mock.id = 1;
    mock.name = "mock";
    mock.type = "mock";
    mock.models = {"mock-gpt-4o"};

    gateway::server::io_pool pool{1};
    gateway::server::relay_service relay{
        pool, std::make_shared<const gateway::auth::token_table>(std::vector{token}),
        std::make_shared<const gateway::routing::router>(std::vector{mock}), nullptr};
    gateway::server::server_options options;
    options.port = 0;
    gateway::server::http_server server{pool, options, relay.handler(), relay.head_checker()};
    if (auto listening = server.listen(); !listening) {
        std::cerr << "listen: " << listening.error().message() << "\n";
        return 1;
    }
    pool.run();

    gateway::http::client client{pool.context(0).get_executor()};
    gateway::http::request req;
    req.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/v1/chat/completions";
    req.headers.set(boost::beast::http::field::authorization, "Bearer " + key);
    req.headers.set(boost::beast::http::field::content_type, "application/json");
    req.body = R"({"model":"mock-gpt-4o","messages":[{"role":"user","content":"Hello!"}]})";
    auto answer = boost::asio::co_spawn(pool.context(0), client.async_send(std::move(req)),
                                        boost::asio::use_future)
                      .get();

    int status = 1;
    if (!answer) {
        std::cerr << "request failed: " << answer.error().message() << "\n";
    } else {
        std::cout << answer->status << " " << answer->body << "\n";
        status = answer->status == 200 ? 0 : 1;
    }
    boost::asio::post(pool.context(0), [&client] { client.close_idle(); });
    server.shutdown(std::chrono::seconds(5));
    pool.stop();
    pool.join();
    return status;
}
