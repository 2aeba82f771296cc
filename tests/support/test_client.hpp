#pragma once
// A small blocking HTTP/1.1 client for end-to-end tests (deliberately independent of the
// library's own client, which is itself under test).

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gateway::test {

struct http_result {
    unsigned status = 0;
    boost::beast::http::fields headers;
    std::string body;
};

/// One request on a fresh connection to 127.0.0.1:port; throws on a transport error.
http_result http_call(std::uint16_t port, boost::beast::http::verb method, std::string_view target,
                      std::string body = {},
                      const std::vector<std::pair<std::string, std::string>>& headers = {});

/// A raw connection whose response is read step by step (streams, disconnects).
class raw_connection {
  public:
    explicit raw_connection(std::uint16_t port);
    ~raw_connection();
    raw_connection(const raw_connection&) = delete;
    raw_connection& operator=(const raw_connection&) = delete;

    void send(std::string_view bytes);
    /// Reads until `needle` has been received (or the timeout passes); returns all received.
    std::string read_until(std::string_view needle, std::chrono::milliseconds timeout);
    /// Reads until the peer closes the connection (or the timeout passes).
    std::string read_to_end(std::chrono::milliseconds timeout);
    /// Segments with data received so far: on loopback, the number of the server's writes.
    std::uint32_t data_segments_received() const;
    void close();

    struct impl;

  private:
    std::unique_ptr<impl> impl_;
};

/// A POST request with a JSON body as raw bytes (Host, Content-Length and the extra header
/// lines included).
std::string raw_post(std::string_view target, std::string_view body,
                     std::string_view extra_headers = {});

/// Removes HTTP/1.1 chunked framing from a response body received raw.
std::string dechunk(std::string_view chunked);

}  // namespace gateway::test
