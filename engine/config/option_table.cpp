// The option table: every option the command line and ini files accept,
// how each value is converted, and where it goes. HelpText() (help.cpp) and
// the parsers (command_line.cpp, ini_reader.cpp) read the same table.
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/config/parse_context.h"
#include "engine/config/server_config.h"
#include "engine/config/values.h"
#include "engine/text.h"

namespace subhost::config {

bool LooksLikeAddress(std::string_view value) {
  return value.find_first_of(":/") != std::string_view::npos;
}

bool IsOctalMode(std::string_view value) {
  return !value.empty() && value.size() <= 4 &&
         std::all_of(value.begin(), value.end(),
                     [](char c) { return c >= '0' && c <= '7'; });
}

namespace {

constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

// gunicorn's -b takes an address; uWSGI's -b a buffer size.
bool NotAnAddress(std::string_view value) { return !LooksLikeAddress(value); }
// gunicorn's -w takes a worker count; uWSGI's -w a module, and a Python
// module name never consists of digits only.
bool NotAllDigits(std::string_view value) { return !AllDigits(value); }

// --- options with their own rules -------------------------------------------

bool ApplyListener(const OptionInfo& option, const OptionValue& value,
                   ParseContext* context, std::string*) {
  ListenSpec spec;
  spec.proto = option.name == "socket" ? ListenSpec::Proto::kUwsgi
                                       : ListenSpec::Proto::kHttp;
  spec.address = std::string(value.text);
  context->config->listeners.push_back(std::move(spec));
  if (option.name == "http") {
    AddNote(context->config,
            {NoteGroup::kInfo, "", context->where,
             fmt::format("--http {}: served like --http-socket; subhost's own "
                         "event loop already does the job of uWSGI's separate "
                         "HTTP router",
                         value.text)});
  }
  return true;
}

bool ApplyMount(const OptionInfo&, const OptionValue& value,
                ParseContext* context, std::string* error) {
  const std::size_t eq = value.text.find('=');
  if (eq == std::string_view::npos) {
    *error = fmt::format("{} has no '=TARGET'", Quoted(value.text));
    return false;
  }
  if (eq + 1 == value.text.size()) {
    *error = fmt::format("{} has an empty TARGET after '='", Quoted(value.text));
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
    *error = fmt::format("{} has no '=VALUE'", Quoted(value.text));
    return false;
  }
  if (eq == 0) {
    *error = fmt::format("{} has an empty name before '='", Quoted(value.text));
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
    *error = fmt::format("{} names no directory", Quoted(value.text));
    return false;
  }
  return true;
}

bool ApplyChmodSocket(const OptionInfo&, const OptionValue& value,
                      ParseContext* context, std::string* error) {
  if (!IsOctalMode(value.text)) {
    *error = fmt::format("{} is not an octal mode like 660", Quoted(value.text));
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

bool ApplyProtocol(const OptionInfo&, const OptionValue& value,
                   ParseContext* context, std::string* error) {
  if (!text::EqualsIgnoreCase(value.text, "uwsgi") &&
      !text::EqualsIgnoreCase(value.text, "http")) {
    *error = fmt::format("{} is not supported: --socket listeners speak uwsgi "
                         "or http",
                         Quoted(value.text));
    return false;
  }
  context->config->protocol = text::EqualsIgnoreCase(value.text, "http")
                                  ? "http"
                                  : "uwsgi";
  return true;
}

// "NAME=VALUE" split at the first '='; false + *error without one.
bool SplitAssignment(std::string_view text, std::string_view* name,
                     std::string_view* value, std::string* error) {
  const std::size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    *error = fmt::format("{} is not NAME=VALUE", Quoted(text));
    return false;
  }
  *name = Trim(text.substr(0, eq));
  *value = Trim(text.substr(eq + 1));
  return true;
}

bool ApplySetPlaceholder(const OptionInfo&, const OptionValue& value,
                         ParseContext* context, std::string* error) {
  std::string_view name, text;
  if (!SplitAssignment(value.text, &name, &text, error)) return false;
  SetPlaceholder(context, name, text);
  return true;
}

bool ApplySet(const OptionInfo&, const OptionValue& value,
              ParseContext* context, std::string* error) {
  std::string_view name, text;
  if (!SplitAssignment(value.text, &name, &text, error)) return false;
  const OptionInfo* option = FindLong(name);
  if (option == nullptr || option->command_line_only) {
    SetPlaceholder(context, name, text);
    return true;
  }
  const bool applied = ApplyOption(*option, name, text, context, error);
  context->error_is_complete = false;  // the caller prefixes "--set: "
  return applied;
}

bool ApplyPrint(const OptionInfo&, const OptionValue& value,
                ParseContext* context, std::string*) {
  AddNote(context->config, {NoteGroup::kPrint, "", context->where,
                            std::string(value.text)});
  return true;
}

bool ApplyOtherFormat(const OptionInfo&, const OptionValue& value,
                      ParseContext*, std::string* error) {
  std::string path(value.text);
  std::string ini;
  if (!OtherFormatAsIni(path, &ini, error)) return false;
  *error = fmt::format(
      "{}: subhost reads ini files only; this is its ini form, to save as "
      "an .ini file:\n{}",
      path, ini);
  return false;
}

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
    {.name = "strict", .kind = K::kBool, .group = G::kConfiguration,
     .origin = "uWSGI",
     .help = "an ini key that is not an option is an error, not a "
             "placeholder",
     .field = &C::strict},
    {.name = "check-config", .aliases = {"print-config"}, .kind = K::kBool,
     .group = G::kConfiguration, .origin = "subhost",
     .help = "print the effective configuration, where each value came "
             "from, and every warning; then exit 0 (or 1 on an error) "
             "without binding or loading anything",
     .field = &C::check_config},
    {.name = "set-placeholder", .aliases = {"set-ph"}, .kind = K::kList,
     .metavar = "NAME=VALUE", .group = G::kConfiguration, .origin = "uWSGI",
     .help = "define the placeholder %(NAME)", .apply = ApplySetPlaceholder},
    {.name = "set", .kind = K::kList, .metavar = "KEY=VALUE",
     .group = G::kConfiguration, .origin = "uWSGI",
     .help = "set the option KEY, or else the placeholder KEY",
     .apply = ApplySet},
    {.name = "print", .kind = K::kList, .metavar = "TEXT",
     .group = G::kConfiguration, .origin = "uWSGI",
     .help = "print TEXT in the log at start", .apply = ApplyPrint},
    {.name = "include", .aliases = {"inherit"}, .kind = K::kList,
     .metavar = "FILE", .group = G::kConfiguration, .origin = "uWSGI",
     .help = "the same as --ini", .apply = ApplyIni},
    {.name = "yaml", .aliases = {"yml", "json", "xml"}, .kind = K::kList,
     .metavar = "FILE", .group = G::kConfiguration, .origin = "uWSGI",
     .help = "refused: subhost reads ini files; the error shows FILE's ini "
             "form",
     .apply = ApplyOtherFormat},
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
    {.name = "protocol", .aliases = {"socket-protocol"}, .kind = K::kString,
     .metavar = "PROTO", .group = G::kListeners, .origin = "uWSGI",
     .help = "what --socket listeners speak: uwsgi (the default) or http",
     .apply = ApplyProtocol},
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

    // uWSGI options mapped onto subhost's nearest behaviour, with a note.
    {.name = "http-timeout", .kind = K::kInt, .min = 1, .max = 86400, .metavar = "S", .group = G::kDifferent, .origin = "uWSGI", .help = "sets --socket-timeout: HTTP clients talk to the workers' own event loop, there is no separate router", .field = &C::socket_timeout},
    {.name = "reload-mercy", .kind = K::kInt, .min = 1, .max = kIntMax, .metavar = "S", .group = G::kDifferent, .origin = "uWSGI", .help = "sets --worker-reload-mercy: how long each stopping worker may take", .field = &C::worker_reload_mercy},
    {.name = "max-requests-delta", .kind = K::kInt, .min = 0, .max = kIntMax, .metavar = "N", .group = G::kDifferent, .origin = "uWSGI", .help = "sets --max-requests-jitter: each worker recycles after --max-requests plus a random 0..N requests", .field = &C::max_requests_jitter},
    {.name = "evil-reload-on-rss", .kind = K::kInt, .min = 0, .max = kIntMax, .metavar = "MB", .group = G::kDifferent, .origin = "uWSGI", .help = "sets --reload-on-rss: the worker itself recycles when its RSS passes MB", .field = &C::reload_on_rss},
    {.name = "lazy", .kind = K::kBool, .group = G::kDifferent, .origin = "uWSGI", .help = "sets --lazy-apps: apps load in each worker after fork", .field = &C::lazy_apps},

    // uWSGI options that change nothing here: accepted, noted, ignored.
    {.name = "plugin", .aliases = {"plugins"}, .kind = K::kList, .metavar = "VALUE", .group = G::kIgnored, .origin = "uWSGI", .help = "subhost has Python built in"},
    {.name = "enable-threads", .short_names = "T", .kind = K::kBool, .group = G::kIgnored, .origin = "uWSGI", .help = "Python threads are always enabled"},
    {.name = "die-on-term", .kind = K::kBool, .group = G::kIgnored, .origin = "uWSGI", .help = "SIGTERM always shuts down gracefully"},
    {.name = "auto-procname", .kind = K::kBool, .group = G::kIgnored, .origin = "uWSGI", .help = "process names are left unchanged"},
    {.name = "procname-prefix", .aliases = {"procname-prefix-spaced", "procname"}, .kind = K::kString, .metavar = "VALUE", .group = G::kIgnored, .origin = "uWSGI", .help = "process names are left unchanged"},
    {.name = "thunder-lock", .kind = K::kBool, .group = G::kIgnored, .origin = "uWSGI", .help = "workers share each listener through EPOLLEXCLUSIVE; nothing to serialize"},
    {.name = "harakiri-verbose", .kind = K::kBool, .group = G::kIgnored, .origin = "uWSGI", .help = "subhost's harakiri line always names the worker, method, path and mount"},
    {.name = "memory-report", .kind = K::kBool, .group = G::kIgnored, .origin = "uWSGI", .help = "each worker's RSS is in the stats JSON (--stats) and the metrics (--metrics)"},
    {.name = "log-4xx", .kind = K::kBool, .group = G::kIgnored, .origin = "uWSGI", .help = "every request is logged with its status (unless --disable-logging)"},
    {.name = "log-5xx", .kind = K::kBool, .group = G::kIgnored, .origin = "uWSGI", .help = "every request is logged with its status (unless --disable-logging)"},
    {.name = "disable-write-exception", .kind = K::kBool, .group = G::kIgnored, .origin = "uWSGI", .help = "a client that goes away ends its response quietly; the app sees no exception"},
    {.name = "ignore-write-errors", .kind = K::kBool, .group = G::kIgnored, .origin = "uWSGI", .help = "a client that goes away ends its response quietly; nothing is logged as an error"},
    {.name = "ignore-sigpipe", .kind = K::kBool, .group = G::kIgnored, .origin = "uWSGI", .help = "SIGPIPE never reaches subhost: its sends use MSG_NOSIGNAL"},
    {.name = "offload-threads", .kind = K::kInt, .min = 0, .max = kIntMax, .metavar = "N", .group = G::kIgnored, .origin = "uWSGI", .help = "wsgi.file_wrapper files go out with sendfile; there are no offload threads to size"},
    {.name = "http-keepalive", .kind = K::kOptional, .metavar = "[=VALUE]", .group = G::kIgnored, .origin = "uWSGI", .help = "HTTP/1.1 keep-alive is always on; idle connections wait in the event loop, holding no thread"},
    {.name = "http-auto-chunked", .kind = K::kBool, .group = G::kIgnored, .origin = "uWSGI", .help = "responses without Content-Length are sent chunked to HTTP/1.1 clients already"},
    {.name = "honour-stdin", .aliases = {"honor-stdin"}, .kind = K::kBool, .group = G::kIgnored, .origin = "uWSGI", .help = "subhost leaves stdin as it found it, which is what this asks"},
    {.name = "no-default-app", .kind = K::kBool, .group = G::kIgnored, .origin = "uWSGI", .help = "a request that matches no mount gets 404 unless something is mounted at /"},
    {.name = "log-master", .kind = K::kBool, .group = G::kIgnored, .origin = "uWSGI", .help = "each worker writes whole log lines itself, one write each, so lines never interleave"},
    {.name = "no-orphans", .kind = K::kBool, .group = G::kIgnored, .origin = "uWSGI", .help = "workers always exit when their master dies"},
    {.name = "py-call-osafterfork", .kind = K::kBool, .group = G::kIgnored, .origin = "uWSGI", .help = "subhost reseeds random and runs postfork hooks in every interpreter of every worker itself"},
    {.name = "max-fd", .kind = K::kInt, .min = 0, .max = kIntMax, .metavar = "N", .group = G::kIgnored, .origin = "uWSGI", .help = "subhost raises its descriptor limit to the hard limit at start"},
    {.name = "wsgi-env-behaviour", .aliases = {"wsgi-env-behavior"}, .kind = K::kString, .metavar = "VALUE", .group = G::kIgnored, .origin = "uWSGI", .help = "each request gets a fresh environ"},
    {.name = "master-as-root", .kind = K::kBool, .group = G::kIgnored, .origin = "uWSGI", .help = "subhost does not switch user"},
    {.name = "vacuum-sockets", .kind = K::kBool, .group = G::kIgnored, .origin = "uWSGI", .help = "see --vacuum"},

    // uWSGI features subhost does not have: accepted, with what to use.
    {.name = "uid", .kind = K::kString, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "subhost does not switch user yet: start it as the user it should run as (systemd User=); as root it refuses to start with --uid"},
    {.name = "gid", .kind = K::kString, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "subhost does not switch group yet: start it as the group it should run as (systemd Group=); as root it refuses to start with --gid"},
    {.name = "chown-socket", .kind = K::kString, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "create the socket in a directory the proxy's user can reach, with --chmod-socket"},
    {.name = "pidfile", .kind = K::kString, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "no pidfile is written yet: systemd tracks the master's pid (Type=exec); the first log line names it"},
    {.name = "pidfile2", .kind = K::kString, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "no pidfile is written yet: systemd tracks the master's pid (Type=exec); the first log line names it"},
    {.name = "safe-pidfile", .kind = K::kString, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "no pidfile is written yet: systemd tracks the master's pid (Type=exec); the first log line names it"},
    {.name = "daemonize", .kind = K::kString, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "subhost stays in the foreground and logs to stderr: run it under systemd, or with nohup and a redirect"},
    {.name = "daemonize2", .kind = K::kString, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "subhost stays in the foreground and logs to stderr: run it under systemd, or with nohup and a redirect"},
    {.name = "logto", .kind = K::kString, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "logs go to stderr: redirect it, or let systemd's journal keep it"},
    {.name = "logto2", .kind = K::kString, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "logs go to stderr: redirect it, or let systemd's journal keep it"},
    {.name = "logger", .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "logs go to stderr: redirect it, or let systemd's journal keep it"},
    {.name = "req-logger", .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "logs go to stderr: redirect it, or let systemd's journal keep it"},
    {.name = "log-route", .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "logs go to stderr: redirect it, or let systemd's journal keep it"},
    {.name = "log-encoder", .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "logs go to stderr: redirect it, or let systemd's journal keep it"},
    {.name = "log-date", .aliases = {"logdate"}, .kind = K::kOptional, .metavar = "[=VALUE]", .group = G::kUnsupported, .origin = "uWSGI", .help = "log lines carry no date: the journal (or `ts`) adds one"},
    {.name = "log-format", .aliases = {"logformat"}, .kind = K::kString, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "the access log has subhost's own fixed format"},
    {.name = "log-slow", .kind = K::kInt, .min = 0, .max = kIntMax, .metavar = "N", .group = G::kUnsupported, .origin = "uWSGI", .help = "every request is logged with its time in ms; filter on it"},
    {.name = "log-x-forwarded-for", .kind = K::kBool, .group = G::kUnsupported, .origin = "uWSGI", .help = "the access log shows the peer's address; nginx logs the client's"},
    {.name = "log-maxsize", .kind = K::kSize, .min = 0, .max = kIntMax, .metavar = "SIZE", .group = G::kUnsupported, .origin = "uWSGI", .help = "log rotation belongs to logrotate (copytruncate) or to the journal"},
    {.name = "log-backupname", .kind = K::kString, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "log rotation belongs to logrotate (copytruncate) or to the journal"},
    {.name = "log-reopen", .kind = K::kBool, .group = G::kUnsupported, .origin = "uWSGI", .help = "log rotation belongs to logrotate (copytruncate) or to the journal"},
    {.name = "static-map", .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "serve static files from nginx (location /static/ { alias DIR/; }) or from the app (WhiteNoise)"},
    {.name = "static-map2", .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "serve static files from nginx (location /static/ { alias DIR/; }) or from the app (WhiteNoise)"},
    {.name = "check-static", .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "serve static files from nginx (location /static/ { alias DIR/; }) or from the app (WhiteNoise)"},
    {.name = "static-safe", .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "serve static files from nginx (location /static/ { alias DIR/; }) or from the app (WhiteNoise)"},
    {.name = "static-index", .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "serve static files from nginx (location /static/ { alias DIR/; }) or from the app (WhiteNoise)"},
    {.name = "static-expires-type", .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "serve static files from nginx (location /static/ { alias DIR/; }) or from the app (WhiteNoise)"},
    {.name = "static-expires", .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "serve static files from nginx (location /static/ { alias DIR/; }) or from the app (WhiteNoise)"},
    {.name = "static-gzip-all", .kind = K::kBool, .group = G::kUnsupported, .origin = "uWSGI", .help = "serve static files from nginx (location /static/ { alias DIR/; }) or from the app (WhiteNoise)"},
    {.name = "static-gzip", .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "serve static files from nginx (location /static/ { alias DIR/; }) or from the app (WhiteNoise)"},
    {.name = "cheaper", .kind = K::kInt, .min = 0, .max = kIntMax, .metavar = "N", .group = G::kUnsupported, .origin = "uWSGI", .help = "subhost starts all --processes workers and keeps them; SIGTTIN/SIGTTOU add or remove one"},
    {.name = "cheaper-initial", .kind = K::kInt, .min = 0, .max = kIntMax, .metavar = "N", .group = G::kUnsupported, .origin = "uWSGI", .help = "subhost starts all --processes workers and keeps them; SIGTTIN/SIGTTOU add or remove one"},
    {.name = "cheaper-step", .kind = K::kInt, .min = 0, .max = kIntMax, .metavar = "N", .group = G::kUnsupported, .origin = "uWSGI", .help = "subhost starts all --processes workers and keeps them; SIGTTIN/SIGTTOU add or remove one"},
    {.name = "cheaper-algo", .kind = K::kString, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "subhost starts all --processes workers and keeps them; SIGTTIN/SIGTTOU add or remove one"},
    {.name = "cheaper-overload", .kind = K::kInt, .min = 0, .max = kIntMax, .metavar = "N", .group = G::kUnsupported, .origin = "uWSGI", .help = "subhost starts all --processes workers and keeps them; SIGTTIN/SIGTTOU add or remove one"},
    {.name = "max-worker-lifetime", .kind = K::kInt, .min = 0, .max = kIntMax, .metavar = "N", .group = G::kUnsupported, .origin = "uWSGI", .help = "recycle workers with --max-requests (and --max-requests-jitter) or --reload-on-rss"},
    {.name = "py-autoreload", .aliases = {"python-autoreload"}, .kind = K::kInt, .min = 0, .max = kIntMax, .metavar = "N", .group = G::kUnsupported, .origin = "uWSGI", .help = "use --touch-reload FILE and touch it from the deploy or the editor"},
    {.name = "attach-daemon", .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "run it as its own systemd service or supervisord program"},
    {.name = "attach-daemon2", .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "run it as its own systemd service or supervisord program"},
    {.name = "smart-attach-daemon", .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "run it as its own systemd service or supervisord program"},
    {.name = "attach-control-daemon", .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "run it as its own systemd service or supervisord program"},
    {.name = "master-fifo", .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "send signals to the master instead: HUP reload, TERM stop, TTIN/TTOU one worker more/fewer"},
    {.name = "emperor", .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "not supported: run one subhost with several --mount, or one per app under systemd"},
    {.name = "gevent", .kind = K::kInt, .min = 0, .max = kIntMax, .metavar = "N", .group = G::kUnsupported, .origin = "uWSGI", .help = "subhost holds idle connections in its event loop; use --threads for apps that block"},
    {.name = "gevent-early-monkey-patch", .kind = K::kBool, .group = G::kUnsupported, .origin = "uWSGI", .help = "subhost holds idle connections in its event loop; use --threads for apps that block"},
    {.name = "async", .kind = K::kInt, .min = 0, .max = kIntMax, .metavar = "N", .group = G::kUnsupported, .origin = "uWSGI", .help = "subhost holds idle connections in its event loop; use --threads for apps that block"},
    {.name = "vhost", .kind = K::kBool, .group = G::kUnsupported, .origin = "uWSGI", .help = "subhost routes by path prefix (--mount), not by Host: give each site its own nginx server block and prefix"},
    {.name = "http-enable-proxy-protocol", .aliases = {"enable-proxy-protocol"}, .kind = K::kBool, .group = G::kUnsupported, .origin = "uWSGI", .help = "PROXY protocol headers are not read: have the proxy send X-Forwarded-For"},
    {.name = "wsgi-disable-file-wrapper", .kind = K::kBool, .group = G::kUnsupported, .origin = "uWSGI", .help = "wsgi.file_wrapper is always offered"},
    {.name = "import", .aliases = {"python-import", "pyimport"}, .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "import the module from the app's own WSGI file"},
    {.name = "hook-master-start", .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "run the command before subhost starts (systemd ExecStartPre)"},
    {.name = "hook-pre-app", .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "run the command before subhost starts (systemd ExecStartPre)"},
    {.name = "add-header", .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "set response headers in nginx (add_header) or in the app"},
    {.name = "route", .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "subhost has no routing language: use nginx rules, or a mount per prefix"},
    {.name = "route-uri", .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "subhost has no routing language: use nginx rules, or a mount per prefix"},
    {.name = "route-host", .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "subhost has no routing language: use nginx rules, or a mount per prefix"},
    {.name = "response-route", .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "subhost has no routing language: use nginx rules, or a mount per prefix"},
    {.name = "limit-as", .kind = K::kInt, .min = 0, .max = kIntMax, .metavar = "N", .group = G::kUnsupported, .origin = "uWSGI", .help = "use --reload-on-rss to recycle a worker that grows"},
    {.name = "reload-on-as", .kind = K::kInt, .min = 0, .max = kIntMax, .metavar = "N", .group = G::kUnsupported, .origin = "uWSGI", .help = "use --reload-on-rss to recycle a worker that grows"},
    {.name = "cache2", .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "no shared cache: use Django's or Flask-Caching's backends (memcached, Redis)"},
    {.name = "spooler", .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "no spooler: use a task queue (Celery, RQ) run as its own service"},
    {.name = "mule", .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "no mules: run background work as its own service"},
    {.name = "cron", .kind = K::kList, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "no cron: use systemd timers or cron"},
    {.name = "http-websockets", .kind = K::kBool, .group = G::kUnsupported, .origin = "uWSGI", .help = "WebSockets are not served: route them to an ASGI server"},
    {.name = "pyargv", .kind = K::kString, .metavar = "VALUE", .group = G::kUnsupported, .origin = "uWSGI", .help = "sys.argv is left as subhost's"},
    {.name = "cpu-affinity", .kind = K::kInt, .min = 0, .max = kIntMax, .metavar = "N", .group = G::kUnsupported, .origin = "uWSGI", .help = "use taskset or systemd's CPUAffinity="},
    {.name = "reuse-port", .kind = K::kBool, .group = G::kUnsupported, .origin = "uWSGI", .help = "workers share one listener; no SO_REUSEPORT"},
};


bool HasName(const OptionInfo& option, std::string_view name) {
  if (option.name == name) return true;
  for (std::string_view alias : option.aliases) {
    if (!alias.empty() && alias == name) return true;
  }
  return false;
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

// The note an option of a uWSGI-compatibility group leaves in the log.
std::optional<NoteGroup> NoteGroupOf(OptionGroup group) {
  switch (group) {
    case OptionGroup::kDifferent: return NoteGroup::kDifferent;
    case OptionGroup::kIgnored: return NoteGroup::kIgnored;
    case OptionGroup::kUnsupported: return NoteGroup::kUnsupported;
    default: return std::nullopt;
  }
}

// The value as --check-config shows it.
std::string Shown(const OptionInfo& option, const OptionValue& value) {
  switch (option.kind) {
    case OptionKind::kBool: return value.flag ? "true" : "false";
    case OptionKind::kInt:
    case OptionKind::kSize: return std::to_string(value.number);
    default: return std::string(value.text);
  }
}

// The leading number of an ini value, with a note for the text after it
// ("32768  # larger headers"), as uWSGI's number parsing reads it.
NumberStatus ParseNumberValue(const OptionInfo& option, std::string_view text,
                              ParseContext* context, std::int64_t* out) {
  std::string_view rest;
  std::string_view* rest_ptr = context->from_ini ? &rest : nullptr;
  NumberStatus status = option.kind == OptionKind::kInt
                            ? ParseInteger(text, out, rest_ptr)
                            : ParseSize(text, out, rest_ptr);
  if (status == NumberStatus::kOk && !rest.empty()) {
    AddNote(context->config,
            {NoteGroup::kLanguage, std::string(option.name), context->where,
             fmt::format("{}: read as {}; the text after the number ('{}') is "
                         "ignored, as uWSGI ignores it",
                         option.name, Trim(text.substr(0, text.size() - rest.size())),
                         rest)});
  }
  return status;
}

}  // namespace

void AddNote(ServerConfig* config, ConfigNote note) {
  for (const ConfigNote& n : config->notes) {
    if (n.group != note.group) continue;
    if (note.key.empty() ? n.text == note.text : n.key == note.key) return;
  }
  config->notes.push_back(std::move(note));
}

std::span<const OptionInfo> Options() { return kOptions; }

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

bool ApplyOption(const OptionInfo& option, std::string_view label,
                 std::optional<std::string_view> raw, ParseContext* context,
                 std::string* error) {
  const auto fail = [&](std::string_view detail) {
    *error = fmt::format("{}: {}", label, detail);
    return false;
  };
  std::string expanded;
  std::optional<std::string_view> text = raw;
  if (raw.has_value()) {
    std::string detail;
    if (!ExpandVariables(*raw, context, &expanded, &detail)) return fail(detail);
    text = expanded;
  }
  OptionValue value;
  switch (option.kind) {
    case OptionKind::kBool: {
      std::string_view word = Trim(text.value_or(""));
      // In ini files, as uWSGI: "master = true  # comment" is true.
      if (context->from_ini && !ParseBool(word, &value.flag)) {
        word = word.substr(0, word.find_first_of(" \t"));
        if (ParseBool(word, &value.flag)) {
          AddNote(context->config,
                  {NoteGroup::kLanguage, std::string(option.name),
                   context->where,
                   fmt::format("{}: read as {}; the text after it is ignored",
                               option.name, word)});
        }
      }
      if (!ParseBool(word, &value.flag)) {
        return fail(fmt::format(
            "{} is not a boolean (true/false, yes/no, on/off, 1/0)",
            Quoted(*text)));
      }
      break;
    }
    case OptionKind::kOptional:
      value.text = text.value_or("");
      if (value.text.empty()) value.text = option.default_value;
      break;
    case OptionKind::kInt:
    case OptionKind::kSize: {
      if (!text.has_value() || text->empty()) {
        return fail(raw.has_value() && !raw->empty()
                        ? fmt::format("{} is empty once expanded", Quoted(*raw))
                        : std::string("needs a value"));
      }
      const NumberStatus status =
          ParseNumberValue(option, *text, context, &value.number);
      if (status == NumberStatus::kNotANumber) {
        return fail(fmt::format(
            "{} {}", Quoted(*text),
            option.kind == OptionKind::kInt
                ? "is not a number"
                : "is not a size (bytes, or a number with a K, M or G "
                  "suffix)"));
      }
      if (status == NumberStatus::kTooLarge || value.number < option.min ||
          value.number > option.max) {
        return fail(fmt::format("{} is out of range {}..{}", *text, option.min,
                                option.max));
      }
      break;
    }
    case OptionKind::kString:
    case OptionKind::kList:
      if (!text.has_value()) return fail("needs a value");
      if (text->empty()) {
        return fail(raw.has_value() && !raw->empty()
                        ? fmt::format("{} is empty once expanded", Quoted(*raw))
                        : std::string("empty value"));
      }
      value.text = *text;
      break;
  }
  if (option.apply == nullptr) {
    StoreField(option, value, context->config);
  } else {
    context->error_is_complete = false;
    std::string detail;
    if (!option.apply(option, value, context, &detail)) {
      if (context->error_is_complete) {
        *error = detail;
        return false;
      }
      return fail(detail);
    }
  }
  if (std::optional<NoteGroup> group = NoteGroupOf(option.group)) {
    AddNote(context->config, {*group, std::string(option.name), context->where,
                              std::string(option.help)});
  }
  if (!option.command_line_only) {
    context->config->settings.push_back(
        {std::string(option.name), Shown(option, value), context->where});
  }
  return true;
}

}  // namespace subhost::config
