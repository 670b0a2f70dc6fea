// Parsing of the subhost command line and of ini files, both driven by the
// option table kOptions below. HelpText() (help.cpp) reads the same table.
#include "engine/config/server_config.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace subhost::config {

struct ParseContext {
  ServerConfig* config = nullptr;
  bool* show_help = nullptr;
  bool* show_version = nullptr;
  int ini_depth = 0;  // ini files being loaded, outermost first
  bool stop = false;  // --help or --version seen: stop and report success
  // Set when the error already names its own location (an ini file and
  // line), so that the caller does not prefix a flag to it.
  bool error_is_complete = false;
  bool positional_app_seen = false;
};

namespace {

constexpr int kMaxIniDepth = 16;
constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

std::string Quoted(std::string_view text) {
  return "'" + std::string(text) + "'";
}

void AddNote(ServerConfig* config, std::string note) {
  if (std::find(config->notes.begin(), config->notes.end(), note) ==
      config->notes.end()) {
    config->notes.push_back(std::move(note));
  }
}

std::string_view Trim(std::string_view s) {
  const auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
           c == '\v';
  };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool AllDigits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

// gunicorn's -b takes an address; uWSGI's -b a buffer size. Addresses always
// have a port (':') or are a socket path ('/'), "unix:PATH" included.
bool LooksLikeAddress(std::string_view value) {
  return value.find_first_of(":/") != std::string_view::npos;
}
bool NotAnAddress(std::string_view value) { return !LooksLikeAddress(value); }
// gunicorn's -w takes a worker count; uWSGI's -w a module, and a Python
// module name never consists of digits only.
bool NotAllDigits(std::string_view value) { return !AllDigits(value); }

// 1 to 4 octal digits, as chmod takes them ("666", "0660").
bool IsOctalMode(std::string_view value) {
  return !value.empty() && value.size() <= 4 &&
         std::all_of(value.begin(), value.end(),
                     [](char c) { return c >= '0' && c <= '7'; });
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool ParseBool(std::string_view text, bool* out) {
  const std::string t = ToLower(text);
  if (t.empty() || t == "true" || t == "yes" || t == "on" || t == "1") {
    *out = true;
    return true;
  }
  if (t == "false" || t == "no" || t == "off" || t == "0") {
    *out = false;
    return true;
  }
  return false;
}

enum class NumberStatus { kOk, kNotANumber, kTooLarge };

// A decimal integer, optionally negative, consuming all of text.
NumberStatus ParseInteger(std::string_view text, std::int64_t* out) {
  if (text.empty()) return NumberStatus::kNotANumber;
  const char* last = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), last, *out);
  if (ec == std::errc::result_out_of_range && ptr == last) {
    return NumberStatus::kTooLarge;
  }
  if (ec != std::errc() || ptr != last) return NumberStatus::kNotANumber;
  return NumberStatus::kOk;
}

// Bytes: digits with an optional K, M or G suffix (either case, x1024).
NumberStatus ParseSize(std::string_view text, std::int64_t* out) {
  std::int64_t multiplier = 1;
  if (!text.empty()) {
    switch (text.back()) {
      case 'k': case 'K': multiplier = std::int64_t{1} << 10; break;
      case 'm': case 'M': multiplier = std::int64_t{1} << 20; break;
      case 'g': case 'G': multiplier = std::int64_t{1} << 30; break;
      default: break;
    }
    if (multiplier != 1) text.remove_suffix(1);
  }
  if (!AllDigits(text)) return NumberStatus::kNotANumber;
  std::int64_t n = 0;
  NumberStatus status = ParseInteger(text, &n);
  if (status != NumberStatus::kOk) return status;
  if (n > kInt64Max / multiplier) return NumberStatus::kTooLarge;
  *out = n * multiplier;
  return NumberStatus::kOk;
}

// --- special options -------------------------------------------------------

bool ApplyListener(const OptionInfo& option, const OptionValue& value,
                   ParseContext* context, std::string*) {
  ListenSpec spec;
  spec.proto = option.name == "socket" ? ListenSpec::Proto::kUwsgi
                                       : ListenSpec::Proto::kHttp;
  spec.address = std::string(value.text);
  context->config->listeners.push_back(std::move(spec));
  if (option.name == "http") {
    AddNote(context->config,
            "--http " + std::string(value.text) +
                ": served like --http-socket; subhost's own event loop "
                "already does the job of uWSGI's separate HTTP router");
  }
  return true;
}

bool ApplyMount(const OptionInfo&, const OptionValue& value,
                ParseContext* context, std::string* error) {
  const std::size_t eq = value.text.find('=');
  if (eq == std::string_view::npos) {
    *error = Quoted(value.text) + " has no '=TARGET'";
    return false;
  }
  if (eq + 1 == value.text.size()) {
    *error = Quoted(value.text) + " has an empty TARGET after '='";
    return false;
  }
  context->config->mounts.push_back({std::string(value.text.substr(0, eq)),
                                     std::string(value.text.substr(eq + 1))});
  return true;
}

bool ApplyWsgiFile(const OptionInfo&, const OptionValue& value,
                   ParseContext* context, std::string*) {
  std::string target(value.text);
  // The mount parser reads "app.wsgi" as the module app.wsgi; this flag
  // names a file, so make that unambiguous.
  if (target.find('/') == std::string::npos && !target.ends_with(".py")) {
    target = "./" + target;
  }
  context->config->mounts.push_back({"/", std::move(target)});
  return true;
}

bool ApplyModule(const OptionInfo&, const OptionValue& value,
                 ParseContext* context, std::string*) {
  context->config->mounts.push_back({"/", std::string(value.text)});
  return true;
}

bool ApplyEnv(const OptionInfo&, const OptionValue& value,
              ParseContext* context, std::string* error) {
  const std::size_t eq = value.text.find('=');
  if (eq == std::string_view::npos) {
    *error = Quoted(value.text) + " has no '=VALUE'";
    return false;
  }
  if (eq == 0) {
    *error = Quoted(value.text) + " has an empty name before '='";
    return false;
  }
  context->config->env.emplace_back(std::string(value.text.substr(0, eq)),
                                    std::string(value.text.substr(eq + 1)));
  return true;
}

// gunicorn takes a comma-separated list; uWSGI one directory per flag.
bool ApplyPythonPath(const OptionInfo&, const OptionValue& value,
                     ParseContext* context, std::string* error) {
  std::string_view rest = value.text;
  bool any = false;
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string_view part = rest.substr(0, comma);
    if (!part.empty()) {
      context->config->pythonpath.emplace_back(part);
      any = true;
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (!any) {
    *error = Quoted(value.text) + " names no directory";
    return false;
  }
  return true;
}

bool ApplyChmodSocket(const OptionInfo&, const OptionValue& value,
                      ParseContext* context, std::string* error) {
  if (!IsOctalMode(value.text)) {
    *error = Quoted(value.text) + " is not an octal mode like 660";
    return false;
  }
  context->config->chmod_socket = std::string(value.text);
  return true;
}

bool ApplyHelp(const OptionInfo&, const OptionValue& value,
               ParseContext* context, std::string*) {
  if (value.flag) {
    if (context->show_help != nullptr) *context->show_help = true;
    context->stop = true;
  }
  return true;
}

bool ApplyVersion(const OptionInfo&, const OptionValue& value,
                  ParseContext* context, std::string*) {
  if (value.flag) {
    if (context->show_version != nullptr) *context->show_version = true;
    context->stop = true;
  }
  return true;
}

bool ApplyIgnored(const OptionInfo& option, const OptionValue&,
                  ParseContext* context, std::string*) {
  AddNote(context->config, "ignoring uWSGI option '" +
                               std::string(option.name) +
                               "': " + std::string(option.help));
  return true;
}

bool LoadIniSpec(std::string_view spec, ParseContext* context,
                 std::string* error);

bool ApplyIni(const OptionInfo&, const OptionValue& value,
              ParseContext* context, std::string* error) {
  if (LoadIniSpec(value.text, context, error)) return true;
  context->error_is_complete = true;
  return false;
}

// --- the table ---------------------------------------------------------------

using K = OptionKind;
using G = OptionGroup;
using C = ServerConfig;

constexpr OptionInfo kOptions[] = {
    // Configuration files and help.
    {.name = "ini", .kind = K::kList, .metavar = "FILE[:SECTION]",
     .group = G::kConfiguration, .origin = "uWSGI",
     .help = "load an ini file at this point: its [subhost] section, else "
             "[uwsgi], or SECTION; later flags override it (a positional "
             "FILE.ini does the same)",
     .apply = ApplyIni},
    {.name = "help", .aliases = {"usage"}, .short_names = "h",
     .kind = K::kBool, .group = G::kConfiguration, .origin = "uWSGI, gunicorn",
     .help = "print this help and exit", .apply = ApplyHelp,
     .command_line_only = true},
    {.name = "version", .kind = K::kBool, .group = G::kConfiguration,
     .origin = "uWSGI, gunicorn", .help = "print the version and exit",
     .apply = ApplyVersion, .command_line_only = true},

    // Listeners.
    {.name = "http-socket", .kind = K::kList, .metavar = "ADDR",
     .group = G::kListeners, .origin = "uWSGI",
     .help = "serve HTTP on ADDR", .apply = ApplyListener},
    {.name = "http", .kind = K::kList, .metavar = "ADDR",
     .group = G::kListeners, .origin = "uWSGI",
     .help = "the same as --http-socket: subhost's own event loop already "
             "does the job of uWSGI's separate HTTP router",
     .apply = ApplyListener},
    {.name = "socket", .aliases = {"uwsgi-socket"}, .short_names = "s",
     .kind = K::kList, .metavar = "ADDR", .group = G::kListeners,
     .origin = "uWSGI",
     .help = "serve the uwsgi protocol on ADDR (nginx uwsgi_pass)",
     .apply = ApplyListener},
    {.name = "bind", .short_names = "b", .kind = K::kList, .metavar = "ADDR",
     .group = G::kListeners, .origin = "gunicorn",
     .help = "serve HTTP on ADDR; -b means this only when its value contains "
             "':' or '/', else it is uWSGI's -b (--buffer-size)",
     .apply = ApplyListener, .claims_short = LooksLikeAddress},
    {.name = "listen", .aliases = {"backlog"}, .short_names = "l",
     .kind = K::kInt, .min = 1, .max = 65535, .metavar = "N",
     .group = G::kListeners, .origin = "uWSGI, gunicorn",
     .help = "accept backlog of each listener",
     .field = &C::listen_backlog},
    {.name = "chmod-socket", .aliases = {"chmod"}, .short_names = "C",
     .kind = K::kOptional, .metavar = "[=MODE]", .default_value = "666",
     .group = G::kListeners, .origin = "uWSGI",
     .help = "octal mode of unix sockets; alone it means 666",
     .apply = ApplyChmodSocket},
    {.name = "vacuum", .kind = K::kBool, .group = G::kListeners,
     .origin = "uWSGI", .help = "remove unix socket files at exit",
     .field = &C::vacuum},

    // Apps and mounts.
    {.name = "mount", .kind = K::kList, .metavar = "/PATH=TARGET",
     .group = G::kApps, .origin = "uWSGI",
     .help = "serve TARGET (file.py, dir/app.wsgi, pkg.mod[:callable]) at "
             "/PATH, in its own sub-interpreter",
     .apply = ApplyMount},
    {.name = "wsgi-file", .aliases = {"file"}, .kind = K::kList,
     .metavar = "FILE", .group = G::kApps, .origin = "uWSGI",
     .help = "serve the WSGI file FILE at /", .apply = ApplyWsgiFile},
    {.name = "module", .aliases = {"wsgi"}, .short_names = "w",
     .kind = K::kList, .metavar = "MODULE", .group = G::kApps,
     .origin = "uWSGI",
     .help = "serve pkg.mod or pkg.mod:callable at /; -w with a number is "
             "gunicorn's --workers instead",
     .apply = ApplyModule, .claims_short = NotAllDigits},
    {.name = "callable", .kind = K::kString, .metavar = "NAME",
     .group = G::kApps, .origin = "uWSGI",
     .help = "default callable name in files and modules",
     .field = &C::callable},
    {.name = "manage-script-name", .kind = K::kBool, .group = G::kApps,
     .origin = "uWSGI",
     .help = "accepted: subhost always routes by the longest mountpoint "
             "prefix and moves it to SCRIPT_NAME",
     .field = &C::manage_script_name},
    {.name = "need-app", .kind = K::kBool, .group = G::kApps,
     .origin = "uWSGI", .help = "exit if any app fails to load",
     .field = &C::need_app},

    // Python.
    {.name = "chdir", .kind = K::kString, .metavar = "DIR",
     .group = G::kPython, .origin = "uWSGI, gunicorn",
     .help = "change to DIR before loading apps", .field = &C::chdir},
    {.name = "pythonpath", .aliases = {"python-path", "pp"},
     .kind = K::kList, .metavar = "DIR[,DIR]", .group = G::kPython,
     .origin = "uWSGI, gunicorn",
     .help = "add DIR to sys.path; commas separate several (gunicorn)",
     .apply = ApplyPythonPath},
    {.name = "home", .aliases = {"virtualenv", "venv", "pyhome"},
     .short_names = "H", .kind = K::kString, .metavar = "DIR",
     .group = G::kPython, .origin = "uWSGI",
     .help = "use the virtualenv DIR", .field = &C::home},
    {.name = "env", .kind = K::kList, .metavar = "KEY=VALUE",
     .group = G::kPython, .origin = "uWSGI, gunicorn",
     .help = "set an environment variable before loading apps",
     .apply = ApplyEnv},
    {.name = "single-interpreter", .short_names = "i", .kind = K::kBool,
     .group = G::kPython, .origin = "uWSGI",
     .help = "run every app in the main interpreter",
     .field = &C::single_interpreter},
    {.name = "mount-main-interpreter", .kind = K::kList, .metavar = "/PATH",
     .group = G::kPython, .origin = "subhost",
     .help = "run the app mounted at /PATH in the main interpreter (for C "
             "extensions that break in sub-interpreters)",
     .field = &C::main_interpreter_mounts},
    {.name = "own-gil", .kind = K::kBool, .group = G::kPython,
     .origin = "subhost",
     .help = "give each sub-interpreter its own GIL (CPython 3.13+)",
     .field = &C::own_gil},

    // Process model.
    {.name = "threads", .kind = K::kInt, .min = 1, .max = 1024,
     .metavar = "N", .group = G::kProcess, .origin = "uWSGI, gunicorn",
     .help = "threads serving requests", .field = &C::threads},
    {.name = "processes", .aliases = {"workers"}, .short_names = "pw",
     .kind = K::kInt, .min = 1, .max = 1024, .metavar = "N",
     .group = G::kProcess, .origin = "uWSGI, gunicorn",
     .help = "worker processes (more than one implies --master)",
     .field = &C::processes, .claims_short = AllDigits},
    {.name = "master", .short_names = "M", .kind = K::kBool,
     .group = G::kProcess, .origin = "uWSGI",
     .help = "a master process that forks, supervises and reloads the "
             "workers",
     .field = &C::master},
    {.name = "lazy-apps", .kind = K::kBool, .group = G::kProcess,
     .origin = "uWSGI",
     .help = "load the apps in each worker after fork, not once in the "
             "master",
     .field = &C::lazy_apps},
    {.name = "max-requests", .short_names = "R", .kind = K::kInt, .min = 0,
     .max = kIntMax, .metavar = "N", .group = G::kProcess,
     .origin = "uWSGI, gunicorn",
     .help = "recycle a worker after N requests, 0 never",
     .field = &C::max_requests},
    {.name = "max-requests-jitter", .kind = K::kInt, .min = 0,
     .max = kIntMax, .metavar = "N", .group = G::kProcess,
     .origin = "gunicorn",
     .help = "add 0..N requests to each worker's --max-requests",
     .field = &C::max_requests_jitter},
    {.name = "reload-on-rss", .kind = K::kInt, .min = 0, .max = kIntMax,
     .metavar = "MB", .group = G::kProcess, .origin = "uWSGI",
     .help = "recycle a worker whose RSS passes MB megabytes, 0 never",
     .field = &C::reload_on_rss},
    {.name = "worker-reload-mercy", .kind = K::kInt, .min = 1,
     .max = kIntMax, .metavar = "S", .group = G::kProcess, .origin = "uWSGI",
     .help = "seconds a stopping worker may take before it is killed",
     .field = &C::worker_reload_mercy},
    {.name = "touch-reload", .kind = K::kList, .metavar = "FILE",
     .group = G::kProcess, .origin = "uWSGI",
     .help = "gracefully reload everything when FILE's mtime changes",
     .field = &C::touch_reload},
    {.name = "touch-chain-reload", .kind = K::kList, .metavar = "FILE",
     .group = G::kProcess, .origin = "uWSGI",
     .help = "replace the workers one at a time when FILE's mtime changes",
     .field = &C::touch_chain_reload},
    {.name = "harakiri", .aliases = {"timeout"}, .short_names = "t",
     .kind = K::kInt, .min = 0, .max = kIntMax, .metavar = "S",
     .group = G::kProcess, .origin = "uWSGI, gunicorn",
     .help = "kill a worker whose request runs S seconds, 0 never",
     .field = &C::harakiri},

    // Limits and timeouts.
    {.name = "buffer-size", .short_names = "b", .kind = K::kSize,
     .min = 512, .max = 65535, .metavar = "SIZE", .group = G::kLimits,
     .origin = "uWSGI",
     .help = "largest request header block (uwsgi vars or HTTP head)",
     .field = &C::buffer_size, .claims_short = NotAnAddress},
    {.name = "limit-post", .kind = K::kSize, .min = 0, .max = kInt64Max,
     .metavar = "SIZE", .group = G::kLimits, .origin = "uWSGI",
     .help = "largest request body, 0 unlimited", .field = &C::limit_post},
    {.name = "post-buffering", .kind = K::kSize, .min = 0, .max = kInt64Max,
     .metavar = "SIZE", .group = G::kLimits, .origin = "uWSGI",
     .help = "request bodies larger than SIZE are spooled to a temp file",
     .field = &C::post_buffering},
    {.name = "socket-timeout", .short_names = "z", .kind = K::kInt, .min = 1,
     .max = 86400, .metavar = "S", .group = G::kLimits, .origin = "uWSGI",
     .help = "seconds a connection may stall reading or writing",
     .field = &C::socket_timeout},

    // Logging.
    {.name = "disable-logging", .short_names = "L", .kind = K::kBool,
     .group = G::kLogging, .origin = "uWSGI",
     .help = "do not log each request (errors are still logged)",
     .field = &C::disable_logging},

    // Stats.
    {.name = "stats", .aliases = {"stats-server"}, .kind = K::kString,
     .metavar = "ADDR", .group = G::kStats, .origin = "uWSGI",
     .help = "serve uWSGI-style JSON stats on ADDR (needs --master)",
     .field = &C::stats},
    {.name = "stats-http", .kind = K::kBool, .group = G::kStats,
     .origin = "uWSGI", .help = "wrap the stats in an HTTP response",
     .field = &C::stats_http},
    {.name = "metrics", .kind = K::kString, .metavar = "ADDR",
     .group = G::kStats, .origin = "subhost",
     .help = "serve Prometheus metrics over HTTP on ADDR (needs --master)",
     .field = &C::metrics},

    // uWSGI options that change nothing here: accepted, noted, ignored.
    {.name = "plugin", .aliases = {"plugins"}, .kind = K::kList,
     .metavar = "NAME", .group = G::kIgnored, .origin = "uWSGI",
     .help = "subhost has Python built in", .apply = ApplyIgnored},
    {.name = "enable-threads", .short_names = "T", .kind = K::kBool,
     .group = G::kIgnored, .origin = "uWSGI",
     .help = "Python threads are always enabled", .apply = ApplyIgnored},
    {.name = "die-on-term", .kind = K::kBool, .group = G::kIgnored,
     .origin = "uWSGI", .help = "SIGTERM always shuts down gracefully",
     .apply = ApplyIgnored},
    {.name = "strict", .kind = K::kBool, .group = G::kIgnored,
     .origin = "uWSGI", .help = "unknown options are always errors",
     .apply = ApplyIgnored},
    {.name = "auto-procname", .kind = K::kBool, .group = G::kIgnored,
     .origin = "uWSGI", .help = "process names are left unchanged",
     .apply = ApplyIgnored},
    {.name = "procname-prefix", .kind = K::kString, .metavar = "TEXT",
     .group = G::kIgnored, .origin = "uWSGI",
     .help = "process names are left unchanged", .apply = ApplyIgnored},
    {.name = "thunder-lock", .kind = K::kBool, .group = G::kIgnored,
     .origin = "uWSGI",
     .help = "one process accepts connections, nothing to serialize",
     .apply = ApplyIgnored},
    {.name = "uid", .kind = K::kString, .metavar = "USER",
     .group = G::kIgnored, .origin = "uWSGI",
     .help = "subhost does not switch user; start it as the user it should "
             "run as",
     .apply = ApplyIgnored},
    {.name = "gid", .kind = K::kString, .metavar = "GROUP",
     .group = G::kIgnored, .origin = "uWSGI",
     .help = "subhost does not switch group; start it as the group it "
             "should run as",
     .apply = ApplyIgnored},
};

bool HasName(const OptionInfo& option, std::string_view name) {
  if (option.name == name) return true;
  for (std::string_view alias : option.aliases) {
    if (!alias.empty() && alias == name) return true;
  }
  return false;
}

const OptionInfo* FindLong(std::string_view name) {
  for (const OptionInfo& option : kOptions) {
    if (HasName(option, name)) return &option;
  }
  return nullptr;
}

std::vector<const OptionInfo*> FindShort(char c) {
  std::vector<const OptionInfo*> found;
  for (const OptionInfo& option : kOptions) {
    if (option.short_names.find(c) != std::string_view::npos) {
      found.push_back(&option);
    }
  }
  return found;
}

bool TakesRequiredValue(const OptionInfo& option) {
  return option.kind != OptionKind::kBool &&
         option.kind != OptionKind::kOptional;
}

// Stores a converted value where a plain option's field says.
void StoreField(const OptionInfo& option, const OptionValue& value,
                ServerConfig* config) {
  if (auto* p = std::get_if<bool ServerConfig::*>(&option.field)) {
    config->*(*p) = value.flag;
  } else if (auto* p = std::get_if<int ServerConfig::*>(&option.field)) {
    config->*(*p) = static_cast<int>(value.number);
  } else if (auto* p =
                 std::get_if<std::size_t ServerConfig::*>(&option.field)) {
    config->*(*p) = static_cast<std::size_t>(value.number);
  } else if (auto* p =
                 std::get_if<std::int64_t ServerConfig::*>(&option.field)) {
    config->*(*p) = value.number;
  } else if (auto* p =
                 std::get_if<std::string ServerConfig::*>(&option.field)) {
    config->*(*p) = std::string(value.text);
  } else if (auto* p = std::get_if<std::vector<std::string> ServerConfig::*>(
                 &option.field)) {
    (config->*(*p)).emplace_back(value.text);
  }
}

// Converts text (nullopt: the option was given without a value) by the
// option's kind and applies it. `where` names the option for errors:
// "--threads", "-t" or "app.ini:3: threads".
bool ApplyOption(const OptionInfo& option, std::string_view where,
                 std::optional<std::string_view> text, ParseContext* context,
                 std::string* error) {
  const auto fail = [&](const std::string& detail) {
    *error = std::string(where) + ": " + detail;
    return false;
  };
  OptionValue value;
  switch (option.kind) {
    case OptionKind::kBool:
      if (!ParseBool(text.value_or(""), &value.flag)) {
        return fail(Quoted(*text) +
                    " is not a boolean (true/false, yes/no, on/off, 1/0)");
      }
      break;
    case OptionKind::kOptional:
      value.text = text.value_or("");
      if (value.text.empty()) value.text = option.default_value;
      break;
    case OptionKind::kInt:
    case OptionKind::kSize: {
      if (!text.has_value() || text->empty()) return fail("needs a value");
      const NumberStatus status = option.kind == OptionKind::kInt
                                      ? ParseInteger(*text, &value.number)
                                      : ParseSize(*text, &value.number);
      if (status == NumberStatus::kNotANumber) {
        return fail(Quoted(*text) +
                    (option.kind == OptionKind::kInt
                         ? " is not a number"
                         : " is not a size (bytes, or a number with a K, M "
                           "or G suffix)"));
      }
      if (status == NumberStatus::kTooLarge || value.number < option.min ||
          value.number > option.max) {
        return fail(std::string(*text) + " is out of range " +
                    std::to_string(option.min) + ".." +
                    std::to_string(option.max));
      }
      break;
    }
    case OptionKind::kString:
    case OptionKind::kList:
      if (!text.has_value()) return fail("needs a value");
      if (text->empty()) return fail("empty value");
      value.text = *text;
      break;
  }
  if (option.apply == nullptr) {
    StoreField(option, value, context->config);
    return true;
  }
  context->error_is_complete = false;
  std::string detail;
  if (option.apply(option, value, context, &detail)) return true;
  if (context->error_is_complete) {
    *error = detail;
    return false;
  }
  return fail(detail);
}

// --- ini files ---------------------------------------------------------------

// uWSGI's magic variables in ini values: %d (the file's directory, with a
// trailing '/') and %% ('%'). Anything else after '%' is kept as written.
std::string ExpandMagic(std::string_view value, const std::string& dir) {
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '%' && i + 1 < value.size()) {
      if (value[i + 1] == 'd') {
        out += dir;
        ++i;
        continue;
      }
      if (value[i + 1] == '%') {
        out += '%';
        ++i;
        continue;
      }
    }
    out += value[i];
  }
  return out;
}

std::string DirectoryOf(const std::string& path) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  if (ec) absolute = path;
  std::string dir = absolute.lexically_normal().parent_path().string();
  if (dir.empty() || dir.back() != '/') dir += '/';
  return dir;
}

bool LoadIniFile(const std::string& path, const std::string& wanted_section,
                 ParseContext* context, std::string* error) {
  if (context->ini_depth >= kMaxIniDepth) {
    *error = path + ": ini files include each other more than " +
             std::to_string(kMaxIniDepth) + " deep";
    return false;
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    *error = "cannot read ini file '" + path + "': Is a directory";
    return false;
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot read ini file '" + path + "': " +
             (errno != 0 ? std::strerror(errno) : "open failed");
    return false;
  }
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  if (in.bad()) {
    *error = "cannot read ini file '" + path + "': read error";
    return false;
  }
  if (!lines.empty() && lines[0].starts_with("\xEF\xBB\xBF")) {
    lines[0].erase(0, 3);  // a UTF-8 byte order mark
  }

  // Which section to read: the one asked for, else [subhost], else [uwsgi].
  std::set<std::string, std::less<>> sections;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view t = Trim(lines[i]);
    if (t.empty() || t.front() != '[') continue;
    if (t.back() != ']') {
      *error = path + ":" + std::to_string(i + 1) + ": " + Quoted(t) +
               " is not a [section] header";
      return false;
    }
    sections.emplace(Trim(t.substr(1, t.size() - 2)));
  }
  std::string section = wanted_section;
  if (section.empty()) {
    if (sections.contains("subhost")) {
      section = "subhost";
    } else if (sections.contains("uwsgi")) {
      section = "uwsgi";
    } else {
      *error = path + ": no [subhost] or [uwsgi] section";
      return false;
    }
  } else if (!sections.contains(section)) {
    *error = path + ": no [" + section + "] section";
    return false;
  }

  const std::string dir = DirectoryOf(path);
  ++context->ini_depth;
  bool ok = true;
  std::string_view current;
  for (std::size_t i = 0; ok && i < lines.size(); ++i) {
    const std::string_view t = Trim(lines[i]);
    if (t.empty() || t.front() == '#' || t.front() == ';') continue;
    if (t.front() == '[') {
      current = Trim(t.substr(1, t.size() - 2));
      continue;
    }
    if (current != section) continue;
    const std::string location = path + ":" + std::to_string(i + 1);
    const std::size_t eq = t.find('=');
    const std::string_view key = Trim(t.substr(0, eq));
    const OptionInfo* option = FindLong(key);
    if (option == nullptr || option->command_line_only) {
      *error = location + ": unknown key " + Quoted(key);
      ok = false;
      break;
    }
    std::optional<std::string> value;
    if (eq != std::string_view::npos) {
      value = ExpandMagic(Trim(t.substr(eq + 1)), dir);
    }
    ok = ApplyOption(*option, location + ": " + std::string(key),
                     value ? std::optional<std::string_view>(*value)
                           : std::nullopt,
                     context, error);
  }
  --context->ini_depth;
  return ok;
}

// "FILE" or "FILE:SECTION". A FILE that exists as written wins, so a path
// with a ':' in it still loads.
bool LoadIniSpec(std::string_view spec, ParseContext* context,
                 std::string* error) {
  std::string path(spec);
  std::string section;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    const std::size_t colon = spec.rfind(':');
    if (colon != std::string_view::npos &&
        spec.substr(colon + 1).find('/') == std::string_view::npos) {
      path = std::string(spec.substr(0, colon));
      section = std::string(spec.substr(colon + 1));
    }
  }
  return LoadIniFile(path, section, context, error);
}

// --- the command line --------------------------------------------------------

bool EndsWithAny(std::string_view text,
                 std::initializer_list<std::string_view> suffixes) {
  for (std::string_view suffix : suffixes) {
    if (text.ends_with(suffix)) return true;
  }
  return false;
}

bool HandlePositional(std::string_view arg, ParseContext* context,
                      std::string* error) {
  if (arg.ends_with(".ini") || arg.find(".ini:") != std::string_view::npos) {
    return LoadIniSpec(arg, context, error);
  }
  if (EndsWithAny(arg, {".yaml", ".yml", ".json", ".xml"})) {
    *error = Quoted(arg) + ": subhost reads ini files only (--ini FILE)";
    return false;
  }
  if (arg.empty() || arg == "-") {
    *error = "unexpected argument " + Quoted(arg);
    return false;
  }
  if (context->positional_app_seen) {
    *error = "unexpected argument " + Quoted(arg) +
             ": only one app may be given without a flag (use --mount "
             "/PATH=TARGET for more)";
    return false;
  }
  context->positional_app_seen = true;
  context->config->mounts.push_back({"/", std::string(arg)});
  return true;
}

// Whether the argument after a flag can be that flag's required value: an
// argument starting with "--" is taken to be the next flag instead.
bool CanBeValue(int i, int argc, const char* const* argv) {
  return i < argc && !std::string_view(argv[i]).starts_with("--");
}

bool ParseLong(std::string_view arg, int* i, int argc,
               const char* const* argv, ParseContext* context,
               std::string* error) {
  const std::string_view body = arg.substr(2);
  const std::size_t eq = body.find('=');
  const std::string_view name = body.substr(0, eq);
  const OptionInfo* option = FindLong(name);
  if (option == nullptr) {
    *error = "unknown option " + Quoted("--" + std::string(name));
    return false;
  }
  const std::string where = "--" + std::string(name);
  std::optional<std::string_view> text;
  if (eq != std::string_view::npos) {
    text = body.substr(eq + 1);
  } else if (option->kind == OptionKind::kOptional) {
    if (*i + 1 < argc && IsOctalMode(argv[*i + 1])) text = argv[++*i];
  } else if (TakesRequiredValue(*option) && CanBeValue(*i + 1, argc, argv)) {
    text = argv[++*i];
  }
  return ApplyOption(*option, where, text, context, error);
}

// "-M", "-Mi" (booleans bundled), "-s ADDR", "-sADDR", "-C", "-C 660".
bool ParseShort(std::string_view arg, int* i, int argc,
                const char* const* argv, ParseContext* context,
                std::string* error) {
  for (std::size_t j = 1; j < arg.size(); ++j) {
    const std::string where = std::string("-") + arg[j];
    const std::vector<const OptionInfo*> candidates = FindShort(arg[j]);
    if (candidates.empty()) {
      *error = "unknown option " + Quoted(j == 1 ? arg : where) +
               (j == 1 ? "" : " in " + Quoted(arg));
      return false;
    }
    const std::string_view attached = arg.substr(j + 1);
    const OptionInfo* option = candidates.front();
    if (option->kind == OptionKind::kBool) {
      if (!ApplyOption(*option, where, std::nullopt, context, error)) {
        return false;
      }
      if (context->stop) return true;
      continue;
    }
    std::optional<std::string_view> text;
    if (!attached.empty()) {
      text = attached;
    } else if (option->kind == OptionKind::kOptional) {
      if (*i + 1 < argc && IsOctalMode(argv[*i + 1])) text = argv[++*i];
    } else if (CanBeValue(*i + 1, argc, argv)) {
      text = argv[++*i];
    }
    if (candidates.size() == 1) {
      return ApplyOption(*option, where, text, context, error);
    }
    // A letter two options share (-b, -w): the value decides.
    if (text.has_value()) {
      for (const OptionInfo* candidate : candidates) {
        if (candidate->claims_short != nullptr &&
            candidate->claims_short(*text)) {
          option = candidate;
          break;
        }
      }
    }
    if (ApplyOption(*option, where, text, context, error)) return true;
    std::string meanings;
    for (const OptionInfo* candidate : candidates) {
      meanings += meanings.empty() ? "--" : " or --";
      meanings += candidate->name;
    }
    *error += " (" + where + " means " + meanings +
              " depending on its value; see --help)";
    return false;
  }
  return true;
}

}  // namespace

std::span<const OptionInfo> Options() { return kOptions; }

bool ParseCommandLine(int argc, const char* const* argv, ServerConfig* out,
                      bool* show_help, bool* show_version,
                      std::string* error) {
  ParseContext context;
  context.config = out;
  context.show_help = show_help;
  context.show_version = show_version;
  bool options_done = false;
  for (int i = 1; i < argc && !context.stop; ++i) {
    const std::string_view arg = argv[i];
    bool ok = true;
    if (options_done || arg.size() < 2 || arg.front() != '-') {
      ok = HandlePositional(arg, &context, error);
    } else if (arg == "--") {
      options_done = true;
    } else if (arg.starts_with("--")) {
      ok = ParseLong(arg, &i, argc, argv, &context, error);
    } else {
      ok = ParseShort(arg, &i, argc, argv, &context, error);
    }
    if (!ok) return false;
  }
  return true;
}

bool LoadIni(const std::string& path, const std::string& section,
             ServerConfig* out, std::string* error) {
  ParseContext context;
  context.config = out;
  return LoadIniFile(path, section, &context, error);
}

namespace {

// "" and "/" are the root; one trailing '/' does not make another mountpoint.
std::string_view SameMountpoint(std::string_view mountpoint) {
  if (mountpoint.size() > 1 && mountpoint.back() == '/') {
    mountpoint.remove_suffix(1);
  }
  return mountpoint == "/" ? std::string_view() : mountpoint;
}

}  // namespace

bool Validate(const ServerConfig& config, std::string* error) {
  if (config.listeners.empty()) {
    *error = "no listener: give --http-socket ADDR, --socket ADDR or "
             "-b ADDR";
    return false;
  }
  if (config.mounts.empty()) {
    *error = "no app: give --mount /PATH=TARGET, --wsgi-file FILE, "
             "--module MODULE or a positional pkg.mod:app";
    return false;
  }
  for (std::size_t i = 0; i < config.listeners.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (config.listeners[i].address == config.listeners[j].address) {
        *error = "listener address " + Quoted(config.listeners[i].address) +
                 " is given twice";
        return false;
      }
    }
  }
  for (std::size_t i = 0; i < config.mounts.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (SameMountpoint(config.mounts[i].mountpoint) ==
          SameMountpoint(config.mounts[j].mountpoint)) {
        *error = "mountpoint " + Quoted(config.mounts[i].mountpoint) +
                 " is mounted twice (" + Quoted(config.mounts[j].target) +
                 " and " + Quoted(config.mounts[i].target) + ")";
        return false;
      }
    }
  }
  for (const std::string& main : config.main_interpreter_mounts) {
    const bool mounted = std::any_of(
        config.mounts.begin(), config.mounts.end(),
        [&](const MountSpecText& m) {
          return SameMountpoint(m.mountpoint) == SameMountpoint(main);
        });
    if (!mounted) {
      *error = "--mount-main-interpreter: " + Quoted(main) +
               " is not a mounted mountpoint";
      return false;
    }
  }
  return true;
}

}  // namespace subhost::config
