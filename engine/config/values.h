// Reading option values: booleans, integers and sizes, as the command line
// (strictly) and ini files (leniently, as uWSGI does) spell them.
#ifndef SUBHOST_ENGINE_CONFIG_VALUES_H_
#define SUBHOST_ENGINE_CONFIG_VALUES_H_

#include <cstdint>
#include <string_view>

namespace subhost::config {

std::string_view Trim(std::string_view s);
bool AllDigits(std::string_view s);

// true/false, yes/no, on/off, 1/0 in any case; "" is true.
bool ParseBool(std::string_view text, bool* out);

enum class NumberStatus { kOk, kNotANumber, kTooLarge };

// A decimal integer, optionally negative (kInt), or bytes with an optional
// K, M or G suffix, x1024 (kSize). With `rest` null the number must be all
// of text; otherwise it is the leading part (after blanks) and *rest gets
// what follows it, trimmed: uWSGI reads "32768  # larger" as 32768.
NumberStatus ParseInteger(std::string_view text, std::int64_t* out,
                          std::string_view* rest = nullptr);
NumberStatus ParseSize(std::string_view text, std::int64_t* out,
                       std::string_view* rest = nullptr);

}  // namespace subhost::config

#endif  // SUBHOST_ENGINE_CONFIG_VALUES_H_
