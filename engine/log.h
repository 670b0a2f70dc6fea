// Logger: a thread-safe front for Options::log. Copies share one sink.
#ifndef SUBHOST_ENGINE_LOG_H_
#define SUBHOST_ENGINE_LOG_H_

#include <memory>
#include <string>
#include <string_view>

#include "subhost/options.h"

namespace subhost {

class Logger {
 public:
  // An empty sink writes to stderr, one write(2) per line.
  explicit Logger(LogSink sink = {});
  void Log(LogLevel level, std::string_view line) const;
  void Info(std::string_view line) const { Log(LogLevel::kInfo, line); }
  void Warning(std::string_view line) const { Log(LogLevel::kWarning, line); }
  void Error(std::string_view line) const { Log(LogLevel::kError, line); }
  // Logs each line of text separately (tracebacks).
  void Lines(LogLevel level, std::string_view prefix, std::string_view text) const;

 private:
  std::shared_ptr<const LogSink> sink_;
};

}  // namespace subhost

#endif  // SUBHOST_ENGINE_LOG_H_
