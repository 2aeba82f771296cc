#include "support/test_certs.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <unistd.h>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>

namespace gateway::test {

namespace {

struct bio_free_fn {
    void operator()(BIO* b) const noexcept { BIO_free(b); }
};
struct pkey_free_fn {
    void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
struct x509_free_fn {
    void operator()(X509* x) const noexcept { X509_free(x); }
};
struct ext_free_fn {
    void operator()(X509_EXTENSION* e) const noexcept { X509_EXTENSION_free(e); }
};
using bio_ptr = std::unique_ptr<BIO, bio_free_fn>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free_fn>;
using x509_ptr = std::unique_ptr<X509, x509_free_fn>;
using ext_ptr = std::unique_ptr<X509_EXTENSION, ext_free_fn>;

void check(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("test_certs: ") + what + " failed");
}

pkey_ptr make_key() {
    // EVP_EC_gen is a macro with a C cast; this is what it expands to.
    pkey_ptr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    check(key != nullptr, "EC key generation");
    return key;
}

std::string drain(BIO* bio) {
    std::string out(BIO_ctrl_pending(bio), '\0');
    if (!out.empty()) {
        check(
            BIO_read(bio, out.data(), static_cast<int>(out.size())) == static_cast<int>(out.size()),
            "BIO_read");
    }
    return out;
}

std::string to_pem(X509* cert) {
    bio_ptr bio(BIO_new(BIO_s_mem()));
    check(bio && PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
    return drain(bio.get());
}

std::string to_pem(EVP_PKEY* key) {
    bio_ptr bio(BIO_new(BIO_s_mem()));
    check(
        bio && PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey");
    return drain(bio.get());
}

bio_ptr read_bio(const std::string& pem) {
    bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    check(bio != nullptr, "BIO_new_mem_buf");
    return bio;
}

x509_ptr cert_from_pem(const std::string& pem) {
    auto bio = read_bio(pem);
    x509_ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    check(cert != nullptr, "PEM_read_bio_X509");
    return cert;
}

pkey_ptr key_from_pem(const std::string& pem) {
    auto bio = read_bio(pem);
    pkey_ptr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    check(key != nullptr, "PEM_read_bio_PrivateKey");
    return key;
}

long next_serial() {
    // Distinct serials within a run and across runs (clients may cache nothing, but be tidy).
    static std::atomic<long> counter{0};
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    return (std::chrono::duration_cast<std::chrono::seconds>(now).count() % 1'000'000) * 1000 +
           ++counter;
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    ext_ptr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    check(ext != nullptr, "X509V3_EXT_conf_nid");
    check(X509_add_ext(cert, ext.get(), -1) == 1, "X509_add_ext");
}

void set_name(X509_NAME* name, std::string_view common_name) {
    std::string const cn(common_name);
    check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                     0) == 1,
          "X509_NAME_add_entry_by_txt");
}

x509_ptr new_cert(EVP_PKEY* key, std::string_view common_name, long not_before_s,
                  long not_after_s) {
    x509_ptr cert(X509_new());
    check(cert != nullptr, "X509_new");
    check(X509_set_version(cert.get(), 2) == 1, "X509_set_version");
    check(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), next_serial()) == 1, "serial");
    check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), not_before_s) != nullptr, "notBefore");
    check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), not_after_s) != nullptr, "notAfter");
    set_name(X509_get_subject_name(cert.get()), common_name);
    check(X509_set_pubkey(cert.get(), key) == 1, "X509_set_pubkey");
    return cert;
}

constexpr long hour = 3600;
constexpr long day = 24 * hour;

}  // namespace

test_ca make_test_ca(std::string_view common_name) {
    pkey_ptr key = make_key();
    x509_ptr cert = new_cert(key.get(), common_name, -hour, 10 * day);
    check(X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) == 1, "issuer");
    add_ext(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE");
    add_ext(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    add_ext(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
    check(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "X509_sign");
    return {to_pem(cert.get()), to_pem(key.get())};
}

tls_identity make_server_identity(const test_ca& ca, const server_cert_options& options) {
    x509_ptr ca_cert = cert_from_pem(ca.certificate_pem);
    pkey_ptr ca_key = key_from_pem(ca.private_key_pem);
    pkey_ptr key = make_key();
    x509_ptr cert = options.expired ? new_cert(key.get(), options.common_name, -2 * day, -day)
                                    : new_cert(key.get(), options.common_name, -hour, 10 * day);
    check(X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get())) == 1, "issuer");
    add_ext(cert.get(), ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert.get(), ca_cert.get(), NID_key_usage, "critical,digitalSignature");
    add_ext(cert.get(), ca_cert.get(), NID_ext_key_usage, "serverAuth");
    add_ext(cert.get(), ca_cert.get(), NID_subject_key_identifier, "hash");
    add_ext(cert.get(), ca_cert.get(), NID_authority_key_identifier, "keyid:always");
    std::string san;
    for (const auto& name : options.dns_names) san += (san.empty() ? "" : ",") + ("DNS:" + name);
    for (const auto& ip : options.ip_addresses) san += (san.empty() ? "" : ",") + ("IP:" + ip);
    if (!san.empty()) add_ext(cert.get(), ca_cert.get(), NID_subject_alt_name, san);
    check(X509_sign(cert.get(), ca_key.get(), EVP_sha256()) > 0, "X509_sign");
    return {to_pem(cert.get()), to_pem(key.get())};
}

temp_file::temp_file(std::string_view contents, std::string_view suffix) {
    static std::atomic<unsigned> counter{0};
    const auto name = "gatewayd-test-" + std::to_string(::getpid()) + "-" +
                      std::to_string(++counter) + std::string(suffix);
    path_ = (std::filesystem::temp_directory_path() / name).string();
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    if (!out) throw std::runtime_error("temp_file: cannot write " + path_);
}

temp_file::~temp_file() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
}

}  // namespace gateway::test
