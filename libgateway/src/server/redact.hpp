#pragma once
// Keeps the gateway's own credentials out of what leaves the process (private).
//
// Upstreams and the proxies in front of them sometimes quote the credential they received in
// an error ("Incorrect API key provided: sk-..."), whole or in part. Such text is relayed to
// clients and written to logs, so every upstream error text passes through `redact_secrets`
// with the channel's keys (and the access token of the attempt) first.

#include <span>
#include <string>
#include <string_view>

namespace gateway::server {

/// What replaces a quoted credential.
inline constexpr std::string_view redacted_marker = "[redacted]";

/// Shortest quoted fragment of a longer secret that is redacted: long enough that ordinary text
/// does not match a random key by chance, short enough to catch a key shown with its middle
/// elided ("sk-proj-abcdefgh...wxyz").
inline constexpr std::size_t min_secret_fragment = 12;

/// Replaces in `text` every occurrence of a secret, and every run of at least
/// `min_secret_fragment` bytes that also occurs inside a secret, by `redacted_marker`. A secret
/// composed of parts (`ACCESS_KEY:SECRET:region`, a service-account JSON) is also matched piece
/// by piece, since each piece alone is a credential (pieces shorter than `min_secret_fragment`,
/// such as a region, are not). Secrets shorter than 8 bytes are ignored:
/// they are placeholders (`none`, `ollama`), not credentials. Returns how many runs were replaced.
/// Cost: O(text × total secret length) in the worst case; used on error texts, not on streams.
std::size_t redact_secrets(std::string& text, std::span<const std::string_view> secrets);

/// A copy of `text` with the secrets redacted.
std::string redacted(std::string_view text, std::span<const std::string_view> secrets);

}  // namespace gateway::server
