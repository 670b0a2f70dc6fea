// Converting one option's value by its kind and applying it: shared by the
// command line and the ini reader.
#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "engine/config/parse_context.h"
#include "engine/config/server_config.h"
#include "engine/config/values.h"

namespace subhost::config {

namespace {

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
    case OptionGroup::kDifferent:
      return NoteGroup::kDifferent;
    case OptionGroup::kIgnored:
      return NoteGroup::kIgnored;
    case OptionGroup::kUnsupported:
      return NoteGroup::kUnsupported;
    default:
      return std::nullopt;
  }
}

// The value as --check-config shows it.
std::string Shown(const OptionInfo& option, const OptionValue& value) {
  switch (option.kind) {
    case OptionKind::kBool:
      return value.flag ? "true" : "false";
    case OptionKind::kInt:
    case OptionKind::kSize:
      return std::to_string(value.number);
    default:
      return std::string(value.text);
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
    AddNote(
        context->config,
        {NoteGroup::kLanguage, std::string(option.name), context->where,
         fmt::format("{}: read as {}; the text after the number ('{}') is "
                     "ignored, as uWSGI ignores it",
                     option.name,
                     Trim(text.substr(0, text.size() - rest.size())), rest)});
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
    if (!ExpandVariables(*raw, context, &expanded, &detail))
      return fail(detail);
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
          AddNote(
              context->config,
              {NoteGroup::kLanguage, std::string(option.name), context->where,
               fmt::format("{}: read as {}; the text after it is ignored",
                           option.name, word)});
        }
      }
      if (!ParseBool(word, &value.flag)) {
        return fail(
            fmt::format("{} is not a boolean (true/false, yes/no, on/off, 1/0)",
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
