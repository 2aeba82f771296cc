#pragma once
// Anthropic's Messages API (private): see anthropic.cpp.

#include "gateway/provider/adapter.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace gateway::providers::anthropic {

std::unique_ptr<provider::adapter> make_adapter();

/// The value of `anthropic-beta` for a request: the client's header and the channel's
/// `settings.beta` (a string or an array of strings), comma-joined, duplicates left out.
std::string beta_header(std::string_view client, const boost::json::object& settings);

}  // namespace gateway::providers::anthropic
