#pragma once
/// The gateway's routes: authentication, routing to a channel, relaying to the upstream (or
/// answering from the built-in mock provider), and one request log per accepted request.
///
/// Routes: `GET /health`, `GET /v1/models`, `POST /v1/chat/completions`, `/v1/responses` and
/// `/v1/messages` (streamed or not, converted to each channel's upstream format),
/// `POST /v1/embeddings` and `/v1/rerank` (passed to OpenAI-compatible channels, converted for
/// Cohere's), and the no-key sandbox `POST /sandbox/v1/{chat/completions,responses,messages}`.
/// Errors reach clients in their own format's error envelope with a fitting status.
///
/// Thread safety: one service serves every worker of the pool; it keeps one HTTP client per
/// worker, used only on that worker's thread.

#include "gateway/auth/token_table.hpp"
#include "gateway/http/client.hpp"
#include "gateway/provider/registry.hpp"
#include "gateway/routing/router.hpp"
#include "gateway/server/http_server.hpp"
#include "gateway/server/io_pool.hpp"
#include "gateway/storage/log_writer.hpp"

#include <memory>

namespace gateway::server {

struct relay_options {
    http::client_options upstream;
    bool sandbox = true;  ///< serve the /sandbox/v1/ routes
    /// The provider adapters channel types name; null: the built-in ones.
    std::shared_ptr<const provider::registry> providers;
};

class relay_service {
  public:
    /// `logs` may be null (nothing is recorded); it must outlive the service.
    relay_service(io_pool& pool, std::shared_ptr<const auth::token_table> tokens,
                  std::shared_ptr<const routing::router> router, storage::log_writer* logs,
                  relay_options options = {});
    ~relay_service();
    relay_service(const relay_service&) = delete;
    relay_service& operator=(const relay_service&) = delete;

    boost::asio::awaitable<void> handle(request_context& ctx);

    /// A handler for `http_server` that calls `handle`; the service must outlive the server.
    request_handler handler();
    /// A head check for `http_server`: a POST to a route that needs a relay key, without a valid
    /// one, gets its 401 (in the route's format) before the body is read, so a client without a
    /// key cannot make the gateway hold its body. The service must outlive the server.
    head_check head_checker();

    struct impl;

  private:
    std::unique_ptr<impl> impl_;
};

}  // namespace gateway::server
