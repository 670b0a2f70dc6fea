// subhost::Status: the outcome of an operation that can fail for an expected
// reason (a mount that does not load, a bad argument). Cheap to copy when OK.
#ifndef SUBHOST_STATUS_H_
#define SUBHOST_STATUS_H_

#include <string>
#include <utility>

namespace subhost {

class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(std::move(message)); }

  bool ok() const { return !failed_; }
  // Empty when ok(); otherwise one human-readable sentence (or a few lines when a
  // Python traceback summary is attached).
  const std::string& message() const { return message_; }

 private:
  explicit Status(std::string message)
      : failed_(true), message_(std::move(message)) {}
  bool failed_ = false;
  std::string message_;
};

}  // namespace subhost

#endif  // SUBHOST_STATUS_H_
