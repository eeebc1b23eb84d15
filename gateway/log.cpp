// gateway/log.cpp — level/category tables, the journal check and line formatting.
#include "gateway/log.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <sys/stat.h>

namespace dmsc::gateway {

namespace {

constexpr std::array<std::string_view, 5> kLevelNames = {"error", "warn", "info", "debug", "trace"};
constexpr std::array<std::string_view, kLogCategoryCount> kCategoryNames = {
    "daemon", "config", "card", "cat", "bip", "registry", "eem", "ctl"};

// systemd sets JOURNAL_STREAM="DEV:INODE" for a service whose stderr is connected to the
// journal; it is only ours if fd 2 is still that stream (a child may inherit the variable).
bool stderr_is_journal() {
    const char* env = std::getenv("JOURNAL_STREAM");
    if (env == nullptr) return false;
    unsigned long long dev = 0;
    unsigned long long ino = 0;
    if (std::sscanf(env, "%llu:%llu", &dev, &ino) != 2) return false;
    struct stat st {};
    if (fstat(2, &st) != 0) return false;
    return static_cast<unsigned long long>(st.st_dev) == dev &&
           static_cast<unsigned long long>(st.st_ino) == ino;
}

std::string timestamp() {
    const auto now = std::chrono::system_clock::now();
    const std::time_t secs = std::chrono::system_clock::to_time_t(now);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    localtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03d", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
    return buf;
}

// One event = one line: newlines and other control characters from card data or peers are
// escaped instead of breaking the line (a journal reader or grep would split it).
void append_escaped(std::string& out, std::string_view message) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (const char c : message) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += ' ';
        } else if (u < 0x20 || u == 0x7F) {
            out += "\\x";
            out += kHex[u >> 4];
            out += kHex[u & 0x0F];
        } else {
            out += c;
        }
    }
}

}  // namespace

std::string_view name_of(LogLevel level) {
    return kLevelNames.at(static_cast<std::size_t>(level));
}
std::string_view name_of(LogCategory category) {
    return kCategoryNames.at(static_cast<std::size_t>(category));
}
std::string_view name_of(LogFormat format) {
    switch (format) {
        case LogFormat::Auto:
            return "auto";
        case LogFormat::Journal:
            return "journal";
        case LogFormat::Plain:
            return "plain";
    }
    return "auto";
}

std::optional<LogLevel> parse_log_level(std::string_view text) {
    for (std::size_t i = 0; i < kLevelNames.size(); ++i) {
        if (kLevelNames[i] == text) return static_cast<LogLevel>(i);
    }
    if (text == "warning") return LogLevel::Warn;
    return std::nullopt;
}

std::optional<LogCategory> parse_log_category(std::string_view text) {
    for (std::size_t i = 0; i < kCategoryNames.size(); ++i) {
        if (kCategoryNames[i] == text) return static_cast<LogCategory>(i);
    }
    return std::nullopt;
}

std::optional<LogFormat> parse_log_format(std::string_view text) {
    for (const auto f : {LogFormat::Auto, LogFormat::Journal, LogFormat::Plain}) {
        if (name_of(f) == text) return f;
    }
    return std::nullopt;
}

int syslog_priority(LogLevel level) {
    switch (level) {
        case LogLevel::Error:
            return 3;  // LOG_ERR
        case LogLevel::Warn:
            return 4;  // LOG_WARNING
        case LogLevel::Info:
            return 6;  // LOG_INFO
        case LogLevel::Debug:
        case LogLevel::Trace:
            return 7;  // LOG_DEBUG
    }
    return 6;
}

bool apply_log_spec(std::string_view spec, LogSettings& settings, std::string& error) {
    LogSettings out = settings;
    while (!spec.empty()) {
        const auto comma = spec.find(',');
        const std::string_view part = spec.substr(0, comma);
        spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
        if (part.empty()) continue;
        const auto eq = part.find('=');
        const std::string_view level_text = eq == std::string_view::npos ? part : part.substr(eq + 1);
        const auto level = parse_log_level(level_text);
        if (!level) {
            error = "unknown log level \"" + std::string(level_text) +
                    "\"; use error, warn, info, debug or trace";
            return false;
        }
        if (eq == std::string_view::npos) {
            out.level = *level;
            continue;
        }
        const std::string_view cat_text = part.substr(0, eq);
        const auto category = parse_log_category(cat_text);
        if (!category) {
            error = "unknown log category \"" + std::string(cat_text) +
                    "\"; use daemon, config, card, cat, bip, registry, eem or ctl";
            return false;
        }
        out.categories[*category] = *level;
    }
    settings = std::move(out);
    return true;
}

Logger::Logger() {
    configure(LogSettings{});
}

Logger& Logger::instance() {
    static Logger logger;
    return logger;
}

void Logger::configure(const LogSettings& settings) {
    const std::lock_guard lock(mutex_);
    settings_ = settings;
    for (std::size_t i = 0; i < kLogCategoryCount; ++i) {
        const auto it = settings.categories.find(static_cast<LogCategory>(i));
        const LogLevel level = it != settings.categories.end() ? it->second : settings.level;
        levels_[i].store(static_cast<std::uint8_t>(level), std::memory_order_relaxed);
    }
    journal_ =
        settings.format == LogFormat::Journal || (settings.format == LogFormat::Auto && stderr_is_journal());
}

LogSettings Logger::settings() const {
    const std::lock_guard lock(mutex_);
    return settings_;
}

void Logger::set_sink(Sink sink) {
    const std::lock_guard lock(mutex_);
    sink_ = std::move(sink);
}

void Logger::write(LogCategory category, LogLevel level, std::string_view message) {
    const std::lock_guard lock(mutex_);
    std::string line;
    line.reserve(message.size() + 40);
    if (journal_) {
        // sd-daemon(3): "<N>" at the start of a line sets its priority in the journal, which
        // adds its own timestamps.
        line += '<';
        line += static_cast<char>('0' + syslog_priority(level));
        line += '>';
    } else {
        line += timestamp();
        line += ' ';
        const std::string_view name = name_of(level);
        line += name;
        line.append(6 - name.size(), ' ');
    }
    line += name_of(category);
    line += ": ";
    append_escaped(line, message);
    if (sink_) {
        sink_(level, line);
        return;
    }
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

}  // namespace dmsc::gateway
