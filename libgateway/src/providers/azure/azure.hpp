#pragma once
// Azure OpenAI (private): see azure.cpp.

#include "gateway/provider/adapter.hpp"

#include <memory>

namespace gateway::providers::azure {

std::unique_ptr<provider::adapter> make_adapter();

}  // namespace gateway::providers::azure
