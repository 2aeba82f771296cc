#pragma once
/// A minimal process-wide logger: one line per message with a timestamp and level.
///
/// Messages are built by the caller (the library formats with fmt internally); the sink writes
/// to stderr by default and may be replaced by an embedder. Never pass a secret to it.
/// Thread safety: `set_level`/`set_sink` at start-up; logging from any thread.

#include <functional>
#include <string_view>

namespace gateway::log {

enum class level { debug = 0, info = 1, warn = 2, error = 3, off = 4 };

void set_level(level l) noexcept;
level current_level() noexcept;
/// Parses "debug", "info", "warn" or "error"; false for anything else.
bool parse_level(std::string_view text, level& out) noexcept;

using sink = std::function<void(level, std::string_view message)>;
void set_sink(sink s);

void write(level l, std::string_view message);
inline bool enabled(level l) noexcept { return l >= current_level(); }

inline void debug(std::string_view m) {
    if (enabled(level::debug)) write(level::debug, m);
}
inline void info(std::string_view m) {
    if (enabled(level::info)) write(level::info, m);
}
inline void warn(std::string_view m) {
    if (enabled(level::warn)) write(level::warn, m);
}
inline void error(std::string_view m) {
    if (enabled(level::error)) write(level::error, m);
}

}  // namespace gateway::log
