#pragma once
// Amazon Bedrock (private): see bedrock.cpp.

#include "gateway/provider/adapter.hpp"

#include <memory>

namespace gateway::providers::bedrock {

std::unique_ptr<provider::adapter> make_adapter();

}  // namespace gateway::providers::bedrock
