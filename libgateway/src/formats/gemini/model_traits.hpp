#pragma once
// What the Gemini model name tells about the model (private to the gemini format): the version
// family decides thinking controls, thought-signature validation and sampling knobs. Matched on
// documented names ("gemini-2.5-pro", "gemini-2.5-flash-lite", "gemini-3-pro-preview",
// "gemini-3-flash-preview", "gemini-flash-latest", ...),
// https://ai.google.dev/gemini-api/docs/models

#include <string_view>

namespace gateway::formats::gemini {

struct model_traits {
    int major = 0;  ///< 0 when the name carries no version (aliases such as gemini-flash-latest)
    int minor = 0;
    bool gemini = false;  ///< a "gemini-" model (not gemma, not a tuned model)
    bool pro = false;
    bool flash = false;
    bool lite = false;

    /// The name has no version: an alias of a current model, treated as the newest family.
    bool unversioned() const noexcept { return gemini && major == 0; }
    bool at_least(int maj, int min) const noexcept {
        return unversioned() || major > maj || (major == maj && minor >= min);
    }
    /// Thinking models: 2.5 and later ("thinkingConfig … An error will be returned if this field is
    /// set for models that don't support thinking", GenerationConfig in the API reference).
    bool thinks() const noexcept { return gemini && at_least(2, 5); }
    /// Gemini 3 and later take thinkingLevel (versioned names only: an alias may still be 2.5).
    bool gemini3() const noexcept { return gemini && !unversioned() && major >= 3; }
    /// Gemini 3 answers 400 when a function call of the current turn lacks its thought signature;
    /// aliases are assumed to be of that family.
    bool validates_signatures() const noexcept { return gemini && (unversioned() || major >= 3); }
};

/// `name` without a "models/" prefix.
model_traits traits_of(std::string_view name) noexcept;

}  // namespace gateway::formats::gemini
