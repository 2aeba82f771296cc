#include "e2e/gatewayd_process.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <thread>

#ifndef GATEWAYD_PATH
#error "GATEWAYD_PATH must name the gatewayd binary"
#endif

namespace gateway::test {

namespace fs = std::filesystem;

namespace {

// Starts gatewayd with stdout and stderr on one pipe; returns {pid, read end}.
std::pair<int, int> spawn(const std::vector<std::string>& args, const std::string& cwd,
                          const std::vector<std::pair<std::string, std::string>>& env) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        ::dup2(fds[1], 1);
        ::dup2(fds[1], 2);
        ::close(fds[0]);
        ::close(fds[1]);
        if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
        for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
        std::vector<char*> argv;
        // GATEWAYD_UNDER_TEST runs the same tests against another build of gatewayd (the
        // Release binary with its own allocator: tests/CMakeLists.txt).
        const char* other = std::getenv("GATEWAYD_UNDER_TEST");
        std::string path = other != nullptr && *other != '\0' ? other : GATEWAYD_PATH;
        argv.push_back(path.data());
        std::vector<std::string> copies = args;
        for (auto& a : copies) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(path.c_str(), argv.data());
        ::_exit(127);
    }
    ::close(fds[1]);
    return {pid, fds[0]};
}

}  // namespace

struct gatewayd_process::impl {
    int fd = -1;
    mutable std::mutex mutex;
    std::string output;
    std::thread reader;
    bool exited = false;

    void start_reader() {
        reader = std::thread([this] {
            char buf[4096];
            for (;;) {
                auto n = ::read(fd, buf, sizeof buf);
                if (n <= 0) break;
                std::lock_guard lock{mutex};
                output.append(buf, static_cast<std::size_t>(n));
            }
        });
    }
};

gatewayd_process::gatewayd_process(std::string config_json,
                                   std::vector<std::pair<std::string, std::string>> env)
    : impl_(std::make_unique<impl>()), env_(std::move(env)) {
    char tmpl[] = "/tmp/gatewayd-e2e-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    for (auto pos = config_json.find("@DIR@"); pos != std::string::npos;
         pos = config_json.find("@DIR@")) {
        config_json.replace(pos, 5, dir_);
    }
    std::ofstream(dir_ + "/gatewayd.json") << config_json;
    start();
}

void gatewayd_process::restart() {
    if (!impl_->exited) throw std::runtime_error("gatewayd is still running");
    if (impl_->fd >= 0) ::close(impl_->fd);
    impl_ = std::make_unique<impl>();
    port_ = 0;
    start();
}

bool gatewayd_process::kill_now() {
    if (impl_->exited) return false;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    impl_->exited = true;
    impl_->reader.join();
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

void gatewayd_process::start() {
    auto [pid, fd] = spawn({"--config", dir_ + "/gatewayd.json"}, dir_, env_);
    pid_ = pid;
    impl_->fd = fd;
    impl_->start_reader();

    // gatewayd prints "listening on http://HOST:PORT" once it accepts connections.
    constexpr std::string_view marker = "listening on http://";
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        auto text = output();
        if (auto at = text.find(marker); at != std::string::npos) {
            auto line_end = text.find('\n', at);
            if (line_end != std::string::npos) {
                auto colon = text.rfind(':', line_end);
                port_ = static_cast<std::uint16_t>(std::stoi(text.substr(colon + 1)));
                return;
            }
        }
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            impl_->exited = true;
            impl_->reader.join();
            throw std::runtime_error("gatewayd exited at start-up:\n" + output());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid_, SIGKILL);
    throw std::runtime_error("gatewayd did not start listening:\n" + output());
}

gatewayd_process::~gatewayd_process() {
    // Every test that ran gatewayd ends by stopping it as an operator would and checking how it
    // went: a server that answered correctly and then crashed (a double free after the response
    // went out) or hung on SIGTERM must fail the test, not pass it.
    if (!impl_->exited && pid_ > 0) {
        const int status = terminate(std::chrono::seconds(20));
        INFO("gatewayd's output:\n" << output());
        CHECK(status == 0);
    }
    const std::string text = output();
    INFO("gatewayd's output:\n" << text);
    CHECK(text.find("AddressSanitizer") == std::string::npos);
    CHECK(text.find("LeakSanitizer") == std::string::npos);
    CHECK(text.find("runtime error:") == std::string::npos);
    if (impl_->reader.joinable()) impl_->reader.join();
    if (impl_->fd >= 0) ::close(impl_->fd);
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
}

std::string gatewayd_process::output() const {
    std::lock_guard lock{impl_->mutex};
    return impl_->output;
}

int gatewayd_process::terminate(std::chrono::milliseconds timeout) {
    if (impl_->exited) return -1;
    ::kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            impl_->exited = true;
            impl_->reader.join();
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    impl_->exited = true;
    impl_->reader.join();
    return -1;
}

std::pair<int, std::string> run_gatewayd(const std::vector<std::string>& args,
                                         std::vector<std::pair<std::string, std::string>> env) {
    auto [pid, fd] = spawn(args, {}, env);
    std::string out;
    char buf[4096];
    for (;;) {
        auto n = ::read(fd, buf, sizeof buf);
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace gateway::test
