// uWSGI's variables in configuration values: $(ENV), @(file), %(placeholder)
// with its arithmetic, and the magic variables of the file being read.
#include "engine/config/expand.h"

#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>
#include <variant>

#include "engine/config/parse_context.h"
#include "engine/config/values.h"

namespace subhost::config {

namespace {

// The value of %(name): a placeholder, %(_), else the last value of an
// option by that name (uWSGI: a placeholder may name any option), else that
// option's current value (its default).
std::optional<std::string> Lookup(const ParseContext& context,
                                  std::string_view name) {
  if (name == "_" && context.context_value) return *context.context_value;
  if (auto it = context.placeholders.find(name);
      it != context.placeholders.end()) {
    return it->second;
  }
  const OptionInfo* option = FindLong(name);
  if (option == nullptr) return std::nullopt;
  const auto& settings = context.config->settings;
  for (auto it = settings.rbegin(); it != settings.rend(); ++it) {
    if (it->name == option->name) return it->value;
  }
  if (std::holds_alternative<std::monostate>(option->field))
    return std::nullopt;
  return CurrentValue(*option, *context.config);
}

// uWSGI's placeholder arithmetic: "%(a + b + 3 * 2)" is evaluated left to
// right ((a + b) + 3) * 2, "x ++" adds one, and two items with no operator
// between them are joined as text.
bool EvaluateMath(std::string_view expression, const ParseContext& context,
                  std::string* out, std::string* error) {
  std::vector<std::string_view> tokens;
  for (std::size_t at = 0; at < expression.size();) {
    std::size_t end = expression.find(' ', at);
    if (end == std::string_view::npos) end = expression.size();
    if (end > at) tokens.push_back(expression.substr(at, end - at));
    at = end + 1;
  }
  const auto value_of = [&](std::string_view token) -> std::string {
    return Lookup(context, token).value_or(std::string(token));
  };
  std::string result;
  char pending = 0;
  bool first = true;
  for (std::string_view token : tokens) {
    if (token == "++" || token == "--") {
      std::int64_t n = 0;
      if (ParseInteger(result, &n) != NumberStatus::kOk) {
        *error =
            fmt::format("'%({})': '{}' is not a number", expression, result);
        return false;
      }
      result = std::to_string(token == "++" ? n + 1 : n - 1);
      continue;
    }
    if (token.size() == 1 &&
        std::string_view("+-*/").find(token[0]) != std::string_view::npos) {
      pending = token[0];
      continue;
    }
    std::string value = value_of(token);
    if (first) {
      result = value;
      first = false;
    } else if (pending == 0) {
      result += value;
    } else {
      std::int64_t a = 0, b = 0;
      if (ParseInteger(result, &a) != NumberStatus::kOk ||
          ParseInteger(value, &b) != NumberStatus::kOk) {
        *error = fmt::format("'%({})': '{}' {} '{}' needs two numbers",
                             expression, result, pending, value);
        return false;
      }
      if (pending == '/' && b == 0) {
        *error = fmt::format("'%({})' divides by zero", expression);
        return false;
      }
      switch (pending) {
        case '+':
          a += b;
          break;
        case '-':
          a -= b;
          break;
        case '*':
          a *= b;
          break;
        case '/':
          a /= b;
          break;
      }
      result = std::to_string(a);
    }
    pending = 0;
  }
  *out = std::move(result);
  return true;
}

bool ReadWholeFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  // uWSGI drops the trailing newline of @(file), so @(/etc/hostname) is one
  // word.
  while (!out->empty() && (out->back() == '\n' || out->back() == '\r')) {
    out->pop_back();
  }
  return !in.bad();
}

// One pass over value for references opened by `open` ("$(", "@(", "%(").
template <typename Resolve>
bool ExpandPass(std::string_view value, std::string_view open, std::string* out,
                std::string* error, Resolve resolve) {
  out->clear();
  std::size_t at = 0;
  while (true) {
    std::size_t start = value.find(open, at);
    if (start == std::string_view::npos) break;
    std::size_t close = value.find(')', start + open.size());
    if (close == std::string_view::npos) {
      *error = fmt::format("'{}' has no closing ')'", value.substr(start));
      return false;
    }
    out->append(value.substr(at, start - at));
    std::string_view inner =
        value.substr(start + open.size(), close - start - open.size());
    if (!resolve(inner, value.substr(start, close + 1 - start), out)) {
      return false;
    }
    at = close + 1;
  }
  out->append(value.substr(at));
  return true;
}

}  // namespace

void SetPlaceholder(ParseContext* context, std::string_view name,
                    std::string_view value) {
  context->placeholders[std::string(name)] = std::string(value);
  context->config->placeholders.push_back(
      {std::string(name), std::string(value), context->where});
}

bool ExpandVariables(std::string_view value, ParseContext* context,
                     std::string* out, std::string* error) {
  if (value.find('(') == std::string_view::npos) {
    out->assign(value);
    return true;
  }
  std::string env_done, files_done;
  // $(VAR), $(VAR:-default) (unset or empty), $(VAR-default) (unset).
  bool ok =
      ExpandPass(value, "$(", &env_done, error,
                 [](std::string_view inner, std::string_view, std::string* to) {
                   std::size_t dash = inner.find('-');
                   std::string name(inner.substr(0, dash));
                   bool empty_counts = false;
                   if (dash != std::string_view::npos && dash > 0 &&
                       inner[dash - 1] == ':') {
                     name.pop_back();
                     empty_counts = true;
                   }
                   const char* v = std::getenv(name.c_str());
                   if (dash != std::string_view::npos &&
                       (v == nullptr || (empty_counts && *v == '\0'))) {
                     to->append(inner.substr(dash + 1));
                   } else if (v != nullptr) {
                     to->append(v);
                   }
                   return true;
                 });
  ok = ok && ExpandPass(env_done, "@(", &files_done, error,
                        [&](std::string_view inner, std::string_view,
                            std::string* to) {
                          std::string content;
                          std::string path(inner);
                          if (!ReadWholeFile(path, &content)) {
                            *error = fmt::format("@({}): cannot read it: {}",
                                                 path, std::strerror(errno));
                            return false;
                          }
                          to->append(content);
                          return true;
                        });
  ok =
      ok &&
      ExpandPass(
          files_done, "%(", out, error,
          [&](std::string_view inner, std::string_view whole, std::string* to) {
            if (inner.find(' ') != std::string_view::npos) {
              std::string result;
              if (!EvaluateMath(inner, *context, &result, error)) {
                return false;
              }
              to->append(result);
              return true;
            }
            if (std::optional<std::string> v = Lookup(*context, inner)) {
              to->append(*v);
              return true;
            }
            // As uWSGI: an unknown placeholder stays as written.
            AddNote(context->config,
                    {NoteGroup::kLanguage, std::string(whole), context->where,
                     fmt::format("{} is not defined (before this "
                                 "line); kept as written",
                                 whole)});
            to->append(whole);
            return true;
          });
  return ok;
}

MagicFacts MagicFacts::ForFile(const std::string& path,
                               const std::string& section,
                               const std::string& first_file) {
  namespace fs = std::filesystem;
  MagicFacts m;
  std::error_code ec;
  fs::path absolute = fs::absolute(path, ec);
  if (ec) absolute = path;
  absolute = absolute.lexically_normal();
  m.path = absolute.string();
  m.dir = absolute.parent_path().string();
  if (m.dir.empty() || m.dir.back() != '/') m.dir += '/';
  m.filename = absolute.filename().string();
  m.stem = absolute.stem().string();
  m.extension = absolute.extension().string();
  if (!m.extension.empty()) m.extension.erase(0, 1);
  m.dir_name = absolute.parent_path().filename().string();
  for (const fs::path& part : absolute.parent_path()) {
    if (part != "/") m.dir_parts.push_back(part.string());
  }
  m.section_id = fmt::format("{}:{}", path, section);
  m.first_file = first_file.empty() ? path : first_file;
  return m;
}

std::string ExpandMagic(std::string_view value, const MagicFacts& m) {
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '%' || i + 1 == value.size()) {
      out += value[i];
      continue;
    }
    char c = value[i + 1];
    // The uppercase forms name the first non-template file; subhost has no
    // templates, so they are the lowercase ones.
    if (std::string_view("DPSNECX").find(c) != std::string_view::npos) {
      c = static_cast<char>(c - 'A' + 'a');
    }
    std::string fact;
    bool known = true;
    switch (c) {
      case 'd':
        fact = m.dir;
        break;
      case 'p':
        fact = m.path;
        break;
      case 's':
        fact = m.filename;
        break;
      case 'n':
        fact = m.stem;
        break;
      case 'e':
        fact = m.extension;
        break;
      case 'c':
        fact = m.dir_name;
        break;
      case 'x':
        fact = m.section_id;
        break;
      case 'o':
      case 'O':
        fact = m.first_file;
        break;
      case 'h': {
        char host[256] = {};
        ::gethostname(host, sizeof(host) - 1);
        fact = host;
        break;
      }
      case 'k':
        fact =
            std::to_string(std::max(1u, std::thread::hardware_concurrency()));
        break;
      case 't':
      case 'T': {
        timeval tv{};
        ::gettimeofday(&tv, nullptr);
        fact = c == 't' ? std::to_string(tv.tv_sec)
                        : std::to_string(tv.tv_sec * 1000000LL + tv.tv_usec);
        break;
      }
      case 'u':
        fact = std::to_string(::getuid());
        break;
      case 'g':
        fact = std::to_string(::getgid());
        break;
      case 'U': {
        const passwd* pw = ::getpwuid(::getuid());
        fact = pw != nullptr ? pw->pw_name : std::to_string(::getuid());
        break;
      }
      case 'G': {
        const group* gr = ::getgrgid(::getgid());
        fact = gr != nullptr ? gr->gr_name : std::to_string(::getgid());
        break;
      }
      case 'v': {
        std::error_code ec;
        fact = std::filesystem::current_path(ec).string();
        break;
      }
      case '[':
        fact = "\033";
        break;
      case '%':
        fact = "%";
        break;
      default:
        if (c >= '0' && c <= '9') {
          std::size_t n = static_cast<std::size_t>(c - '0');
          if (n < m.dir_parts.size()) fact = m.dir_parts[n];
        } else {
          known = false;  // "%(" and anything else stay as written
        }
    }
    if (!known) {
      out += '%';
      continue;
    }
    out += fact;
    ++i;
  }
  return out;
}

}  // namespace subhost::config
