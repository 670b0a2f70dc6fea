// What the command-line parser, the ini reader and the option table share
// while one configuration is read. Internal to engine/config.
#ifndef SUBHOST_ENGINE_CONFIG_PARSE_CONTEXT_H_
#define SUBHOST_ENGINE_CONFIG_PARSE_CONTEXT_H_

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/config/server_config.h"

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
  // Where the value being applied comes from: "app.ini:3", "command line".
  std::string where = "command line";
  // Values from ini files: a number may carry trailing text (a note).
  bool from_ini = false;
  std::string first_ini;  // %o: the first file loaded
  std::string last_ini;   // "ini = :section" reads this file's section
  // Placeholders by name, and %(_) inside if-*/for blocks.
  std::map<std::string, std::string, std::less<>> placeholders;
  std::optional<std::string> context_value;
};

inline std::string Quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('\'');
  out.append(text);
  out.push_back('\'');
  return out;
}

// Adds a note unless the same group and key (or, without a key, the same
// text) is there already.
void AddNote(ServerConfig* config, ConfigNote note);

const OptionInfo* FindLong(std::string_view name);
// The uWSGI options subhost maps or notes (uwsgi_options.cpp); Options()
// lists them after subhost's own.
std::span<const OptionInfo> UwsgiCompatOptions();
std::vector<const OptionInfo*> FindShort(char c);
// An address for gunicorn's -b: it has a port (':') or is a path ('/').
bool LooksLikeAddress(std::string_view value);
// 1 to 4 octal digits, as chmod takes them ("666", "0660").
bool IsOctalMode(std::string_view value);

// Converts text (nullopt: given without a value) by the option's kind and
// applies it, recording it in config->settings. `label` names the option for
// errors: "--threads", "-t" or "app.ini:3: threads".
bool ApplyOption(const OptionInfo& option, std::string_view label,
                 std::optional<std::string_view> text, ParseContext* context,
                 std::string* error);

// A plain option's current value in config as text ("true", "4096",
// "application"); "" for options without a field.
std::string CurrentValue(const OptionInfo& option, const ServerConfig& config);

// Defines a placeholder (recorded in config->placeholders for the report).
void SetPlaceholder(ParseContext* context, std::string_view name,
                    std::string_view value);

// Expands $(VAR), @(file) and %(placeholder) in that order, as uWSGI does
// after reading its files. false + *error for an unreadable @(file) or an
// unterminated reference.
bool ExpandVariables(std::string_view value, ParseContext* context,
                     std::string* out, std::string* error);

// "FILE" or "FILE:SECTION" or ":SECTION" (of the last file read).
bool LoadIniSpec(std::string_view spec, ParseContext* context,
                 std::string* error);

// After everything is read: `protocol = http` turns --socket listeners into
// HTTP ones.
void FinishParse(ParseContext* context);

// The ini form of a uWSGI --yaml, --json or --xml file, for the message
// that refuses it; false + *error when it cannot be read or converted.
bool OtherFormatAsIni(const std::string& path, std::string* ini,
                      std::string* error);

}  // namespace subhost::config

#endif  // SUBHOST_ENGINE_CONFIG_PARSE_CONTEXT_H_
