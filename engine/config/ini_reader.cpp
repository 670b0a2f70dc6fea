// Reading ini files in uWSGI's language: sections, includes, placeholders,
// variables, if-*/for blocks. See LoadIni in server_config.h for the rules.
#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/config/expand.h"
#include "engine/config/parse_context.h"
#include "engine/config/server_config.h"
#include "engine/config/values.h"

namespace subhost::config {

namespace {

constexpr int kMaxIniDepth = 16;

// One "key = value" line of the section being read, magic variables
// already expanded (they describe the file, so they expand as it is read).
struct Entry {
  std::string key;
  std::optional<std::string> value;  // none: "key" alone
  std::string where;                 // "path:line"
};

enum class BlockKind { kNone, kIf, kFor };

BlockKind OpensBlock(std::string_view key) {
  if (key.starts_with("if-")) return BlockKind::kIf;
  if (key == "for") return BlockKind::kFor;
  return BlockKind::kNone;
}

bool ClosesBlock(std::string_view key) {
  return key == "endif" || key == "endfor";
}

// The index of the endif/endfor closing the block opened at `open`, or
// entries.size() when there is none. Blocks nest.
std::size_t BlockEnd(const std::vector<Entry>& entries, std::size_t open,
                     std::size_t end) {
  int depth = 0;
  for (std::size_t i = open; i < end; ++i) {
    if (OpensBlock(entries[i].key) != BlockKind::kNone) ++depth;
    if (ClosesBlock(entries[i].key) && --depth == 0) return i;
  }
  return entries.size();
}

bool IsKind(const char* path, mode_t kind) {
  struct stat st {};
  return ::stat(path, &st) == 0 && (kind == 0 || (st.st_mode & S_IFMT) == kind);
}

// Evaluates if-KIND = arg (arg already expanded); sets *context_value to
// what %(_) holds inside the block. false + *error for an unknown KIND.
bool Condition(std::string_view key, const std::string& arg,
               ParseContext* context, bool* result, std::string* context_value,
               std::string* error) {
  std::string_view kind = key.substr(3);
  bool negate = kind.starts_with("not-");
  if (negate) kind.remove_prefix(4);
  *context_value = arg;
  bool holds = false;
  if (kind == "env") {
    // "VAR" holds when VAR is set and not empty; "VAR=VALUE" when it equals.
    std::size_t eq = arg.find('=');
    std::string name = arg.substr(0, eq);
    const char* v = std::getenv(name.c_str());
    if (eq == std::string::npos) {
      holds = v != nullptr && *v != '\0';
      if (holds) *context_value = v;
    } else {
      holds = v != nullptr && arg.compare(eq + 1, std::string::npos, v) == 0;
    }
  } else if (kind == "exists") {
    holds = IsKind(arg.c_str(), 0);
  } else if (kind == "file") {
    holds = IsKind(arg.c_str(), S_IFREG);
  } else if (kind == "dir") {
    holds = IsKind(arg.c_str(), S_IFDIR);
  } else if (kind == "opt" || kind == "option") {
    std::size_t eq = arg.find('=');
    std::string name = arg.substr(0, eq);
    const OptionInfo* option = FindLong(name);
    for (const ConfigSetting& s : context->config->settings) {
      if (s.name != name && (option == nullptr || s.name != option->name)) {
        continue;
      }
      holds = eq == std::string::npos ||
              arg.compare(eq + 1, std::string::npos, s.value) == 0;
      if (holds) *context_value = s.value;
    }
    if (!holds && eq == std::string::npos) {
      holds = context->placeholders.contains(name);
    }
  } else if (kind == "reload") {
    // A reload re-executes the master with the same arguments, and the
    // configuration is read afresh as at first start.
    holds = false;
  } else {
    *error = fmt::format("unknown conditional {}", Quoted(key));
    return false;
  }
  *result = negate ? !holds : holds;
  return true;
}

void NoteOddLine(ParseContext* context, const std::string& where,
                 std::string_view line, std::string_view what) {
  AddNote(context->config,
          {NoteGroup::kLanguage, std::string(line), where, std::string(what)});
}

bool ApplyEntry(const Entry& e, ParseContext* context, std::string* error) {
  context->where = e.where;
  const OptionInfo* option = FindLong(e.key);
  if (option == nullptr || option->command_line_only) {
    std::string value;
    if (!ExpandVariables(e.value.value_or("true"), context, &value, error)) {
      *error = fmt::format("{}: {}: {}", e.where, e.key, *error);
      return false;
    }
    SetPlaceholder(context, e.key, value);
    AddNote(context->config,
            {NoteGroup::kPlaceholder, e.key, e.where,
             "not an option; kept as a placeholder for %(" + e.key + ")"});
    return true;
  }
  if (!e.value && option->kind != OptionKind::kBool &&
      option->kind != OptionKind::kOptional) {
    *error = fmt::format("{}: {}: needs a value", e.where, e.key);
    return false;
  }
  std::optional<std::string_view> value;
  if (e.value) value = *e.value;
  bool ok = ApplyOption(*option, fmt::format("{}: {}", e.where, e.key), value,
                        context, error);
  // A text value that carries what looks like a trailing comment: uWSGI
  // keeps it in the value, and so does subhost, but say so.
  if (ok && e.value &&
      (option->kind == OptionKind::kString ||
       option->kind == OptionKind::kList)) {
    std::size_t hash = e.value->find(" #");
    if (hash == std::string::npos) hash = e.value->find("\t#");
    if (hash != std::string::npos) {
      NoteOddLine(
          context, e.where, e.key,
          fmt::format("{}: the value keeps '{}', as uWSGI keeps it: "
                      "comments go on lines of their own",
                      e.key, Trim(std::string_view(*e.value).substr(hash))));
    }
  }
  return ok;
}

// Applies entries [begin, end), running if-*/for blocks.
bool Run(const std::vector<Entry>& entries, std::size_t begin, std::size_t end,
         ParseContext* context, std::string* error) {
  for (std::size_t i = begin; i < end; ++i) {
    const Entry& e = entries[i];
    if (ClosesBlock(e.key)) {
      *error = fmt::format("{}: {} without a block to close", e.where, e.key);
      return false;
    }
    BlockKind kind = OpensBlock(e.key);
    if (kind == BlockKind::kNone) {
      if (!ApplyEntry(e, context, error)) return false;
      if (context->stop) return true;
      continue;
    }
    std::size_t close = BlockEnd(entries, i, end);
    if (close >= end) {
      *error = fmt::format("{}: {} has no matching {}", e.where, e.key,
                           kind == BlockKind::kFor ? "endfor" : "endif");
      return false;
    }
    context->where = e.where;
    std::string arg;
    if (!ExpandVariables(Trim(e.value.value_or("")), context, &arg, error)) {
      *error = fmt::format("{}: {}: {}", e.where, e.key, *error);
      return false;
    }
    std::optional<std::string> saved = context->context_value;
    if (kind == BlockKind::kFor) {
      for (std::size_t at = 0; at < arg.size();) {
        std::size_t space = arg.find(' ', at);
        if (space == std::string::npos) space = arg.size();
        if (space > at) {
          context->context_value = arg.substr(at, space - at);
          if (!Run(entries, i + 1, close, context, error)) return false;
        }
        at = space + 1;
      }
    } else {
      bool holds = false;
      std::string value;
      if (!Condition(e.key, arg, context, &holds, &value, error)) {
        *error = fmt::format("{}: {}", e.where, *error);
        return false;
      }
      if (holds) {
        context->context_value = value;
        if (!Run(entries, i + 1, close, context, error)) return false;
      }
    }
    context->context_value = saved;
    i = close;
  }
  return true;
}

bool ReadLines(const std::string& path, std::vector<std::string>* lines,
               std::string* error) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    *error = fmt::format("cannot read ini file '{}': Is a directory", path);
    return false;
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = fmt::format("cannot read ini file '{}': {}", path,
                         errno != 0 ? std::strerror(errno) : "open failed");
    return false;
  }
  for (std::string line; std::getline(in, line);) lines->push_back(line);
  if (in.bad()) {
    *error = fmt::format("cannot read ini file '{}': read error", path);
    return false;
  }
  if (!lines->empty() && (*lines)[0].starts_with("\xEF\xBB\xBF")) {
    (*lines)[0].erase(0, 3);  // a UTF-8 byte order mark
  }
  return true;
}

bool LoadIniFile(const std::string& path, const std::string& wanted_section,
                 ParseContext* context, std::string* error) {
  if (context->ini_depth >= kMaxIniDepth) {
    *error = fmt::format("{}: ini files include each other more than {} deep",
                         path, kMaxIniDepth);
    return false;
  }
  std::vector<std::string> lines;
  if (!ReadLines(path, &lines, error)) return false;

  // Which section to read: the one asked for, else [subhost], else [uwsgi].
  std::set<std::string, std::less<>> sections;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view t = Trim(lines[i]);
    if (t.empty() || t.front() != '[') continue;
    if (t.back() != ']') {
      *error = fmt::format("{}:{}: {} is not a [section] header", path, i + 1,
                           Quoted(t));
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
      *error = fmt::format("{}: no [subhost] or [uwsgi] section", path);
      return false;
    }
  } else if (!sections.contains(section)) {
    *error = fmt::format("{}: no [{}] section", path, section);
    return false;
  }

  if (context->first_ini.empty()) context->first_ini = path;
  const MagicFacts facts =
      MagicFacts::ForFile(path, section, context->first_ini);
  std::vector<Entry> entries;
  std::string_view current;
  int depth = 0;  // if-*/for blocks open at this line
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    const std::string_view t = Trim(line);
    if (t.empty() || t.front() == '#' || t.front() == ';') continue;
    if (t.front() == '[') {
      current = Trim(t.substr(1, t.size() - 2));
      continue;
    }
    if (current != section) continue;
    std::string where = fmt::format("{}:{}", path, i + 1);
    const std::size_t eq = t.find('=');
    std::string_view key = Trim(t.substr(0, eq));
    if (eq == std::string_view::npos && t.find(':') != std::string_view::npos &&
        t.find(' ') != std::string_view::npos) {
      // uWSGI splits on '=' only: it reads the whole line as the name of a
      // placeholder, so the line sets nothing. Say so instead.
      NoteOddLine(context, where, t,
                  fmt::format("{}: has no '=', so it sets nothing (uWSGI "
                              "reads it the same way); write '{} = ...'",
                              Quoted(t), Trim(t.substr(0, t.find(':')))));
      continue;
    }
    if (ClosesBlock(key)) --depth;
    // Indenting inside a block is layout; elsewhere it may be meant as a
    // continuation line (Python's configparser reads it so), and uWSGI
    // does not: say so.
    if (depth <= 0 && (line.front() == ' ' || line.front() == '\t')) {
      NoteOddLine(context, where, key,
                  fmt::format("{}: indented; read as a key of its own, as "
                              "uWSGI reads it (not as a continuation of the "
                              "line before)",
                              key));
    }
    if (OpensBlock(key) != BlockKind::kNone) ++depth;
    Entry e{std::string(key), std::nullopt, std::move(where)};
    if (eq != std::string_view::npos) {
      e.value = ExpandMagic(Trim(t.substr(eq + 1)), facts);
    }
    entries.push_back(std::move(e));
  }

  ++context->ini_depth;
  const bool was_from_ini = context->from_ini;
  const std::string was_where = context->where;
  context->from_ini = true;
  context->last_ini = path;
  bool ok = Run(entries, 0, entries.size(), context, error);
  if (!ok) context->error_is_complete = true;
  context->from_ini = was_from_ini;
  context->where = was_where;
  --context->ini_depth;
  return ok;
}

}  // namespace

// "FILE", "FILE:SECTION", ":SECTION". A FILE that exists as written wins, so
// a path with a ':' in it still loads.
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
      if (path.empty()) {
        if (context->last_ini.empty()) {
          *error = fmt::format(
              "{}: no ini file was read before to take the "
              "section from",
              Quoted(spec));
          return false;
        }
        path = context->last_ini;
      }
    }
  }
  return LoadIniFile(path, section, context, error);
}

bool LoadIni(const std::string& path, const std::string& section,
             ServerConfig* out, std::string* error) {
  ParseContext context;
  context.config = out;
  if (!LoadIniFile(path, section, &context, error)) return false;
  FinishParse(&context);
  return true;
}

}  // namespace subhost::config
