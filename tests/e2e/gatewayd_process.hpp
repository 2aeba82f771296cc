#pragma once
// Runs the real gatewayd binary in a private temporary directory, as an operator would.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace gateway::test {

class gatewayd_process {
  public:
    /// Writes `config_json` to <tmp>/gatewayd.json (the text `@DIR@` is replaced by the
    /// temporary directory), starts `gatewayd --config` there with `env` added to the
    /// environment, and waits for its "listening on" line. Throws if it does not start.
    explicit gatewayd_process(std::string config_json,
                              std::vector<std::pair<std::string, std::string>> env = {});
    /// Stops gatewayd with SIGTERM if it still runs and checks (Catch2 CHECKs) that it exited 0
    /// within 20 s and printed no sanitizer report; removes the directory.
    ~gatewayd_process();
    gatewayd_process(const gatewayd_process&) = delete;
    gatewayd_process& operator=(const gatewayd_process&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    const std::string& dir() const noexcept { return dir_; }
    /// Everything written to stdout and stderr so far.
    std::string output() const;

    /// Sends SIGTERM; waits up to `timeout` for the exit. Returns the exit status, or -1 when
    /// it did not exit in time (it is then killed).
    int terminate(std::chrono::milliseconds timeout);
    /// Sends SIGKILL (a crash, the OOM killer) and waits for the end. Returns true when the
    /// process was running and died of the signal.
    bool kill_now();
    /// Starts gatewayd again in the same directory with the same configuration (after it
    /// stopped) and waits for its "listening on" line; `output()` then starts afresh.
    void restart();

    struct impl;

  private:
    void start();

    std::unique_ptr<impl> impl_;
    std::vector<std::pair<std::string, std::string>> env_;
    std::string dir_;
    std::uint16_t port_ = 0;
    int pid_ = -1;
};

/// Runs gatewayd with `args` to completion (e.g. `token create`); returns {status, output}.
std::pair<int, std::string> run_gatewayd(const std::vector<std::string>& args,
                                         std::vector<std::pair<std::string, std::string>> env = {});

}  // namespace gateway::test
