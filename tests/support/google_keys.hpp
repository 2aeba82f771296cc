#pragma once
// Google service-account keys for tests: a fresh RSA key, its PKCS#8 PEM, a key file, and the
// checks a token endpoint makes on a JWT assertion (base64url, RS256 signature).

#include <openssl/evp.h>

#include <boost/json/object.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gateway::test {

using pkey_ptr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

/// A new 2048-bit RSA key (slow: share one per test binary).
pkey_ptr make_rsa_key();
std::string pkcs8_pem(EVP_PKEY* key);

/// A service-account key file with `pem` as its private key.
boost::json::object account_json(std::string_view pem,
                                 std::string_view token_uri = "https://oauth2.googleapis.com/token",
                                 std::string_view project = "my-project");

std::string base64url_decode(std::string_view in);
std::vector<std::string> split_jwt(std::string_view jwt);
/// Whether `signature` is an RS256 signature of `signing_input` by `key`.
bool verify_rs256(EVP_PKEY* key, std::string_view signing_input, std::string_view signature);

}  // namespace gateway::test
