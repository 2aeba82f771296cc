#pragma once
// Throw-away X.509 material for TLS tests, made with OpenSSL at run time (no files in the repo,
// nothing that can expire in CI): a CA, server identities signed by it, and temp files for
// `client_options::ca_file`. Test code only: failures throw std::runtime_error.

#include "support/fake_upstream.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace gateway::test {

struct test_ca {
    std::string certificate_pem;
    std::string private_key_pem;
};

struct server_cert_options {
    std::string common_name = "upstream.gateway.test";
    std::vector<std::string> dns_names = {"upstream.gateway.test"};  ///< subjectAltName DNS entries
    std::vector<std::string> ip_addresses = {"127.0.0.1"};           ///< subjectAltName IP entries
    bool expired = false;  ///< validity window entirely in the past (ended yesterday)
};

/// A self-signed CA (EC P-256, SHA-256), valid from an hour ago for ten days.
test_ca make_test_ca(std::string_view common_name = "gatewayd test CA");

/// A server certificate and key signed by `ca`, ready for `fake_upstream`.
tls_identity make_server_identity(const test_ca& ca, const server_cert_options& options = {});

/// A file in the temp directory holding `contents`, removed on destruction.
class temp_file {
  public:
    explicit temp_file(std::string_view contents, std::string_view suffix = ".pem");
    ~temp_file();
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;

    const std::string& path() const noexcept { return path_; }

  private:
    std::string path_;
};

}  // namespace gateway::test
