#include "engine/stats/json_writer.h"

namespace subhost::stats {

namespace {

// The length of the well-formed UTF-8 sequence at s[i], 0 if it is not one
// (overlong forms, surrogates and code points past U+10FFFF are rejected, as
// strict JSON parsers do).
std::size_t Utf8SequenceLength(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char lead = byte(i);
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // bounds for the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    n = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    n = 3;
    if (lead == 0xE0) lo = 0xA0;
    if (lead == 0xED) hi = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    n = 4;
    if (lead == 0xF0) lo = 0x90;
    if (lead == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

void Append(fmt::memory_buffer& out, std::string_view s) {
  out.append(s.data(), s.data() + s.size());
}

}  // namespace

// Paths and mountpoints are arbitrary bytes: invalid UTF-8 becomes U+FFFD so
// the document stays valid JSON.
void AppendJsonString(fmt::memory_buffer& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      std::size_t n = Utf8SequenceLength(s, i);
      if (n == 0) {
        Append(out, "\\ufffd");
        ++i;
      } else {
        Append(out, s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        Append(out, "\\\"");
        break;
      case '\\':
        Append(out, "\\\\");
        break;
      case '\n':
        Append(out, "\\n");
        break;
      case '\r':
        Append(out, "\\r");
        break;
      case '\t':
        Append(out, "\\t");
        break;
      case '\b':
        Append(out, "\\b");
        break;
      case '\f':
        Append(out, "\\f");
        break;
      default:
        if (c < 0x20) {
          Append(out, "\\u00");
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
}

}  // namespace subhost::stats
