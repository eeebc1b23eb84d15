// gateway/launcher.cpp — posix_spawn without a shell, reaping through pidfd (Linux >= 5.3) or
// a waitpid(WNOHANG) poll.
#include "gateway/launcher.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#pragma GCC diagnostic pop
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace dmsc::gateway {

namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(100);

int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

std::string describe_status(int status) {
    if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
    return "status " + std::to_string(status);
}

}  // namespace

std::optional<std::vector<std::string>> split_command(const std::string& command, std::string& why) {
    std::vector<std::string> argv;
    std::string word;
    bool in_word = false;
    char quote = 0;
    for (char c : command) {
        if (quote != 0) {
            if (c == quote) {
                quote = 0;
            } else {
                word.push_back(c);
            }
        } else if (c == '"' || c == '\'') {
            quote = c;
            in_word = true;
        } else if (c == ' ' || c == '\t') {
            if (in_word) argv.push_back(std::move(word));
            word.clear();
            in_word = false;
        } else {
            word.push_back(c);
            in_word = true;
        }
    }
    if (quote != 0) {
        why = std::string("a ") + quote + " quote is not closed";
        return std::nullopt;
    }
    if (in_word) argv.push_back(std::move(word));
    if (argv.empty()) {
        why = "the command is empty";
        return std::nullopt;
    }
    if (argv.front().empty() || argv.front().front() != '/') {
        why = "\"" + argv.front() + "\" is not an absolute path (PATH is not searched)";
        return std::nullopt;
    }
    return argv;
}

struct Launcher::Child {
    ExitHandler on_exit;
    std::unique_ptr<boost::asio::posix::stream_descriptor> pidfd;
    std::unique_ptr<boost::asio::steady_timer> timer;
};

Launcher::Launcher(boost::asio::io_context& io) : io_(io), alive_(std::make_shared<bool>(true)) {}

Launcher::~Launcher() {
    *alive_ = false;
    for (auto& [pid, child] : children_) {
        int status = 0;
        (void)::waitpid(pid, &status, WNOHANG);
        if (child->pidfd) {
            boost::system::error_code ignored;
            child->pidfd->close(ignored);
        }
    }
}

Launcher::Result Launcher::launch(const std::string& command, ExitHandler on_exit) {
    Result r;
    std::string why;
    auto argv = split_command(command, why);
    if (!argv) {
        r.outcome = bip::LaunchOutcome::ParametersUnusable;
        r.why = why;
        return r;
    }
    std::vector<char*> args;
    for (auto& a : *argv) args.push_back(a.data());
    args.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    // No descriptor of the daemon (card link, listeners, channels) leaks into the application.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    sigset_t none;
    sigset_t all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    pid_t pid = -1;
    // glibc reports a failed exec (ENOENT, EACCES, ENOEXEC ...) as the return value.
    const int error = ::posix_spawn(&pid, args[0], &actions, &attr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (error != 0) {
        r.outcome = bip::LaunchOutcome::Failed;
        r.why = std::string(args[0]) + ": " + std::strerror(error);
        return r;
    }
    auto child = std::make_unique<Child>();
    child->on_exit = std::move(on_exit);
    children_[pid] = std::move(child);
    watch(pid);
    r.outcome = bip::LaunchOutcome::Started;
    r.pid = pid;
    return r;
}

void Launcher::watch(pid_t pid) {
    Child& child = *children_.at(pid);
    const int fd = open_pidfd(pid);
    if (fd < 0) {
        child.timer = std::make_unique<boost::asio::steady_timer>(io_);
        poll(pid);
        return;
    }
    child.pidfd = std::make_unique<boost::asio::posix::stream_descriptor>(io_, fd);
    // A pidfd becomes readable when the process ends.
    child.pidfd->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                            [this, pid, alive = alive_](const boost::system::error_code& ec) {
                                if (!*alive || ec) return;
                                int status = 0;
                                if (::waitpid(pid, &status, WNOHANG) == pid) {
                                    reaped(pid, status);
                                } else {
                                    // Readable but not reapable (someone else waited): stop.
                                    children_.erase(pid);
                                }
                            });
}

void Launcher::poll(pid_t pid) {
    auto it = children_.find(pid);
    if (it == children_.end()) return;
    it->second->timer->expires_after(kPollInterval);
    it->second->timer->async_wait([this, pid, alive = alive_](const boost::system::error_code& ec) {
        if (!*alive || ec) return;
        int status = 0;
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            reaped(pid, status);
        } else if (r < 0) {
            children_.erase(pid);
        } else {
            poll(pid);
        }
    });
}

void Launcher::reaped(pid_t pid, int status) {
    auto it = children_.find(pid);
    if (it == children_.end()) return;
    ExitHandler handler = std::move(it->second->on_exit);
    children_.erase(it);
    const bool success = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (handler) handler(success, describe_status(status));
}

}  // namespace dmsc::gateway
