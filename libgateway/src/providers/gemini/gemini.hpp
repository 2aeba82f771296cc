#pragma once
// Google AI Studio's Gemini API (private): see gemini.cpp.

#include "gateway/provider/adapter.hpp"

#include <memory>

namespace gateway::providers::gemini {

std::unique_ptr<provider::adapter> make_adapter();

}  // namespace gateway::providers::gemini
