#include "gateway/core/log.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>

namespace gateway::log {
namespace {

std::atomic<level> g_level{level::info};
std::mutex g_sink_mutex;
sink g_sink;

std::string_view name_of(level l) noexcept {
    switch (l) {
        case level::debug:
            return "debug";
        case level::info:
            return "info";
        case level::warn:
            return "warn";
        case level::error:
            return "error";
        case level::off:
            return "off";
    }
    return "info";
}

}  // namespace

void set_level(level l) noexcept { g_level.store(l, std::memory_order_relaxed); }

level current_level() noexcept { return g_level.load(std::memory_order_relaxed); }

bool parse_level(std::string_view text, level& out) noexcept {
    for (auto l : {level::debug, level::info, level::warn, level::error}) {
        if (text == name_of(l)) {
            out = l;
            return true;
        }
    }
    return false;
}

void set_sink(sink s) {
    std::lock_guard lock{g_sink_mutex};
    g_sink = std::move(s);
}

void write(level l, std::string_view message) {
    std::lock_guard lock{g_sink_mutex};
    if (g_sink) {
        g_sink(l, message);
        return;
    }
    auto now =
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    auto line = fmt::format("{:%Y-%m-%dT%H:%M:%S}Z {:5} {}\n", now, name_of(l), message);
    std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace gateway::log
