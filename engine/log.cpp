#include "engine/log.h"

#include <unistd.h>

#include <cerrno>

namespace subhost {

namespace {

void WriteStderr(LogLevel, std::string_view line) {
  std::string out;
  out.reserve(line.size() + 1);
  out.append(line);
  out.push_back('\n');
  const char* p = out.data();
  size_t left = out.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace

Logger::Logger(LogSink sink)
    : sink_(std::make_shared<const LogSink>(sink ? std::move(sink)
                                                 : LogSink(WriteStderr))) {}

void Logger::Log(LogLevel level, std::string_view line) const {
  (*sink_)(level, line);
}

void Logger::Lines(LogLevel level, std::string_view prefix,
                   std::string_view text) const {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty()) Log(level, std::string(prefix).append(line));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

}  // namespace subhost
