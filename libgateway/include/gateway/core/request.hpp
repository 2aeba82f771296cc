#pragma once
/// The canonical generation request: what a client asked for, in no particular wire format.

#include "gateway/core/api_format.hpp"
#include "gateway/core/message.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gateway {

/// A tool the model may call. `type == "function"` is a client-executed function with a JSON
/// Schema; any other type is a provider's built-in tool (`web_search`, `code_execution`,
/// Anthropic `bash_20250124`, ...) whose whole wire object is kept in `extra` and which only an
/// upstream of `extra_format` can run.
struct tool {
    std::string type = "function";
    std::string name;
    std::string description;
    boost::json::value parameters;  ///< JSON Schema of the arguments; null when none was given
    std::optional<bool> strict;     ///< OpenAI strict schema adherence
    boost::json::object extra;      ///< e.g. Anthropic `cache_control`, a built-in tool's fields
    std::string_view extra_format;
};

struct tool_choice {
    enum class mode : std::uint8_t { unset, auto_, none, required, tool };
    mode type = mode::unset;
    std::string name;  ///< mode::tool
};

/// Structured output. Anthropic has no schema mode: its encoder forces a tool whose input schema
/// is the requested one and its decoder turns that tool call back into text.
struct response_format {
    enum class kind : std::uint8_t { text, json_object, json_schema };
    kind type = kind::text;
    std::string name;  ///< json_schema: the schema's name (OpenAI requires one)
    std::string description;
    boost::json::value schema;  ///< json_schema
    std::optional<bool> strict;
};

/// Reasoning / extended thinking. Formats express it differently: OpenAI an effort level,
/// Anthropic a token budget, Gemini either. Encoders translate with `effort_to_budget` /
/// `budget_to_effort` when the client gave the other one.
struct reasoning_config {
    std::optional<std::string> effort;        ///< "none", "minimal", "low", "medium", "high", "xhigh"
    std::optional<std::int64_t> budget_tokens;  ///< Anthropic `budget_tokens`, Gemini `thinkingBudget`
    std::optional<bool> enabled;  ///< explicitly on or off (Anthropic `type`, Gemini budget 0)
    std::string summary;          ///< OpenAI Responses `reasoning.summary` ("auto", "detailed", ...)
    /// The client wants reasoning text in the answer (Gemini `includeThoughts`, a Chat client's
    /// `?thinking=true`); Anthropic always returns it when thinking is on.
    std::optional<bool> include_thoughts;
};

/// The token budget an effort level stands for, and back (for Anthropic and Gemini budgets).
std::int64_t effort_to_budget(std::string_view effort) noexcept;
std::string_view budget_to_effort(std::int64_t budget_tokens) noexcept;

struct sampling {
    std::optional<double> temperature;
    std::optional<double> top_p;
    std::optional<std::int64_t> top_k;
    std::optional<double> presence_penalty;
    std::optional<double> frequency_penalty;
    std::optional<std::int64_t> seed;
    std::vector<std::string> stop;
};

struct request {
    /// The format the client spoke; `extra` fields are in its wire names.
    api_format source_format = api_format::openai_chat;
    std::string model;
    /// Leading system (or developer) instructions: Chat's first system messages, Responses
    /// `instructions`, Anthropic `system`, Gemini `systemInstruction`. Text blocks (with
    /// `extra.cache_control` when the client marked them).
    std::vector<content_block> system;
    bool system_is_developer = false;  ///< the instructions arrived with the `developer` role
    std::vector<message> messages;
    std::vector<tool> tools;
    tool_choice choice;
    std::optional<bool> parallel_tool_calls;
    response_format format;
    reasoning_config reasoning;
    sampling sampler;
    std::optional<std::int64_t> max_output_tokens;
    std::optional<std::int64_t> n;  ///< Chat `n`; only 1 can be converted
    bool stream = false;
    bool include_usage = false;  ///< Chat `stream_options.include_usage`
    std::string user;            ///< end-user id (Chat/Responses `user`, Anthropic metadata.user_id)
    boost::json::object metadata;  ///< OpenAI `metadata` (string values)
    std::optional<std::string> service_tier;
    std::optional<bool> store;
    /// OpenAI Responses `previous_response_id`: the conversation lives at OpenAI, so only an
    /// OpenAI Responses upstream can serve it (other encoders reject it).
    std::string previous_response_id;
    /// Every top-level field of the client's body the canonical form does not model, in the
    /// client's wire names (`logprobs`, `prompt_cache_key`, `anthropic_beta` headers are not
    /// here). An upstream of the same format receives them; others report them as dropped or
    /// reject them (see `conversion_report`).
    boost::json::object extra;
};

}  // namespace gateway
