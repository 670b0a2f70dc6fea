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
    *error =
        fmt::format("{} has an empty TARGET after '='", Quoted(value.text));
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
    *error =
        fmt::format("{} is not an octal mode like 660", Quoted(value.text));
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
};

bool HasName(const OptionInfo& option, std::string_view name) {
  if (option.name == name) return true;
  for (std::string_view alias : option.aliases) {
    if (!alias.empty() && alias == name) return true;
  }
  return false;
}
}  // namespace

std::span<const OptionInfo> Options() {
  // subhost's own options first, then the uWSGI ones it only maps or notes.
  static const std::vector<OptionInfo>* const all = [] {
    auto* v =
        new std::vector<OptionInfo>(std::begin(kOptions), std::end(kOptions));
    std::span<const OptionInfo> compat = UwsgiCompatOptions();
    v->insert(v->end(), compat.begin(), compat.end());
    return v;
  }();
  return *all;
}

const OptionInfo* FindLong(std::string_view name) {
  for (const OptionInfo& option : Options()) {
    if (HasName(option, name)) return &option;
  }
  return nullptr;
}

std::vector<const OptionInfo*> FindShort(char c) {
  std::vector<const OptionInfo*> found;
  for (const OptionInfo& option : Options()) {
    if (option.short_names.find(c) != std::string_view::npos) {
      found.push_back(&option);
    }
  }
  return found;
}
}  // namespace subhost::config
