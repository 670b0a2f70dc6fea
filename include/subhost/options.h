// subhost::Options and subhost::MountOptions: how an Engine is set up.
#ifndef SUBHOST_OPTIONS_H_
#define SUBHOST_OPTIONS_H_

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace subhost {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

// Receives every log line (one line, no trailing newline). May be called from
// any thread, concurrently: the callee must be thread-safe.
using LogSink = std::function<void(LogLevel, std::string_view line)>;

struct Options {
  // The Python executable whose runtime is embedded; sets sys.executable and
  // the prefix search. Empty: the interpreter subhost was built against.
  std::string python_executable;
  // Prepended to sys.path in every interpreter.
  std::vector<std::string> python_path;
  // A virtualenv whose site-packages are added to sys.path in every interpreter.
  std::string virtualenv;
  // Change the process's working directory before loading apps.
  std::string chdir;
  // Set in the C environment before loading apps (process-wide).
  std::vector<std::pair<std::string, std::string>> env;
  // The callable looked up when a mount target does not name one.
  std::string default_callable = "application";
  // Run every mount in the main interpreter (uWSGI --single-interpreter).
  bool single_interpreter = false;
  // Give each sub-interpreter its own GIL (CPython 3.13+ only; Create fails on
  // older runtimes). Single-phase-init extensions then refuse to load.
  bool own_gil = false;
  // Environ flags the apps see.
  bool multithread = true;
  bool multiprocess = false;
  // Extension modules refused in sub-interpreters so that their packages fall
  // back to pure Python, because they share state across interpreters. The
  // defaults are known offenders on Debian 12; the main interpreter still
  // loads them.
  std::vector<std::string> blocked_extensions = {"markupsafe._speedups"};
  // Where log lines go; empty: stderr.
  LogSink log;
};

struct MountOptions {
  // Run this mount in the main interpreter, for C extensions that break in
  // sub-interpreters (mod_wsgi's %{GLOBAL}). Mounts that share the main
  // interpreter share its globals and sys.modules.
  bool main_interpreter = false;
};

}  // namespace subhost

#endif  // SUBHOST_OPTIONS_H_
