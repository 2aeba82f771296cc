// Relay keys: how they are made and the only form in which they are stored.

#include "gateway/storage/store.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace gateway::storage {
namespace {

constexpr std::string_view hex_digits = "0123456789abcdef";
constexpr std::string_view base62_alphabet =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::size_t key_random_chars = 48;

// 248 = 4 * 62: bytes at or above it are rejected so that `byte % 62` is uniform.
constexpr unsigned rejection_limit = 256 / base62_alphabet.size() * base62_alphabet.size();

}  // namespace

std::string hash_key(std::string_view key) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int digest_size = 0;
    // Fetched once: EVP_sha256() makes OpenSSL 3 look the algorithm up again on every call, a
    // third of this function's cost, and it runs on every request. Never freed, like OpenSSL's
    // own tables.
    static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    const EVP_MD* md = sha256 != nullptr ? sha256 : EVP_sha256();
    // One context per thread, reset for each key: EVP_Digest allocates and frees one per call.
    thread_local const std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> context{EVP_MD_CTX_new(),
                                                                                  &EVP_MD_CTX_free};
    EVP_MD_CTX* ctx = context.get();
    if (ctx == nullptr || EVP_DigestInit_ex2(ctx, md, nullptr) != 1 ||
        EVP_DigestUpdate(ctx, key.data(), key.size()) != 1 ||
        EVP_DigestFinal_ex(ctx, digest.data(), &digest_size) != 1 || digest_size != 32) {
        // Only an allocation failure gets here. An empty hash never matches a stored one (the
        // store only accepts 64 hex digits), so a lookup fails closed.
        return {};
    }
    std::string out;
    out.reserve(std::size_t{digest_size} * 2);
    for (std::size_t i = 0; i < digest_size; ++i) {
        out.push_back(hex_digits[digest[i] >> 4U]);
        out.push_back(hex_digits[digest[i] & 0x0fU]);
    }
    return out;
}

std::string generate_key() {
    std::string key = "sk-";
    key.reserve(3 + key_random_chars);
    std::array<unsigned char, 64> buffer{};
    while (key.size() < 3 + key_random_chars) {
        if (RAND_bytes(buffer.data(), static_cast<int>(buffer.size())) != 1) {
            // Never hand out a predictable key. The RNG only fails when the system has no
            // entropy source at all, which is a deployment error, not a request-path one.
            throw std::runtime_error("generate_key: OpenSSL's random generator failed");
        }
        for (unsigned char byte : buffer) {
            if (byte >= rejection_limit) continue;
            key.push_back(base62_alphabet[byte % base62_alphabet.size()]);
            if (key.size() == 3 + key_random_chars) break;
        }
    }
    return key;
}

}  // namespace gateway::storage
