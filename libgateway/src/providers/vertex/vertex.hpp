#pragma once
// Google Vertex AI (private): see vertex.cpp.

#include "gateway/provider/adapter.hpp"

#include <memory>

namespace gateway::providers::vertex {

std::unique_ptr<provider::adapter> make_adapter();

}  // namespace gateway::providers::vertex
