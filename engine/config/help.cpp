// HelpText(): the --help output, generated from the option table so that
// every option the parsers accept is listed, and nothing else.
#include <fmt/format.h>

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

#include "engine/config/parse_context.h"
#include "engine/config/server_config.h"

namespace subhost::config {
namespace {

constexpr std::size_t kHelpColumn = 32;

std::string_view GroupTitle(OptionGroup group) {
  switch (group) {
    case OptionGroup::kConfiguration:
      return "Configuration";
    case OptionGroup::kListeners:
      return "Listeners";
    case OptionGroup::kApps:
      return "Apps and mounts";
    case OptionGroup::kPython:
      return "Python";
    case OptionGroup::kProcess:
      return "Process model";
    case OptionGroup::kLimits:
      return "Limits and timeouts";
    case OptionGroup::kLogging:
      return "Logging";
    case OptionGroup::kStats:
      return "Stats";
    case OptionGroup::kDifferent:
      return "uWSGI options mapped onto subhost's nearest behaviour (each "
             "logs a note saying how)";
    case OptionGroup::kIgnored:
      return "Accepted and ignored (uWSGI options that change nothing here; "
             "each logs a note saying so)";
    case OptionGroup::kUnsupported:
      return "uWSGI features subhost does not have (accepted so a uWSGI "
             "config starts; each logs what to use instead)";
  }
  return "Other";
}

constexpr OptionGroup kGroupOrder[] = {
    OptionGroup::kConfiguration, OptionGroup::kListeners,
    OptionGroup::kApps,          OptionGroup::kPython,
    OptionGroup::kProcess,       OptionGroup::kLimits,
    OptionGroup::kLogging,       OptionGroup::kStats,
    OptionGroup::kDifferent,     OptionGroup::kIgnored,
    OptionGroup::kUnsupported,
};

// The default of a numeric or string option, read from a default
// ServerConfig so that the help cannot disagree with the struct.
std::string DefaultOf(const OptionInfo& option) {
  static const ServerConfig* const kDefaults = new ServerConfig();
  return CurrentValue(option, *kDefaults);
}

std::string OptionLine(const OptionInfo& option) {
  std::string left = "  ";
  for (char c : option.short_names) {
    left += '-';
    left += c;
    left += ", ";
  }
  left += "--";
  left += option.name;
  if (!option.metavar.empty()) {
    if (option.kind != OptionKind::kOptional) left += ' ';
    left += option.metavar;
  }
  if (left.size() + 2 > kHelpColumn) {
    left += "  ";
  } else {
    left.resize(kHelpColumn, ' ');
  }

  std::string right(option.help);
  const bool noted = option.group == OptionGroup::kIgnored ||
                     option.group == OptionGroup::kUnsupported;
  if (noted) {
    // Its value changes nothing: no range or default to show.
  } else if (option.kind == OptionKind::kInt ||
             option.kind == OptionKind::kSize) {
    // Open-ended ranges (up to INT_MAX or more) show only their minimum.
    if (option.max >= std::numeric_limits<int>::max()) {
      fmt::format_to(std::back_inserter(right), " (>= {}", option.min);
    } else {
      fmt::format_to(std::back_inserter(right), " ({}..{}", option.min,
                     option.max);
    }
    fmt::format_to(std::back_inserter(right), ", default {})",
                   DefaultOf(option));
  } else if (option.kind == OptionKind::kString) {
    const std::string def = DefaultOf(option);
    if (!def.empty()) fmt::format_to(std::back_inserter(right), " (default {})", def);
  }
  if (option.kind == OptionKind::kList) right += "; repeatable";
  std::string tag(option.origin);
  bool first_alias = true;
  for (std::string_view alias : option.aliases) {
    if (alias.empty()) continue;
    tag += first_alias ? "; also --" : ", --";
    tag += alias;
    first_alias = false;
  }
  return fmt::format("{}{}  [{}]\n", left, right, tag);
}

}  // namespace

std::string HelpText() {
  std::string text =
      "Usage: subhost [OPTION]... [APP_MODULE | FILE.ini]\n"
      "\n"
      "subhost serves Python WSGI apps, each mountpoint in its own "
      "sub-interpreter,\n"
      "and takes the flags uWSGI and gunicorn users already write:\n"
      "\n"
      "  subhost --http-socket :9090 --mount /=hello.py --mount "
      "/api=api.wsgi:app\n"
      "  subhost -b 127.0.0.1:8000 --threads 8 mysite.wsgi:application   "
      "(gunicorn style)\n"
      "  subhost app.ini                                                   "
      "(uWSGI style)\n"
      "\n"
      "Values: --flag VALUE, --flag=VALUE, -f VALUE or -fVALUE. Booleans take "
      "no value,\n"
      "or =true/false (yes/no, on/off, 1/0). SIZE is bytes with an optional "
      "K, M or G\n"
      "suffix (x1024). Later flags override earlier ones, repeatable ones "
      "add up. ADDR is\n"
      ":9090 (all interfaces), 127.0.0.1:9090, [::1]:9090, or a unix socket "
      "path\n"
      "(/run/app.sock, unix:/run/app.sock).\n"
      "\n"
      "--http is accepted and means the same as --http-socket: subhost's own "
      "event loop\n"
      "already does the job of uWSGI's separate HTTP router. -b is gunicorn's "
      "--bind when\n"
      "its value contains ':' or '/', else uWSGI's --buffer-size; -w is "
      "gunicorn's\n"
      "--workers when its value is a number, else uWSGI's --module.\n";
  for (OptionGroup group : kGroupOrder) {
    text += "\n";
    text += GroupTitle(group);
    text += ":\n";
    for (const OptionInfo& option : Options()) {
      if (option.group == group) text += OptionLine(option);
    }
  }
  text +=
      "\n"
      "Ini files (--ini FILE[:SECTION], or FILE.ini as an argument): "
      "SECTION if named,\n"
      "else [subhost], else [uwsgi]. Keys are the long option names "
      "or their\n"
      "aliases without dashes (\"http-socket = :9090\", "
      "\"mount = /api=api.py\",\n"
      "\"master = true\"); a key may repeat; a key alone means true. Lines "
      "starting with\n"
      "'#' or ';' are comments. In values, %d is the ini file's directory "
      "(with a\n"
      "trailing '/') and %% is '%'. \"ini = other.ini\" includes another "
      "file.\n";
  return text;
}

}  // namespace subhost::config
