// What the configuration says back: the notes logged at start, and the
// --check-config report.
#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/config/parse_context.h"
#include "engine/config/server_config.h"

namespace subhost::config {

namespace {

struct GroupInfo {
  NoteGroup group;
  std::string_view heading;
};

constexpr GroupInfo kNoteGroups[] = {
    {NoteGroup::kPrint, ""},
    {NoteGroup::kInfo, ""},
    {NoteGroup::kDifferent,
     "uWSGI options mapped onto subhost's nearest behaviour:"},
    {NoteGroup::kIgnored,
     "uWSGI options accepted and ignored (no effect here):"},
    {NoteGroup::kUnsupported,
     "uWSGI options subhost does not support (accepted; what to use instead):"},
    {NoteGroup::kPlaceholder,
     "ini keys that are not options (kept as placeholders; --strict refuses "
     "them):"},
    {NoteGroup::kLanguage, "in the ini text:"},
};

}  // namespace

std::string CurrentValue(const OptionInfo& option, const ServerConfig& config) {
  if (auto* p = std::get_if<bool ServerConfig::*>(&option.field)) {
    return config.*(*p) ? "true" : "false";
  }
  if (auto* p = std::get_if<int ServerConfig::*>(&option.field)) {
    return std::to_string(config.*(*p));
  }
  if (auto* p = std::get_if<std::size_t ServerConfig::*>(&option.field)) {
    return std::to_string(config.*(*p));
  }
  if (auto* p = std::get_if<std::int64_t ServerConfig::*>(&option.field)) {
    return std::to_string(config.*(*p));
  }
  if (auto* p = std::get_if<std::string ServerConfig::*>(&option.field)) {
    return config.*(*p);
  }
  return "";
}

namespace {

void Row(std::string* out, std::string_view key, std::string_view value,
         std::string_view where) {
  fmt::format_to(std::back_inserter(*out), "  {:<24} = {:<28}  ({})\n", key,
                 value, where);
}

}  // namespace

void FinishParse(ParseContext* context) {
  ServerConfig* config = context->config;
  if (config->protocol != "http") return;
  for (ListenSpec& l : config->listeners) {
    if (l.proto != ListenSpec::Proto::kUwsgi) continue;
    l.proto = ListenSpec::Proto::kHttp;
    AddNote(config, {NoteGroup::kInfo, "", context->where,
                     fmt::format("--socket {} speaks HTTP (protocol = http)",
                                 l.address)});
  }
}

std::vector<std::string> NoteLines(const ServerConfig& config) {
  std::vector<std::string> lines;
  for (const GroupInfo& g : kNoteGroups) {
    bool any = false;
    for (const ConfigNote& note : config.notes) {
      if (note.group != g.group) continue;
      if (!any && !g.heading.empty()) lines.emplace_back(g.heading);
      any = true;
      if (g.heading.empty()) {
        lines.push_back(note.group == NoteGroup::kPrint
                            ? note.text
                            : fmt::format("{}", note.text));
      } else if (note.group == NoteGroup::kLanguage) {
        lines.push_back(fmt::format("  {}: {}", note.where, note.text));
      } else {
        lines.push_back(
            fmt::format("  {} ({}): {}", note.key, note.where, note.text));
      }
    }
  }
  return lines;
}

std::string CheckConfigReport(const ServerConfig& config,
                              const std::string& error) {
  std::string out =
      "effective configuration (value, then where it came from):\n";
  // Each option once: a list option with all its values, any other with
  // its last one.
  std::set<std::string, std::less<>> shown;
  for (std::size_t i = 0; i < config.settings.size(); ++i) {
    const ConfigSetting& s = config.settings[i];
    if (s.name == "check-config") continue;
    const OptionInfo* option = FindLong(s.name);
    bool is_list = option != nullptr && option->kind == OptionKind::kList;
    if (!is_list) {
      bool later =
          std::any_of(config.settings.begin() + i + 1, config.settings.end(),
                      [&](const ConfigSetting& o) { return o.name == s.name; });
      if (later) continue;
    }
    shown.insert(s.name);
    Row(&out, s.name, s.value, s.where);
  }
  out += "defaults (not set anywhere):\n";
  for (const OptionInfo& option : Options()) {
    if (shown.contains(option.name) || option.command_line_only ||
        option.name == "check-config") {
      continue;
    }
    if (std::holds_alternative<std::monostate>(option.field)) continue;
    if (option.group == OptionGroup::kDifferent ||
        option.group == OptionGroup::kIgnored ||
        option.group == OptionGroup::kUnsupported) {
      continue;
    }
    if (std::holds_alternative<std::vector<std::string> ServerConfig::*>(
            option.field)) {
      continue;
    }
    Row(&out, option.name, CurrentValue(option, config), "default");
  }
  if (!config.placeholders.empty()) {
    out += "placeholders:\n";
    for (const ConfigSetting& p : config.placeholders) {
      Row(&out, p.name, p.value, p.where);
    }
  }
  std::vector<std::string> notes = NoteLines(config);
  if (!notes.empty()) {
    out += "notes:\n";
    for (const std::string& line : notes) {
      fmt::format_to(std::back_inserter(out), "  {}\n", line);
    }
  }
  if (error.empty()) {
    out += "configuration OK\n";
  } else {
    fmt::format_to(std::back_inserter(out), "configuration error: {}\n", error);
  }
  return out;
}

}  // namespace subhost::config
