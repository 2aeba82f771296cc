// The built-in adapters, in one place (no self-registration).

#include "gateway/provider/registry.hpp"
#include "gateway/provider/profile.hpp"
#include "providers/anthropic/anthropic.hpp"
#include "providers/azure/azure.hpp"
#include "providers/bedrock/bedrock.hpp"
#include "providers/cohere/cohere.hpp"
#include "providers/gemini/gemini.hpp"
#include "providers/vertex/vertex.hpp"

namespace gateway::provider {

void register_builtin_providers(registry& r) {
    for (const auto& profile : builtin_profiles()) r.add(make_compatible_adapter(profile));
    r.add(providers::azure::make_adapter());
    r.add(providers::anthropic::make_adapter());
    r.add(providers::gemini::make_adapter());
    r.add(providers::cohere::make_adapter());
    r.add(providers::vertex::make_adapter());
    r.add(providers::bedrock::make_adapter());
}

}  // namespace gateway::provider
