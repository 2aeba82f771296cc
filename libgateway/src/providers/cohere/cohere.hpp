#pragma once
// Cohere's native API v2 (private): see cohere.cpp.

#include "gateway/provider/adapter.hpp"

#include <memory>

namespace gateway::providers::cohere {

std::unique_ptr<provider::adapter> make_adapter();

}  // namespace gateway::providers::cohere
