#pragma once
// OAuth access tokens for Google service-account keys (Vertex AI channels), fetched through the
// worker's HTTP client and cached until shortly before they expire (private to server/).
//
// One source per worker thread, like the HTTP client it uses: no locks. Keys are told apart by
// their SHA-256, so the key JSON itself is held only in the parsed account. A request that finds
// no valid token fetches one; several requests arriving together before the first token may
// each fetch once (at most a handful, at start-up), later ones reuse the cache.

#include "gateway/core/error.hpp"
#include "gateway/http/client.hpp"
#include "providers/vertex/service_account.hpp"

#include <boost/asio/awaitable.hpp>

#include <string>
#include <string_view>
#include <unordered_map>

namespace gateway::server {

class google_tokens {
  public:
    explicit google_tokens(http::client& client) : client_(client) {}

    struct token {
        std::string access_token;
        std::string project;  ///< the key's project_id
    };

    /// A valid access token for `key_json`. Errors: `errc::bad_request` (not a usable
    /// service-account key), `errc::auth_failed` (Google refused the assertion), or the HTTP
    /// client's error; `why` says which, never quoting key material.
    boost::asio::awaitable<result<token>> get(std::string_view key_json, std::string& why);

    /// Forgets the token of `key_json` (after the upstream answered 401 with it).
    void invalidate(std::string_view key_json);

  private:
    struct entry {
        providers::vertex::service_account account;
        providers::vertex::token_cache cache;
    };

    http::client& client_;
    std::unordered_map<std::string, entry> by_key_;  // SHA-256 hex of the key JSON → entry
};

}  // namespace gateway::server
