// Cross-field rules, checked once everything is parsed.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "engine/config/parse_context.h"
#include "engine/config/server_config.h"

namespace subhost::config {

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
  if (config.strict) {
    std::vector<std::string> unknown;
    for (const ConfigNote& note : config.notes) {
      if (note.group == NoteGroup::kPlaceholder) {
        unknown.push_back(fmt::format("'{}' ({})", note.key, note.where));
      }
    }
    if (!unknown.empty()) {
      *error = fmt::format(
          "strict: not options: {} (set-ph NAME=VALUE "
          "defines a placeholder in strict mode)",
          fmt::join(unknown, ", "));
      return false;
    }
  }
  // subhost does not drop privileges yet: started as root with uid/gid, it
  // would run every app as root, which is worse than not starting.
  if (::geteuid() == 0) {
    for (const ConfigSetting& s : config.settings) {
      if (s.name != "uid" && s.name != "gid") continue;
      if (s.value == "root" || s.value == "0") continue;  // root asked for
      *error = fmt::format(
          "{} = {} ({}): subhost does not switch user or group yet and will "
          "not run the apps as root; start it as that user (systemd User= "
          "and Group=, or runuser)",
          s.name, s.value, s.where);
      return false;
    }
  }
  if (config.listeners.empty()) {
    *error = "no listener: give --http-socket ADDR, --socket ADDR or -b ADDR";
    return false;
  }
  if (config.mounts.empty()) {
    *error =
        "no app: give --mount /PATH=TARGET, --wsgi-file FILE, "
        "--module MODULE or a positional pkg.mod:app";
    return false;
  }
  for (std::size_t i = 0; i < config.listeners.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (config.listeners[i].address == config.listeners[j].address) {
        *error = fmt::format("listener address {} is given twice",
                             Quoted(config.listeners[i].address));
        return false;
      }
    }
  }
  for (std::size_t i = 0; i < config.mounts.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (SameMountpoint(config.mounts[i].mountpoint) ==
          SameMountpoint(config.mounts[j].mountpoint)) {
        *error = fmt::format("mountpoint {} is mounted twice ({} and {})",
                             Quoted(config.mounts[i].mountpoint),
                             Quoted(config.mounts[j].target),
                             Quoted(config.mounts[i].target));
        return false;
      }
    }
  }
  for (const std::string& main : config.main_interpreter_mounts) {
    const bool mounted = std::any_of(config.mounts.begin(), config.mounts.end(),
                                     [&](const MountSpecText& m) {
                                       return SameMountpoint(m.mountpoint) ==
                                              SameMountpoint(main);
                                     });
    if (!mounted) {
      *error = fmt::format(
          "--mount-main-interpreter: {} is not a mounted "
          "mountpoint",
          Quoted(main));
      return false;
    }
  }
  return true;
}

}  // namespace subhost::config
