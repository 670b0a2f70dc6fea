#include "mounts/mount_spec.h"

#include <fmt/format.h>

#include <iterator>
#include <string>
#include <string_view>
#include <utility>

namespace subhost::mounts {
namespace {

bool Fail(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
  return false;
}

bool IsControl(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

// Errors are single log lines, so bytes that would break or hide in a line
// are escaped.
void AppendEscaped(char c, std::string* out) {
  switch (c) {
    case '\t':
      *out += "\\t";
      return;
    case '\n':
      *out += "\\n";
      return;
    case '\r':
      *out += "\\r";
      return;
    case '"':
      *out += "\\\"";
      return;
    case '\\':
      *out += "\\\\";
      return;
    default:
      break;
  }
  if (IsControl(c)) {
    fmt::format_to(std::back_inserter(*out), "\\x{:02x}",
                   static_cast<unsigned char>(c));
    return;
  }
  *out += c;
}

std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) AppendEscaped(c, &out);
  out += '"';
  return out;
}

std::string QuoteChar(char c) {
  std::string out = "'";
  if (c == '\'') {
    out += "\\'";
  } else if (c == '"') {
    out += '"';
  } else {
    AppendEscaped(c, &out);
  }
  out += '\'';
  return out;
}

bool IsIdentifierStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool IsIdentifierChar(char c) {
  return IsIdentifierStart(c) || (c >= '0' && c <= '9');
}

bool IsIdentifier(std::string_view s) {
  if (s.empty() || !IsIdentifierStart(s.front())) return false;
  for (char c : s) {
    if (!IsIdentifierChar(c)) return false;
  }
  return true;
}

// On failure *bad is the first offending dot-separated part (possibly empty).
bool IsDottedIdentifier(std::string_view s, std::string_view* bad) {
  while (true) {
    const std::size_t dot = s.find('.');
    const std::string_view part = s.substr(0, dot);
    if (!IsIdentifier(part)) {
      *bad = part;
      return false;
    }
    if (dot == std::string_view::npos) return true;
    s.remove_prefix(dot + 1);
  }
}

std::string DescribeBadPart(std::string_view bad) {
  if (bad.empty()) return "empty part";
  return fmt::format("bad part {}", Quote(bad));
}

bool IsValidCallable(std::string_view callable, std::string_view* bad) {
  if (IsFactoryCallable(callable)) callable.remove_suffix(2);
  return IsDottedIdentifier(callable, bad);
}

// "pkg.wsgi" is a module, as in Django's "mysite.wsgi:application"; a
// mod_wsgi-style file is then named with a '/' ("./app.wsgi") or by a name
// that cannot be a module ("my-app.wsgi").
bool IsFileName(std::string_view name) {
  if (name.find('/') != std::string_view::npos || name.ends_with(".py")) {
    return true;
  }
  std::string_view bad;
  return name.ends_with(".wsgi") && !IsDottedIdentifier(name, &bad);
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
         c == '\r';
}

}  // namespace

bool NormalizeMountpoint(std::string_view in, std::string* out,
                         std::string* error) {
  if (in.empty() || in == "/") {
    *out = std::string();
    return true;
  }
  const std::string quoted = Quote(in);
  if (in.front() != '/') {
    return Fail(error,
                fmt::format("mountpoint {} must start with '/'", quoted));
  }
  for (char c : in) {
    if (c == '?' || c == '#' || c == '%') {
      return Fail(error, fmt::format("mountpoint {} contains {}", quoted,
                                     QuoteChar(c)));
    }
    if (IsSpace(c)) {
      return Fail(error, fmt::format("mountpoint {} contains whitespace {}",
                                     quoted, QuoteChar(c)));
    }
    if (IsControl(c)) {
      return Fail(error,
                  fmt::format("mountpoint {} contains control character {}",
                              quoted, QuoteChar(c)));
    }
  }
  if (in.find("//") != std::string_view::npos) {
    return Fail(error, fmt::format("mountpoint {} contains \"//\"", quoted));
  }
  std::string_view body = in;
  if (body.back() == '/') body.remove_suffix(1);
  std::string_view rest = body.substr(1);
  while (true) {
    const std::size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    if (segment == "." || segment == "..") {
      return Fail(error, fmt::format("mountpoint {} has a {} segment", quoted,
                                     Quote(segment)));
    }
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  *out = std::string(body);
  return true;
}

bool IsFactoryCallable(std::string_view callable) {
  return callable.ends_with("()");
}

bool ParseTarget(std::string_view target, std::string_view default_callable,
                 MountTarget* out, std::string* error) {
  if (target.empty()) return Fail(error, "empty mount target");
  const std::string prefix = fmt::format("mount target {}", Quote(target));
  if (IsSpace(target.front()) || IsSpace(target.back())) {
    return Fail(error,
                fmt::format("{} has leading or trailing whitespace", prefix));
  }
  for (char c : target) {
    if (IsControl(c)) {
      return Fail(error, fmt::format("{} contains control character {}",
                                     prefix, QuoteChar(c)));
    }
  }

  const std::size_t colon = target.rfind(':');
  const std::string_view name = target.substr(0, colon);
  std::string_view callable = default_callable;
  std::string_view bad;
  if (colon != std::string_view::npos) {
    callable = target.substr(colon + 1);
    if (callable.empty()) {
      return Fail(error, fmt::format("{}: empty callable after ':'", prefix));
    }
    if (!IsValidCallable(callable, &bad)) {
      return Fail(error, fmt::format("{}: callable {} is not a dotted "
                                     "identifier optionally followed by "
                                     "\"()\" ({})",
                                     prefix, Quote(callable),
                                     DescribeBadPart(bad)));
    }
  } else if (!IsValidCallable(callable, &bad)) {
    return Fail(error, fmt::format("{}: default callable {} is not a dotted "
                                   "identifier optionally followed by \"()\" "
                                   "({})",
                                   prefix, Quote(callable),
                                   DescribeBadPart(bad)));
  }
  if (name.empty()) {
    return Fail(error,
                fmt::format("{}: no file or module name before ':'", prefix));
  }

  MountTarget result;
  if (IsFileName(name)) {
    if (name.back() == '/') {
      return Fail(error, fmt::format("{}: file {} ends in '/' (a directory, "
                                     "not a file)",
                                     prefix, Quote(name)));
    }
    result.kind = MountTarget::Kind::kFile;
    result.file = std::string(name);
  } else {
    if (!IsDottedIdentifier(name, &bad)) {
      return Fail(error, fmt::format("{}: module name {} is not a dotted "
                                     "Python identifier ({})",
                                     prefix, Quote(name),
                                     DescribeBadPart(bad)));
    }
    result.kind = MountTarget::Kind::kModule;
    result.module = std::string(name);
  }
  result.callable = std::string(callable);
  *out = std::move(result);
  return true;
}

bool ParseMountSpec(std::string_view spec, std::string_view default_callable,
                    MountSpec* out, std::string* error) {
  if (spec.empty()) return Fail(error, "empty mount spec");
  const std::size_t eq = spec.find('=');
  const std::string_view mountpoint_text =
      eq == std::string_view::npos ? std::string_view() : spec.substr(0, eq);
  const std::string_view target_text =
      eq == std::string_view::npos ? spec : spec.substr(eq + 1);

  MountSpec result;
  std::string inner;
  if (!NormalizeMountpoint(mountpoint_text, &result.mountpoint, &inner) ||
      !ParseTarget(target_text, default_callable, &result.target, &inner)) {
    return Fail(error, fmt::format("mount {}: {}", Quote(spec), inner));
  }
  result.target_text = std::string(target_text);
  *out = std::move(result);
  return true;
}

}  // namespace subhost::mounts
