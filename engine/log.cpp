#include "engine/log.h"

#include <unistd.h>

#include <cerrno>
#include <iterator>

#include <fmt/format.h>

namespace subhost {

namespace {

void WriteStderr(LogLevel, std::string_view line) {
  // One write(2) per line, so that lines from several threads or processes
  // never interleave; short lines stay in the buffer's inline storage.
  fmt::memory_buffer out;
  fmt::format_to(std::back_inserter(out), "{}\n", line);
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
    if (!line.empty()) {
      fmt::memory_buffer buf;
      fmt::format_to(std::back_inserter(buf), "{}{}", prefix, line);
      Log(level, std::string_view(buf.data(), buf.size()));
    }
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

}  // namespace subhost
