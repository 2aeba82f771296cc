#pragma once
/// The explicit set of provider adapters a gateway knows, by id. Filled at start-up
/// (`register_builtin_providers`, then whatever an embedder or gatewayd's configuration adds),
/// read-only afterwards.
///
/// Thread safety: `add` at start-up only; `find` from any thread once filled.

#include "gateway/provider/adapter.hpp"

#include <memory>
#include <string_view>
#include <vector>

namespace gateway::provider {

class registry {
  public:
    /// Adds `a`, replacing an adapter of the same id (a configured profile may override a
    /// built-in one).
    void add(std::unique_ptr<adapter> a);
    /// The adapter of `id`, or null.
    const adapter* find(std::string_view id) const noexcept;
    /// Every id, in the order added.
    std::vector<std::string_view> ids() const;

  private:
    std::vector<std::unique_ptr<adapter>> adapters_;
};

/// Adds every built-in adapter: the OpenAI-compatible rows of `builtin_profiles()`, `azure`,
/// `anthropic`, `gemini`, `vertex`, `bedrock`.
void register_builtin_providers(registry& r);

}  // namespace gateway::provider
