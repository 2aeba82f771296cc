#pragma once
/// Canonical token usage and finish reasons.

#include <cstdint>
#include <string_view>

namespace gateway {

/// Token counts in one convention, whatever the upstream's:
/// - `input_tokens` counts every prompt token, cached ones included (OpenAI's `prompt_tokens`).
///   Anthropic reports `input_tokens` without cache reads and writes: its decoder adds them, its
///   encoder subtracts them again.
/// - `output_tokens` counts every generated token, reasoning included (OpenAI's
///   `completion_tokens`, Anthropic's `output_tokens`). Gemini's `candidatesTokenCount` excludes
///   `thoughtsTokenCount`: its decoder adds them.
/// - `cache_read_tokens` ⊆ input (OpenAI `cached_tokens`, Anthropic `cache_read_input_tokens`,
///   Gemini `cachedContentTokenCount`); `cache_creation_tokens` ⊆ input (Anthropic
///   `cache_creation_input_tokens`, OpenAI `cache_write_tokens`); `reasoning_tokens` ⊆ output.
struct usage {
    std::int64_t input_tokens = 0;
    std::int64_t output_tokens = 0;
    std::int64_t cache_read_tokens = 0;
    std::int64_t cache_creation_tokens = 0;
    std::int64_t reasoning_tokens = 0;
    bool reported = false;  ///< the upstream sent usage (all zeros otherwise means "unknown")

    std::int64_t total_tokens() const noexcept { return input_tokens + output_tokens; }
    /// Anthropic's `input_tokens`: the part of the prompt neither read from nor written to cache.
    std::int64_t uncached_input_tokens() const noexcept {
        const std::int64_t rest = input_tokens - cache_read_tokens - cache_creation_tokens;
        return rest > 0 ? rest : 0;
    }
};

/// Why generation stopped, mapped faithfully between formats:
///
/// | canonical      | Chat            | Responses (status / reason)         | Anthropic            | Gemini |
/// |----------------|-----------------|-------------------------------------|----------------------|--------|
/// | stop           | stop            | completed                           | end_turn             | STOP   |
/// | stop_sequence  | stop            | completed                           | stop_sequence        | STOP   |
/// | length         | length          | incomplete / max_output_tokens      | max_tokens           | MAX_TOKENS |
/// | tool_use       | tool_calls      | completed (function_call items)     | tool_use             | STOP + functionCall |
/// | content_filter | content_filter  | incomplete / content_filter         | refusal              | SAFETY, RECITATION, BLOCKLIST, PROHIBITED_CONTENT, SPII |
/// | refusal        | stop + refusal  | completed (refusal part)            | refusal              | —      |
/// | pause_turn     | stop            | incomplete                          | pause_turn           | —      |
/// | context_window | length          | incomplete / max_output_tokens      | model_context_window_exceeded | MAX_TOKENS |
/// | error          | (error)         | failed                              | (error event)        | MALFORMED_FUNCTION_CALL, OTHER |
enum class finish_reason : std::uint8_t {
    none,  ///< not known yet (a stream still running)
    stop,
    stop_sequence,
    length,
    tool_use,
    content_filter,
    refusal,
    pause_turn,
    context_window,
    error,
};

std::string_view to_string(finish_reason reason) noexcept;

}  // namespace gateway
