#include "server/google_tokens.hpp"

#include "gateway/storage/store.hpp"

#include <boost/beast/http/field.hpp>

#include <chrono>

namespace gateway::server {

namespace net = boost::asio;
namespace vertex = providers::vertex;

net::awaitable<result<google_tokens::token>> google_tokens::get(std::string_view key_json,
                                                                std::string& why) {
    const std::string id = storage::hash_key(key_json);
    auto it = by_key_.find(id);
    if (it == by_key_.end()) {
        auto account = vertex::parse_service_account(key_json, &why);
        if (!account) co_return account.error();
        it = by_key_.emplace(id, entry{std::move(*account), vertex::token_cache{}}).first;
    }
    const auto now = std::chrono::system_clock::now();
    if (!it->second.cache.needs_refresh(now)) {
        if (auto current = it->second.cache.current(now)) {
            co_return token{std::string(*current), it->second.account.project_id};
        }
    }
    auto assertion = vertex::make_jwt_assertion(it->second.account, now);
    if (!assertion) {
        why = "cannot sign a token request with the service-account key";
        co_return assertion.error();
    }
    http::request req;
    req.method = boost::beast::http::verb::post;
    req.url = it->second.account.token_uri;
    req.headers.set(boost::beast::http::field::content_type, "application/x-www-form-urlencoded");
    req.body = vertex::token_request_body(*assertion);
    auto res = co_await client_.async_send(std::move(req));
    if (!res) {
        why = "the token endpoint could not be reached: " + client_.last_error_detail();
        co_return res.error();
    }
    // `by_key_` may have changed while the request was out: look the entry up again.
    it = by_key_.find(id);
    if (it == by_key_.end()) {
        why = "the key was forgotten while its token was fetched";
        co_return make_error_code(errc::auth_failed);
    }
    auto parsed = vertex::parse_token_response(res->body, std::chrono::system_clock::now(), &why);
    if (!parsed) {
        // A stale token is still valid until it expires: better than failing the request.
        if (auto current = it->second.cache.current(now)) {
            co_return token{std::string(*current), it->second.account.project_id};
        }
        co_return parsed.error();
    }
    std::string value = parsed->token;
    it->second.cache.store(std::move(*parsed));
    co_return token{std::move(value), it->second.account.project_id};
}

void google_tokens::invalidate(std::string_view key_json) {
    if (auto it = by_key_.find(storage::hash_key(key_json)); it != by_key_.end()) {
        it->second.cache.clear();
    }
}

}  // namespace gateway::server
