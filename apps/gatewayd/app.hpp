#pragma once
// gatewayd's start-up and command line, apart from main() so the tests can call them.

#include "config.hpp"

#include <iosfwd>
#include <span>
#include <string>
#include <string_view>

namespace gatewayd {

/// Runs the server until SIGINT or SIGTERM, then shuts down gracefully. Returns the exit
/// status (0 after a clean stop).
int serve(const config& cfg, std::ostream& out);

/// `gatewayd token create NAME [--models a,b] [--quota N]`: prints a new key once.
int token_command(const config& cfg, std::span<const std::string_view> args, std::ostream& out,
                  std::ostream& err);

/// The allocator the binary was linked with, for `--version` (main() sets it).
inline std::string allocator_name = "system malloc";

/// The whole command line; returns the exit status.
int main_with_args(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);

}  // namespace gatewayd
