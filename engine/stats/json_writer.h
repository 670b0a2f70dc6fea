// A compact JSON writer on fmt's memory buffer: it places the commas, so a
// renderer reads as the document's outline, and it keeps every string valid
// UTF-8 (invalid bytes become U+FFFD), as strict JSON parsers require.
//
// Thread contract: one writer per thread; no shared state.
#ifndef SUBHOST_ENGINE_STATS_JSON_WRITER_H_
#define SUBHOST_ENGINE_STATS_JSON_WRITER_H_

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace subhost::stats {

// Appends s as a JSON string literal.
void AppendJsonString(fmt::memory_buffer& out, std::string_view s);

class JsonWriter {
 public:
  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }

  // Keys are the document's own names, plain ASCII that needs no escape:
  // they are copied as they are.
  void Key(std::string_view key) {
    Separate();
    out_.push_back('"');
    out_.append(key);
    out_.append(std::string_view("\":"));
    after_key_ = true;
  }
  void String(std::string_view v) {
    BeforeValue();
    AppendJsonString(out_, v);
  }
  template <typename Integer>
  requires std::is_integral_v<Integer>
  void Number(Integer v) {
    BeforeValue();
    fmt::format_int text(v);
    out_.append(text.data(), text.data() + text.size());
  }

  // "key": value.
  void Field(std::string_view key, std::string_view v) {
    Key(key);
    String(v);
  }
  void Field(std::string_view key, const char* v) {
    Key(key);
    String(v);
  }
  template <typename Integer>
  requires std::is_integral_v<Integer>
  void Field(std::string_view key, Integer v) {
    Key(key);
    Number(v);
  }

  std::string Take() { return fmt::to_string(out_); }

 private:
  void Open(char bracket) {
    BeforeValue();
    out_.push_back(bracket);
    first_.push_back(true);
  }
  void Close(char bracket) {
    out_.push_back(bracket);
    first_.pop_back();
  }
  // A value right after its key needs no comma; any other element does,
  // unless it is the first in its container.
  void BeforeValue() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    Separate();
  }
  void Separate() {
    if (first_.empty()) return;
    if (!first_.back()) out_.push_back(',');
    first_.back() = false;
  }

  fmt::memory_buffer out_;
  std::vector<bool> first_;
  bool after_key_ = false;
};

}  // namespace subhost::stats

#endif  // SUBHOST_ENGINE_STATS_JSON_WRITER_H_
