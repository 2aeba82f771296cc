#pragma once
// How many segments carrying data a TCP socket received (Linux TCP_INFO). On loopback each
// write of the peer that fits in one segment arrives as one, so this counts the peer's writes.

#include <cstdint>

namespace gateway::test {

/// 0 when the socket cannot be asked.
std::uint32_t data_segments_received(int fd);

}  // namespace gateway::test
