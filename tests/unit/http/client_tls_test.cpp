// gateway::http::client over TLS: certificates made at run time by support/test_certs.

#include "gateway/http/client.hpp"

#include "support/fake_upstream.hpp"
#include "support/test_certs.hpp"
#include "unit/http/run_coro.hpp"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

namespace {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using namespace std::chrono_literals;
using gateway::errc;
using gateway::http::client;
using gateway::http::client_options;
using gateway::http::request;
using gateway::http::response;
using gateway::test::fake_upstream;
using gateway::test::get_request;
using gateway::test::json_response;
using gateway::test::make_server_identity;
using gateway::test::make_test_ca;
using gateway::test::recorded_request;
using gateway::test::run_coro;
using gateway::test::send;

using gateway::test::server_cert_options;
using gateway::test::sse_response;
using gateway::test::temp_file;
using gateway::test::test_ca;

const test_ca& the_ca() {
    static const test_ca ca = make_test_ca();
    return ca;
}

fake_upstream secure_upstream(const server_cert_options& cert = {}) {
    return fake_upstream(
        [](const recorded_request& r) {
            if (r.target == "/sse") return sse_response("data: one\n\ndata: two\n\n", 20ms);
            return json_response(200, R"({"secure":true})");
        },
        make_server_identity(the_ca(), cert));
}

// A name that no resolver knows: the client reaches it through `resolve_overrides`, so the
// tests check SNI and DNS-name verification without depending on /etc/hosts (a minimal
// container has none, and then not even "localhost" resolves).
constexpr std::string_view test_host = "upstream.gateway.test";

std::string named_url(const fake_upstream& up, std::string_view path) {
    return "https://" + std::string(test_host) + ":" + std::to_string(up.port()) +
           std::string(path);
}

client_options pinned_options() {
    client_options options;
    options.resolve_overrides.emplace(test_host, "127.0.0.1");
    return options;
}

}  // namespace

TEST_CASE("tls: a certificate signed by the configured CA is accepted", "[http][tls]") {
    fake_upstream upstream = secure_upstream();
    REQUIRE(upstream.base_url() == "https://127.0.0.1:" + std::to_string(upstream.port()));
    temp_file ca_file(the_ca().certificate_pem);
    net::io_context ioc;
    client_options options = pinned_options();
    options.ca_file = ca_file.path();
    client c(ioc.get_executor(), options);

    // By name (DNS, SNI, DNS SAN) and by address (IP SAN).
    auto by_name = run_coro(ioc, send(c, get_request(named_url(upstream, "/v1/models"))));
    INFO(c.last_error_detail());
    REQUIRE(by_name.has_value());
    CHECK(by_name->status == 200);
    CHECK(by_name->body == R"({"secure":true})");

    auto by_ip = run_coro(ioc, send(c, get_request(upstream.base_url() + "/v1/models")));
    REQUIRE(by_ip.has_value());
    CHECK(by_ip->body == R"({"secure":true})");

    // A chunked stream over TLS, then reuse of the pooled TLS connection to the named host.
    auto sse = run_coro(ioc, send(c, get_request(named_url(upstream, "/sse"))));
    REQUIRE(sse.has_value());
    CHECK(sse->body == "data: one\n\ndata: two\n\n");
    CHECK(c.connections_opened() == 2);  // one per (https, host, port)
    CHECK(upstream.connections_accepted() == 2);
    CHECK(c.idle_connections() == 2);

    const auto seen = upstream.requests();
    REQUIRE(seen.size() == 3);
    CHECK(seen[0].headers[bhttp::field::host] ==
          std::string(test_host) + ":" + std::to_string(upstream.port()));
}

TEST_CASE("tls: a client without the test CA rejects the server", "[http][tls]") {
    fake_upstream upstream = secure_upstream();
    net::io_context ioc;
    client c(ioc.get_executor(), pinned_options());  // system store only

    auto res = run_coro(ioc, send(c, get_request(named_url(upstream, "/"))));

    REQUIRE_FALSE(res.has_value());
    CHECK(res.error() == errc::upstream_connect_failed);
    CHECK_THAT(c.last_error_detail(), Catch::Matchers::Contains("certificate verification failed"));
    CHECK(upstream.requests().empty());
}

TEST_CASE("tls: a certificate for another name is rejected", "[http][tls]") {
    server_cert_options cert;
    cert.common_name = "other.example";
    cert.dns_names = {"other.example"};
    cert.ip_addresses = {};
    fake_upstream upstream = secure_upstream(cert);
    temp_file ca_file(the_ca().certificate_pem);
    net::io_context ioc;
    client_options options = pinned_options();
    options.ca_file = ca_file.path();
    client c(ioc.get_executor(), options);

    auto by_name = run_coro(ioc, send(c, get_request(named_url(upstream, "/"))));
    REQUIRE_FALSE(by_name.has_value());
    CHECK(by_name.error() == errc::upstream_connect_failed);
    CHECK_THAT(c.last_error_detail(), Catch::Matchers::Contains("hostname mismatch"));

    auto by_ip = run_coro(ioc, send(c, get_request(upstream.base_url() + "/")));
    REQUIRE_FALSE(by_ip.has_value());
    CHECK(by_ip.error() == errc::upstream_connect_failed);
    CHECK_THAT(c.last_error_detail(), Catch::Matchers::Contains("IP address mismatch"));
    CHECK(upstream.requests().empty());
}

TEST_CASE("tls: an expired certificate is rejected", "[http][tls]") {
    server_cert_options cert;
    cert.expired = true;
    fake_upstream upstream = secure_upstream(cert);
    temp_file ca_file(the_ca().certificate_pem);
    net::io_context ioc;
    client_options options = pinned_options();
    options.ca_file = ca_file.path();
    client c(ioc.get_executor(), options);

    auto res = run_coro(ioc, send(c, get_request(named_url(upstream, "/"))));

    REQUIRE_FALSE(res.has_value());
    CHECK(res.error() == errc::upstream_connect_failed);
    CHECK_THAT(c.last_error_detail(), Catch::Matchers::Contains("expired"));
}

TEST_CASE("tls: verify_peer = false accepts an unverifiable certificate", "[http][tls]") {
    server_cert_options cert;
    cert.common_name = "other.example";
    cert.dns_names = {"other.example"};
    cert.ip_addresses = {};
    fake_upstream upstream = secure_upstream(cert);
    net::io_context ioc;
    client_options options = pinned_options();
    options.verify_peer = false;
    client c(ioc.get_executor(), options);

    auto res = run_coro(ioc, send(c, get_request(named_url(upstream, "/"))));

    REQUIRE(res.has_value());
    CHECK(res->body == R"({"secure":true})");
}

TEST_CASE("tls: a resolve override that is not an address is a start-up error", "[http]") {
    net::io_context ioc;
    client_options options;
    options.resolve_overrides.emplace("api.example", "not-an-ip");
    CHECK_THROWS_WITH(
        client(ioc.get_executor(), options),
        Catch::Matchers::Contains("api.example") && Catch::Matchers::Contains("not-an-ip"));
}

TEST_CASE("tls: a missing ca_file is a start-up error", "[http][tls]") {
    net::io_context ioc;
    client_options options;
    options.ca_file = "/nonexistent/gatewayd-ca.pem";
    CHECK_THROWS_WITH(client(ioc.get_executor(), options),
                      Catch::Matchers::Contains("/nonexistent/gatewayd-ca.pem"));
}
