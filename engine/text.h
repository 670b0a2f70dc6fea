// Small text helpers the whole engine shares: ASCII case-insensitive
// comparison (HTTP field names, uwsgi vars, config values) and checked number
// parsing. Locale-independent on purpose: HTTP and config text is ASCII.
#ifndef SUBHOST_ENGINE_TEXT_H_
#define SUBHOST_ENGINE_TEXT_H_

#include <charconv>
#include <optional>
#include <string_view>
#include <system_error>

namespace subhost::text {

constexpr char AsciiLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

// The whole of s as a number of type T, or nothing when s is empty, has any
// other character, or is out of T's range.
template <typename T>
std::optional<T> ParseNumber(std::string_view s) {
  T value{};
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, value);
  if (ec != std::errc() || ptr != end || s.empty()) return std::nullopt;
  return value;
}

}  // namespace subhost::text

#endif  // SUBHOST_ENGINE_TEXT_H_
