// Printable: untrusted bytes made safe for a one-line log or error message.
#ifndef SUBHOST_ENGINE_NET_PRINTABLE_H_
#define SUBHOST_ENGINE_NET_PRINTABLE_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace subhost::net {

// The first `max` bytes of s, with quotes, backslashes and non-printable
// bytes as \xNN, and "..." when s was longer.
inline std::string Printable(std::string_view s, std::size_t max = 64) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s.substr(0, max)) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

}  // namespace subhost::net

#endif  // SUBHOST_ENGINE_NET_PRINTABLE_H_
