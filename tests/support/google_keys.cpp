#include "support/google_keys.hpp"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <catch2/catch.hpp>

namespace gateway::test {

namespace json = boost::json;

pkey_ptr make_rsa_key() {
    pkey_ptr key(EVP_RSA_gen(2048U), &EVP_PKEY_free);
    REQUIRE(key);
    return key;
}

std::string pkcs8_pem(EVP_PKEY* key) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    REQUIRE(PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) ==
            1);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    REQUIRE(n > 0);
    return {data, static_cast<std::size_t>(n)};
}

json::object account_json(std::string_view pem, std::string_view token_uri,
                          std::string_view project) {
    return {{"type", "service_account"},
            {"project_id", project},
            {"private_key_id", "0123456789abcdef"},
            {"private_key", pem},
            {"client_email", "gatewayd@my-project.iam.gserviceaccount.com"},
            {"client_id", "1234567890"},
            {"token_uri", token_uri}};
}

std::string base64url_decode(std::string_view in) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '-') return 62;
        if (c == '_') return 63;
        return -1;
    };
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (const char c : in) {
        const int v = value(c);
        REQUIRE(v >= 0);  // base64url alphabet only, no padding
        buffer = (buffer << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xFFU);
        }
    }
    return out;
}

std::vector<std::string> split_jwt(std::string_view jwt) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
        const auto dot = jwt.find('.', start);
        parts.emplace_back(jwt.substr(start, dot - start));
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return parts;
}

bool verify_rs256(EVP_PKEY* key, std::string_view signing_input, std::string_view signature) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    REQUIRE(ctx);
    EVP_PKEY_CTX* pctx = nullptr;
    REQUIRE(EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key) == 1);
    REQUIRE(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1);
    return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                            signature.size(),
                            reinterpret_cast<const unsigned char*>(signing_input.data()),
                            signing_input.size()) == 1;
}

}  // namespace gateway::test
