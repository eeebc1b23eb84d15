// gateway/log.hpp — the daemon's log: five levels, one category per layer with its own level,
// one line per event on stderr (syslog "<N>" prefixes when stderr is the journal, timestamps
// otherwise). Thread-safe: a card thread may log too.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace dmsc::gateway {

enum class LogLevel : std::uint8_t { Error, Warn, Info, Debug, Trace };

// One per layer (ARCHITECTURE.md), plus the daemon itself and its config.
enum class LogCategory : std::uint8_t { Daemon, Config, Card, Cat, Bip, Registry, Eem, Ctl };
inline constexpr std::size_t kLogCategoryCount = 8;

// How a line starts: Journal = "<6>card: ...", Plain = "2024-05-01T12:00:00.123 info  card: ...".
// Auto picks Journal when stderr is the journal's stream (JOURNAL_STREAM matches fd 2).
enum class LogFormat : std::uint8_t { Auto, Journal, Plain };

std::string_view name_of(LogLevel level);        // "error" ... "trace"
std::string_view name_of(LogCategory category);  // "daemon", "card" ...
std::string_view name_of(LogFormat format);      // "auto", "journal", "plain"
std::optional<LogLevel> parse_log_level(std::string_view text);
std::optional<LogCategory> parse_log_category(std::string_view text);
std::optional<LogFormat> parse_log_format(std::string_view text);
// syslog priority of a level (error 3, warn 4, info 6, debug and trace 7).
int syslog_priority(LogLevel level);

struct LogSettings {
    LogLevel level = LogLevel::Info;
    std::map<LogCategory, LogLevel> categories;  // overrides `level` for one category
    LogFormat format = LogFormat::Auto;
    bool operator==(const LogSettings&) const = default;
};

// Parses a command-line level spec: "debug", "card=trace", "info,card=trace,cat=debug".
// Applies it on top of `settings`; false (and `error` says why) when a part is not understood.
bool apply_log_spec(std::string_view spec, LogSettings& settings, std::string& error);

class Logger {
public:
    // Receives each finished line (without the trailing newline) instead of stderr.
    using Sink = std::function<void(LogLevel, std::string_view line)>;

    static Logger& instance();

    void configure(const LogSettings& settings);
    LogSettings settings() const;
    bool enabled(LogCategory category, LogLevel level) const {
        return static_cast<std::uint8_t>(level) <=
               levels_[static_cast<std::size_t>(category)].load(std::memory_order_relaxed);
    }
    // Writes one line; control characters in `message` are escaped so a line stays a line.
    void write(LogCategory category, LogLevel level, std::string_view message);
    // Tests: capture lines (empty sink = back to stderr).
    void set_sink(Sink sink);

private:
    Logger();
    std::array<std::atomic<std::uint8_t>, kLogCategoryCount> levels_{};
    mutable std::mutex mutex_;  // settings_, journal_, sink_ and whole lines on stderr
    LogSettings settings_;
    bool journal_ = false;
    Sink sink_;
};

namespace detail {
template <class... Args>
std::string concat(const Args&... args) {
    std::ostringstream out;
    (out << ... << args);
    return out.str();
}
}  // namespace detail

// log_info(LogCategory::Card, "card ready: ", atr_hex) — the message is only built when the
// category logs at that level. (std::uint8_t prints as a character: pass hex strings.)
template <class... Args>
void log_at(LogCategory category, LogLevel level, const Args&... args) {
    Logger& logger = Logger::instance();
    if (logger.enabled(category, level)) logger.write(category, level, detail::concat(args...));
}
template <class... Args>
void log_error(LogCategory c, const Args&... args) {
    log_at(c, LogLevel::Error, args...);
}
template <class... Args>
void log_warn(LogCategory c, const Args&... args) {
    log_at(c, LogLevel::Warn, args...);
}
template <class... Args>
void log_info(LogCategory c, const Args&... args) {
    log_at(c, LogLevel::Info, args...);
}
template <class... Args>
void log_debug(LogCategory c, const Args&... args) {
    log_at(c, LogLevel::Debug, args...);
}
template <class... Args>
void log_trace(LogCategory c, const Args&... args) {
    log_at(c, LogLevel::Trace, args...);
}

}  // namespace dmsc::gateway
