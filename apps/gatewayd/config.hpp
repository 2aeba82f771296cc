#pragma once
// gatewayd's settings: compiled-in defaults, then a JSON file (--config), then environment
// variables. Every key is documented in docs/configuration.md.

#include <gateway/http/client.hpp>
#include <gateway/provider/profile.hpp>
#include <gateway/provider/registry.hpp>
#include <gateway/storage/store.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gatewayd {

struct server_settings {
    std::string host = "127.0.0.1";
    std::uint16_t port = 3000;
    unsigned threads = 0;                                ///< 0 = one per core
    std::size_t max_body_bytes = 32 * 1024 * 1024;       ///< larger request bodies get 413
    std::size_t max_body_bytes_in_flight = 256 * 1024 * 1024;  ///< over all requests; 0: none
    std::chrono::milliseconds header_timeout{30'000};    ///< to receive a request's headers
    std::chrono::milliseconds body_timeout{60'000};      ///< to receive a request's body
    std::chrono::milliseconds idle_timeout{120'000};     ///< keep-alive wait for the next request
    std::chrono::milliseconds write_timeout{60'000};     ///< a stalled client is dropped after this
    std::chrono::milliseconds shutdown_timeout{30'000};  ///< grace for in-flight requests
};

/// A relay token declared in the file: the literal key is hashed before it is stored.
struct configured_token {
    gateway::storage::token_record record;  ///< key_hash already filled in
};

struct config {
    server_settings server;
    std::string sqlite_path = "./data/gatewayd.db";
    std::string log_level = "info";  ///< "debug", "info", "warn" or "error"
    gateway::http::client_options upstream;
    /// OpenAI-compatible services declared in the file (added to the built-in ones).
    std::vector<gateway::provider::compatible_profile> providers;
    std::vector<gateway::storage::channel_record> channels;
    std::vector<configured_token> tokens;
};

/// The built-in provider adapters plus `providers` (which may replace a built-in row).
std::shared_ptr<const gateway::provider::registry> make_registry(
    const std::vector<gateway::provider::compatible_profile>& providers);

/// Thrown for a bad file or variable; the message names the offending key.
class config_error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// The embedded default: 127.0.0.1:3000, ./data/gatewayd.db, and one channel "mock" of type
/// "mock" serving the models "mock-gpt-4o" and "mock-claude".
config default_config();

/// Applies a JSON document on top of `base`: keys present replace the defaults ("channels"
/// and "tokens" replace the whole list). Unknown keys and wrong types throw config_error
/// naming the key path (e.g. `channels[1].base_url`).
config parse_config(std::string_view json_text, config base = default_config());

/// Reads and parses a file; errors name the file.
config load_config_file(const std::string& path, config base = default_config());

/// Overrides from environment variables (PORT, HOST, SQLITE_PATH, THREADS, MAX_BODY_BYTES,
/// SHUTDOWN_TIMEOUT, RELAY_TIMEOUT, CONNECT_TIMEOUT, LOG_LEVEL, TLS_VERIFY, CA_FILE).
/// `getenv` is injectable for tests. A malformed value throws config_error naming the variable.
using env_lookup = std::function<std::optional<std::string>(const char* name)>;
void apply_env_overrides(config& cfg, const env_lookup& getenv);
void apply_env_overrides(config& cfg);  ///< from the process environment

}  // namespace gatewayd
