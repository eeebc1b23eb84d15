// gateway/launcher.hpp — starts a terminal application's `launch` command (no shell: the
// command line is split into argv) and reaps it when it ends, on the daemon's io_context
// (pidfd readiness, or a waitpid poll on a timer where pidfd_open is missing). No zombies.
#pragma once

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "bip/channels.hpp"

namespace dmsc::gateway {

// Splits a launch command into argv: words separated by blanks; "double" or 'single' quotes
// keep blanks inside a word (no escapes, no variables, no globbing). nullopt (and `why`) when
// it is empty, a quote is not closed, or the program is not an absolute path.
std::optional<std::vector<std::string>> split_command(const std::string& command, std::string& why);

class Launcher {
public:
    // How the process ended: `success` = exit status 0; `description` "exit status 3",
    // "killed by signal 9".
    using ExitHandler = std::function<void(bool success, const std::string& description)>;
    struct Result {
        bip::LaunchOutcome outcome = bip::LaunchOutcome::Failed;
        pid_t pid = -1;
        std::string why;  // for Failed / ParametersUnusable
    };

    explicit Launcher(boost::asio::io_context& io);
    ~Launcher();  // reaps what has ended; running children go on (they are applications)
    Launcher(const Launcher&) = delete;
    Launcher& operator=(const Launcher&) = delete;

    // Starts `command` (stdin from /dev/null, stdout/stderr inherited, no other descriptor,
    // default signal dispositions, its own process group). `on_exit` is called on the loop
    // when it ends (never from inside launch()).
    Result launch(const std::string& command, ExitHandler on_exit);
    // Children started and not yet reaped.
    std::size_t running() const { return children_.size(); }

private:
    struct Child;
    void watch(pid_t pid);
    void poll(pid_t pid);
    void reaped(pid_t pid, int status);

    boost::asio::io_context& io_;
    std::map<pid_t, std::unique_ptr<Child>> children_;
    std::shared_ptr<bool> alive_;
};

}  // namespace dmsc::gateway
