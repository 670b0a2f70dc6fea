#include "engine/config/values.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <system_error>

#include "engine/text.h"

namespace subhost::config {

namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Splits text into its leading number token and the rest; with rest null
// the token must be everything.
bool SplitNumber(std::string_view text, bool allow_suffix,
                 std::string_view* token, std::string_view* rest) {
  text = Trim(text);
  std::size_t end = 0;
  if (end < text.size() && text[end] == '-') ++end;
  while (end < text.size() && IsDigit(text[end])) ++end;
  if (allow_suffix && end < text.size() &&
      std::string_view("kKmMgG").find(text[end]) != std::string_view::npos) {
    ++end;
  }
  *token = text.substr(0, end);
  if (rest == nullptr) return end == text.size();
  *rest = Trim(text.substr(end));
  return true;
}

}  // namespace

std::string_view Trim(std::string_view s) {
  const auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
           c == '\v';
  };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsDigit);
}

bool ParseBool(std::string_view text, bool* out) {
  using text::EqualsIgnoreCase;
  for (std::string_view yes : {"", "true", "yes", "on", "1"}) {
    if (EqualsIgnoreCase(text, yes)) {
      *out = true;
      return true;
    }
  }
  for (std::string_view no : {"false", "no", "off", "0"}) {
    if (EqualsIgnoreCase(text, no)) {
      *out = false;
      return true;
    }
  }
  return false;
}

NumberStatus ParseInteger(std::string_view text, std::int64_t* out,
                          std::string_view* rest) {
  std::string_view token;
  if (!SplitNumber(text, false, &token, rest) || token.empty() ||
      token == "-") {
    return NumberStatus::kNotANumber;
  }
  const char* last = token.data() + token.size();
  auto [ptr, ec] = std::from_chars(token.data(), last, *out);
  if (ec == std::errc::result_out_of_range) return NumberStatus::kTooLarge;
  if (ec != std::errc() || ptr != last) return NumberStatus::kNotANumber;
  return NumberStatus::kOk;
}

NumberStatus ParseSize(std::string_view text, std::int64_t* out,
                       std::string_view* rest) {
  std::string_view token;
  if (!SplitNumber(text, true, &token, rest)) return NumberStatus::kNotANumber;
  std::int64_t multiplier = 1;
  if (!token.empty()) {
    switch (token.back()) {
      case 'k':
      case 'K':
        multiplier = std::int64_t{1} << 10;
        break;
      case 'm':
      case 'M':
        multiplier = std::int64_t{1} << 20;
        break;
      case 'g':
      case 'G':
        multiplier = std::int64_t{1} << 30;
        break;
      default:
        break;
    }
    if (multiplier != 1) token.remove_suffix(1);
  }
  if (!AllDigits(token)) return NumberStatus::kNotANumber;
  std::int64_t n = 0;
  NumberStatus status = ParseInteger(token, &n);
  if (status != NumberStatus::kOk) return status;
  if (n > kInt64Max / multiplier) return NumberStatus::kTooLarge;
  *out = n * multiplier;
  return NumberStatus::kOk;
}

}  // namespace subhost::config
