// The subhost command's configuration: the ServerConfig struct, and filling
// it from argv and from ini files the way uWSGI and gunicorn users write them.
//
// One table of option descriptors (Options()) drives the command-line parser,
// the ini parser and HelpText(), so the three cannot drift apart.
//
// Thread contract: plain functions without shared mutable state; safe from
// any thread. ParseCommandLine and LoadIni read files (ini) but change nothing
// outside *out.
#ifndef SUBHOST_ENGINE_CONFIG_SERVER_CONFIG_H_
#define SUBHOST_ENGINE_CONFIG_SERVER_CONFIG_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace subhost::config {

struct ListenSpec {
  enum class Proto { kHttp, kUwsgi };
  Proto proto = Proto::kHttp;
  // As given: ":9090", "127.0.0.1:9090", "[::1]:9090", "/tmp/s.sock",
  // "unix:/tmp/s.sock". net::ParseAddress validates it when binding.
  std::string address;

  bool operator==(const ListenSpec&) const = default;
};

// Raw text; the mount parser (mounts/mount_spec.h) validates it later.
struct MountSpecText {
  std::string mountpoint;
  std::string target;

  bool operator==(const MountSpecText&) const = default;
};

// One option or placeholder as configured: its name (canonical for options),
// its value after expansion, and where: "app.ini:3" or "command line".
struct ConfigSetting {
  std::string name;
  std::string value;
  std::string where;

  bool operator==(const ConfigSetting&) const = default;
};

enum class NoteGroup {
  kInfo,         // what an option means here (--http, protocol)
  kDifferent,    // a uWSGI option mapped onto subhost's nearest behaviour
  kIgnored,      // a uWSGI option that changes nothing here
  kUnsupported,  // a uWSGI feature subhost does not have; what to use
  kPlaceholder,  // an ini key that is not an option, kept as a placeholder
  kLanguage,     // the ini text: trailing text after a number, "key : value"
  kPrint,        // uWSGI's `print`
};

struct ConfigNote {
  NoteGroup group = NoteGroup::kInfo;
  std::string key;    // the option or key ("pidfile"); "" for kInfo/kPrint
  std::string where;  // "app.ini:3" or "command line"
  std::string text;   // what subhost does instead, or the warning

  bool operator==(const ConfigNote&) const = default;
};

struct ServerConfig {
  // --http-socket A, --http A (plus a note), gunicorn -b/--bind A: kHttp;
  // --socket/--uwsgi-socket/-s A: kUwsgi. In command-line order.
  std::vector<ListenSpec> listeners;
  // --mount /x=T; --wsgi-file/--file F, --module/--wsgi/-w M and a gunicorn
  // positional "pkg.mod:app" mount at "/". A --wsgi-file name without '/'
  // that does not end in ".py" gets a "./" prefix so that the mount parser
  // reads it as a file ("app.wsgi" alone would be the module app.wsgi).
  std::vector<MountSpecText> mounts;
  std::string callable = "application";
  bool manage_script_name = false;  // accepted; prefix routing is always on
  bool single_interpreter = false;
  // Mountpoints (as given to --mount) that run in the main interpreter.
  std::vector<std::string> main_interpreter_mounts;
  std::string chdir;
  std::vector<std::string> pythonpath;  // in order; commas split (gunicorn)
  std::string home;                     // virtualenv / PYTHONHOME
  std::vector<std::pair<std::string, std::string>> env;  // in order
  int threads = 1;                                       // 1..1024
  int processes = 1;                                     // 1..1024
  bool master = false;
  int listen_backlog = 100;             // 1..65535
  std::size_t buffer_size = 4096;       // 512..65535
  std::int64_t limit_post = 0;          // bytes; 0 = unlimited
  std::int64_t post_buffering = 65536;  // bodies above this spool to a file
  int socket_timeout = 4;               // seconds, 1..86400
  bool need_app = false;
  bool disable_logging = false;
  std::string chmod_socket;  // octal digits as given ("666"); "" = umask's
  bool vacuum = false;
  std::string stats;  // ADDR for uWSGI-style JSON stats; "" none
  bool stats_http = false;
  std::string metrics;  // ADDR for Prometheus metrics; "" none
  bool lazy_apps = false;
  int max_requests = 0;  // 0: never recycle
  int max_requests_jitter = 0;
  int harakiri = 0;              // seconds; 0: never
  int reload_on_rss = 0;         // MB; 0: never
  int worker_reload_mercy = 60;  // seconds
  std::vector<std::string> touch_reload;
  std::vector<std::string> touch_chain_reload;
  bool own_gil = false;  // subhost extension, CPython 3.13+
  // uWSGI's `protocol`: what --socket listeners speak ("uwsgi" or "http").
  std::string protocol = "uwsgi";
  // --strict: an ini key that is not an option is an error, not a
  // placeholder (checked by Validate, so that `strict` may come last).
  bool strict = false;
  // --check-config / --print-config: print CheckConfigReport and exit.
  bool check_config = false;
  // Every option applied, in order, with where it came from: what
  // --check-config prints as the effective configuration.
  std::vector<ConfigSetting> settings;
  // Placeholders defined by keys that are not options, by set-ph, by set.
  std::vector<ConfigSetting> placeholders;
  // What the log says at start, grouped by NoteGroup: uWSGI options accepted
  // but handled differently or not at all, keys kept as placeholders, ini
  // language warnings. No duplicates.
  std::vector<ConfigNote> notes;
};

// Parses argv (argv[0] is the program name) into *out, which starts as the
// caller's (normally default-constructed) config: scalars are overwritten,
// lists appended to. Returns false and sets *error to one line naming the
// offending flag or value ("unknown option '--foo'", "--threads: 'abc' is not
// a number", "--threads: 0 is out of range 1..1024", "--mount: '/x' has no
// '=TARGET'"); *out is then partly filled and should be discarded.
//
// Accepted forms: "--flag value", "--flag=value", "-s value", "-svalue",
// and bundled one-letter booleans ("-Mi"). Boolean flags take no value, or
// "=true/false" (also yes/no, on/off, 1/0); the next argument is never taken
// as a boolean's value. Values expand $(VAR), @(file) and %(placeholder) as
// in ini files. --chmod-socket's
// value is optional: it takes the next argument only if that is an octal
// mode. A required value is never taken from an argument starting with "--"
// (that is reported as a missing value). "--" ends the options.
//
// -b is gunicorn's --bind when its value contains ':' or '/' (":8000",
// "unix:/run/s.sock", "/run/s.sock"), else uWSGI's --buffer-size. -w is
// gunicorn's --workers when its value is all digits, else uWSGI's --module.
//
// "--ini FILE" and "--ini FILE:SECTION" load the file at that point, so later
// flags override its scalars and list flags append. A positional argument
// ending in ".ini" (or ".ini:SECTION") is loaded the same way (as `uwsgi
// app.ini`); any other positional is a gunicorn app module mounted at "/"
// (at most one). "--help"/"-h"/"--usage" sets *show_help and "--version" sets
// *show_version; parsing then stops and true is returned. show_help and
// show_version may be null. The harmless uWSGI options of
// OptionGroup::kIgnored ("--enable-threads", "--plugins python3", ...) are
// accepted and ignored with a line in out->notes, here as in ini files.
bool ParseCommandLine(int argc, const char* const* argv, ServerConfig* out,
                      bool* show_help, bool* show_version, std::string* error);

// Loads one ini file into *out, like "--ini path[:section]" does. The section
// read is `section` if not empty (it must exist), else [subhost], else
// [uwsgi] (drop-in use); other sections are skipped unread. uWSGI's ini
// language, as its documentation defines it:
//  - keys are long option names or aliases without dashes; a key may repeat,
//    with the same meaning as repeating the flag; a key alone on its line is
//    a boolean set to true; lines whose first non-blank character is '#' or
//    ';' are comments ('#' later in a line is part of a text value:
//    "env = COLOR=#fff");
//  - a key that is not an option is a placeholder: "%(name)" in later values
//    expands to its value (as does "%(option)" to an option's last value),
//    with a kPlaceholder note; "set-ph = name=value" defines one silently;
//    "%(a + b + 1)" is uWSGI's placeholder arithmetic;
//  - "$(VAR)", "$(VAR:-default)", "$(VAR-default)" expand from the
//    environment, "@(path)" to a file's content; magic variables expand to
//    facts of the file being read: %d %p %s %n %e %c %x %0..%9, and %h
//    (hostname), %k (cores), %t %T (time), %u %U %g %G (user, group), %v
//    (cwd), %o/%O (the first file loaded), %[ (ESC), %% ('%');
//  - if-env / if-not-env (VAR or VAR=VALUE), if-exists / if-not-exists,
//    if-file / if-not-file, if-dir / if-not-dir, if-opt / if-not-opt
//    (name or name=value), if-reload / if-not-reload ... endif, and
//    for = a b c ... endfor, with %(_) the context value; blocks may nest;
//  - a number (or boolean) followed by other text reads the number, as
//    uWSGI's parsing does, with a kLanguage note ("buffer-size = 32768  #
//    larger headers"); "key : value" lines are notes (uWSGI reads the whole
//    line as a placeholder's name, so they set nothing);
//  - "ini = other.ini", "ini = :section" (a section of the last file),
//    "include" and "inherit" read another file at that point (depth at most
//    16); "yaml", "json" and "xml" files are refused with their ini form.
// Returns false and sets *error to one line naming "path:line" and the key
// for a bad value, or naming the path when it cannot be read or lacks the
// section.
bool LoadIni(const std::string& path, const std::string& section,
             ServerConfig* out, std::string* error);

// Cross-field rules after parsing: at least one listener, at least one mount,
// no mountpoint mounted twice ("" and "/" are the same mountpoint, as are
// "/x" and "/x/"), no listener address given twice, and every
// --mount-main-interpreter names a mounted mountpoint. false + one line.
bool Validate(const ServerConfig& config, std::string* error);

// The notes as log lines, grouped: a heading line per NoteGroup present,
// then one line per note ("  pidfile (app.ini:7): ...").
std::vector<std::string> NoteLines(const ServerConfig& config);

// What --check-config prints: the effective configuration (each value with
// where it came from, then the defaults left as they are), the placeholders,
// the notes, and `error` (from parsing or Validate) when not empty.
std::string CheckConfigReport(const ServerConfig& config,
                              const std::string& error);

// The --help text: every option of Options(), one line each, grouped, with
// its aliases and its uWSGI/gunicorn origin; ends with a newline.
std::string HelpText();

// ---------------------------------------------------------------------------
// The option table. Read-only; exposed for HelpText and for tests.

enum class OptionKind {
  kBool,      // no value, or =true/false, yes/no, on/off, 1/0 ("" is true)
  kInt,       // a decimal integer within [min, max]
  kSize,      // bytes, with an optional K, M or G suffix (x1024), in range
  kString,    // one value; a later occurrence replaces an earlier one
  kList,      // repeatable; each occurrence appends
  kOptional,  // a value is optional; alone, the option means default_value
};

// In HelpText order.
enum class OptionGroup {
  kConfiguration,
  kListeners,
  kApps,
  kPython,
  kProcess,
  kLimits,
  kLogging,
  kStats,
  kDifferent,    // uWSGI options mapped onto the nearest behaviour + note
  kIgnored,      // uWSGI options accepted and ignored with a note
  kUnsupported,  // uWSGI features subhost lacks: accepted, with what to use
};

struct OptionInfo;
struct OptionValue {
  bool flag = false;        // kBool
  std::int64_t number = 0;  // kInt, kSize (already range-checked)
  std::string_view text;    // kString, kList, kOptional (never empty)
};
// Parser state shared by argv and ini parsing; defined in server_config.cpp.
struct ParseContext;
// Applies a parsed value; false + *error holding the detail only (the caller
// prefixes the flag spelling, or "file:line: key").
using ApplyFn = bool (*)(const OptionInfo& option, const OptionValue& value,
                         ParseContext* context, std::string* error);
// Decides a short flag that two options share (-b, -w) by its value.
using ClaimsFn = bool (*)(std::string_view value);
// Where a plain option stores its value.
using OptionField =
    std::variant<std::monostate, bool ServerConfig::*, int ServerConfig::*,
                 std::size_t ServerConfig::*, std::int64_t ServerConfig::*,
                 std::string ServerConfig::*,
                 std::vector<std::string> ServerConfig::*>;

struct OptionInfo {
  std::string_view name{};  // canonical long name, without dashes; an ini key
  std::array<std::string_view, 3> aliases{};  // other long names (ini keys too)
  std::string_view short_names{};             // one-letter flags, "" if none
  OptionKind kind = OptionKind::kBool;
  std::int64_t min = 0;  // kInt, kSize
  std::int64_t max = 0;
  std::string_view metavar{};        // "ADDR", "N"; "" for kBool
  std::string_view default_value{};  // kOptional: the value when given alone
  OptionGroup group = OptionGroup::kConfiguration;
  std::string_view origin{};        // "uWSGI", "gunicorn", "uWSGI, gunicorn"...
  std::string_view help{};          // one line; for kIgnored, why it is ignored
  OptionField field{};              // plain options: stored here by kind
  ApplyFn apply = nullptr;          // special options: called instead of field
  ClaimsFn claims_short = nullptr;  // for a short name shared with another
  bool command_line_only = false;   // not an ini key (help, version)
};

std::span<const OptionInfo> Options();

}  // namespace subhost::config

#endif  // SUBHOST_ENGINE_CONFIG_SERVER_CONFIG_H_
