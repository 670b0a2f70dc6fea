// The subhost command line, as uWSGI and gunicorn users write it. See
// ParseCommandLine in server_config.h for the accepted forms.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/config/parse_context.h"
#include "engine/config/server_config.h"

namespace subhost::config {

namespace {

bool TakesRequiredValue(const OptionInfo& option) {
  return option.kind != OptionKind::kBool &&
         option.kind != OptionKind::kOptional;
}

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
  if (EndsWithAny(arg, {".yaml", ".yml", ".json", ".js", ".xml"})) {
    std::string ini;
    if (OtherFormatAsIni(std::string(arg), &ini, error)) {
      *error = fmt::format(
          "{}: subhost reads ini files only; this is its ini form, to save "
          "as an .ini file:\n{}",
          arg, ini);
    }
    return false;
  }
  if (arg.empty() || arg == "-") {
    *error = fmt::format("unexpected argument {}", Quoted(arg));
    return false;
  }
  if (context->positional_app_seen) {
    *error = fmt::format(
        "unexpected argument {}: only one app may be given without a flag "
        "(use --mount /PATH=TARGET for more)",
        Quoted(arg));
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

bool ParseLong(std::string_view arg, int* i, int argc, const char* const* argv,
               ParseContext* context, std::string* error) {
  const std::string_view body = arg.substr(2);
  const std::size_t eq = body.find('=');
  const std::string_view name = body.substr(0, eq);
  const OptionInfo* option = FindLong(name);
  if (option == nullptr) {
    *error = fmt::format("unknown option '--{}'", name);
    return false;
  }
  const std::string where = fmt::format("--{}", name);
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
bool ParseShort(std::string_view arg, int* i, int argc, const char* const* argv,
                ParseContext* context, std::string* error) {
  for (std::size_t j = 1; j < arg.size(); ++j) {
    const std::string where = fmt::format("-{}", arg[j]);
    const std::vector<const OptionInfo*> candidates = FindShort(arg[j]);
    if (candidates.empty()) {
      *error = j == 1 ? fmt::format("unknown option {}", Quoted(arg))
                      : fmt::format("unknown option {} in {}", Quoted(where),
                                    Quoted(arg));
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
    std::vector<std::string_view> names;
    for (const OptionInfo* candidate : candidates) {
      names.push_back(candidate->name);
    }
    fmt::format_to(std::back_inserter(*error),
                   " ({} means --{} depending on its value; see --help)", where,
                   fmt::join(names, " or --"));
    return false;
  }
  return true;
}

}  // namespace

bool ParseCommandLine(int argc, const char* const* argv, ServerConfig* out,
                      bool* show_help, bool* show_version, std::string* error) {
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
  FinishParse(&context);
  return true;
}

}  // namespace subhost::config
