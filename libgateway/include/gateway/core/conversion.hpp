#pragma once
/// What a conversion tells its caller besides the result: why it failed (a message and the
/// offending parameter, for the client's error JSON), and what it dropped or changed on the way
/// (for the `X-Gateway-Adjusted` response header), so users are never surprised.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gateway {

/// What a target does with a parameter it cannot take as given.
enum class param_action : std::uint8_t {
    pass,     ///< send it
    drop,     ///< leave it out, report it (only where harmless)
    emulate,  ///< express it another way (e.g. a schema through a forced tool), report it
    reject,   ///< 400 naming the parameter
};

struct adjustment {
    std::string param;   ///< the client's wire name ("temperature", "response_format", ...)
    std::string action;  ///< "dropped", "emulated", or "renamed to max_completion_tokens", ...
};

struct conversion_report {
    /// Set by a failing conversion: a message fit for the client (no secrets, names the problem)
    /// and the parameter at fault (wire name, may be a path like "messages[2].content").
    std::string error_message;
    std::string error_param;
    std::vector<adjustment> adjustments;

    void dropped(std::string_view param) { adjustments.push_back({std::string(param), "dropped"}); }
    void emulated(std::string_view param) {
        adjustments.push_back({std::string(param), "emulated"});
    }
    void changed(std::string_view param, std::string_view how) {
        adjustments.push_back({std::string(param), std::string(how)});
    }
    void fail(std::string_view param, std::string_view message) {
        error_param = param;
        error_message = message;
    }
    /// `param=action, param=action` for the response header; empty when nothing changed.
    std::string header_value() const;
};

}  // namespace gateway
