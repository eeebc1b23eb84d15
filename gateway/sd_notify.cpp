// gateway/sd_notify.cpp — see sd_notify.hpp.
#include "gateway/sd_notify.hpp"

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace dmsc::gateway {

bool sd_notify_send(std::string_view state, std::string* why) {
    auto fail = [why](std::string text) {
        if (why) *why = std::move(text);
        return false;
    };
    const char* env = std::getenv("NOTIFY_SOCKET");
    if (env == nullptr || *env == '\0') return fail("");
    const std::string_view path(env);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if ((path.front() != '/' && path.front() != '@') || path.size() >= sizeof addr.sun_path) {
        return fail("NOTIFY_SOCKET=\"" + std::string(path) + "\" is neither an absolute path nor @abstract");
    }
    std::memcpy(addr.sun_path, path.data(), path.size());
    if (path.front() == '@') addr.sun_path[0] = '\0';  // abstract namespace
    const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail(std::string("socket: ") + std::strerror(errno));
    const ssize_t sent =
        ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&addr), len);
    const int err = errno;
    ::close(fd);
    if (sent < 0) return fail("send to " + std::string(path) + ": " + std::strerror(err));
    if (static_cast<std::size_t>(sent) != state.size()) return fail("short send to " + std::string(path));
    return true;
}

}  // namespace dmsc::gateway
