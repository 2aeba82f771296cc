#include "server/redact.hpp"

#include <algorithm>
#include <vector>

namespace gateway::server {

namespace {

constexpr std::size_t min_secret_bytes = 8;

/// The length of the longest run starting at `text[at]` that occurs in `secret` (0 if shorter
/// than the smallest fragment worth redacting, which is the whole secret when it is short).
std::size_t quoted_run(std::string_view text, std::size_t at, std::string_view secret) {
    const std::size_t probe = std::min(min_secret_fragment, secret.size());
    if (text.size() - at < probe) return 0;
    const std::string_view head = text.substr(at, probe);
    std::size_t best = 0;
    for (std::size_t pos = secret.find(head); pos != std::string_view::npos;
         pos = secret.find(head, pos + 1)) {
        std::size_t n = probe;
        while (at + n < text.size() && pos + n < secret.size() && text[at + n] == secret[pos + n]) {
            ++n;
        }
        best = std::max(best, n);
    }
    return best;
}

/// Separators between the parts of a composite credential.
bool is_separator(char c) {
    return c == ':' || c == '|' || c == ',' || c == '\n' || c == '"' || c == ' ';
}

}  // namespace

std::size_t redact_secrets(std::string& text, std::span<const std::string_view> secrets) {
    if (text.empty() || secrets.empty()) return 0;
    // Each secret, and each part of a composite one (a fragment spans no separator).
    std::vector<std::string_view> needles;
    for (const std::string_view secret : secrets) {
        if (secret.size() < min_secret_bytes) continue;
        needles.push_back(secret);
        for (std::size_t start = 0; start < secret.size();) {
            std::size_t end = start;
            while (end < secret.size() && !is_separator(secret[end])) ++end;
            if (end - start >= min_secret_fragment && end - start < secret.size()) {
                needles.push_back(secret.substr(start, end - start));
            }
            start = end + 1;
        }
    }
    std::size_t replaced = 0;
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t run = 0;
        for (const std::string_view needle : needles)
            run = std::max(run, quoted_run(text, at, needle));
        if (run > 0) {
            text.replace(at, run, redacted_marker);
            at += redacted_marker.size();
            ++replaced;
        } else {
            ++at;
        }
    }
    return replaced;
}

std::string redacted(std::string_view text, std::span<const std::string_view> secrets) {
    std::string out(text);
    redact_secrets(out, secrets);
    return out;
}

}  // namespace gateway::server
