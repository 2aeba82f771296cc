// Kept apart from the Asio code: <linux/tcp.h>, which has the newer tcp_info members, clashes
// with <netinet/tcp.h>, which Asio includes.

#include "support/tcp_segments.hpp"

#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace gateway::test {

std::uint32_t data_segments_received(int fd) {
    tcp_info info{};
    socklen_t size = sizeof info;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &size) != 0) return 0;
    return info.tcpi_data_segs_in;
}

}  // namespace gateway::test
