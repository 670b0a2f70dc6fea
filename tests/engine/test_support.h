// Shared fixtures for engine tests: log capture, app paths, request helpers.
#ifndef SUBHOST_TESTS_ENGINE_TEST_SUPPORT_H_
#define SUBHOST_TESTS_ENGINE_TEST_SUPPORT_H_

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "subhost/engine.h"

namespace subhost::testing {

// Collects log lines; thread-safe.
class LogCapture {
 public:
  LogSink Sink() {
    return [this](LogLevel, std::string_view line) {
      std::lock_guard<std::mutex> lock(mu_);
      lines_.emplace_back(line);
    };
  }
  bool Contains(std::string_view needle) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& l : lines_) {
      if (l.find(needle) != std::string::npos) return true;
    }
    return false;
  }
  std::string All() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::string out;
    for (const auto& l : lines_) out.append(l).append("\n");
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

inline std::string App(const std::string& name) {
  return std::string(SUBHOST_TEST_APPS) + "/" + name;
}
inline std::string Sample(const std::string& name) {
  return std::string(SUBHOST_SAMPLES) + "/" + name;
}

inline std::unique_ptr<Engine> MakeEngine(LogCapture& log,
                                          Options options = {}) {
  options.log = log.Sink();
  return Engine::Create(options);
}

// Collects the body an app streams; may_block picks which of the engine's
// paths (GIL released around writes, or kept) the response takes.
class BodySink : public ResponseSink {
 public:
  explicit BodySink(bool may_block = false) : may_block_(may_block) {}
  bool Start(int, std::string_view, Headers) override { return true; }
  bool Write(std::string_view chunk) override {
    body.append(chunk);
    return true;
  }
  bool MayBlock() const override { return may_block_; }
  std::string body;

 private:
  bool may_block_;
};

inline Request Get(std::string path, std::string query = "") {
  Request r;
  r.path = std::move(path);
  r.query = std::move(query);
  r.headers = {{"Host", "example.test:8080"}};
  return r;
}

inline Request Post(std::string path, std::string body,
                    std::string query = "") {
  Request r = Get(std::move(path), std::move(query));
  r.method = "POST";
  r.body = std::move(body);
  return r;
}

// Polls cond until it holds or the deadline passes.
inline bool WaitUntil(const std::function<bool()>& cond, double seconds = 30) {
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::yield();
  }
  return cond();
}

// The raw text of "key": value in a flat JSON object (strings keep quotes).
inline std::string JsonField(const std::string& json, const std::string& key) {
  std::string needle = "\"" + key + "\": ";
  size_t at = json.find(needle);
  if (at == std::string::npos) return "<missing " + key + ">";
  at += needle.size();
  size_t end = at;
  if (json[at] == '"') {
    end = at + 1;
    while (end < json.size() && json[end] != '"') {
      if (json[end] == '\\') ++end;
      ++end;
    }
    ++end;
  } else {
    int depth = 0;
    while (end < json.size()) {
      char c = json[end];
      if (c == '[' || c == '{') ++depth;
      if (c == ']' || c == '}') {
        if (depth == 0) break;
        --depth;
      }
      if (c == ',' && depth == 0) break;
      ++end;
    }
  }
  return json.substr(at, end - at);
}

}  // namespace subhost::testing

#endif  // SUBHOST_TESTS_ENGINE_TEST_SUPPORT_H_
