// subhost::Status: the outcome of an operation that can fail for an expected
// reason (a mount that does not load, a bad argument). Every call of the
// public API that can fail says so with a Status (Engine::Handle with a
// RequestOutcome); code() is what a caller branches on, message() what it
// logs. Cheap to copy when OK.
#ifndef SUBHOST_STATUS_H_
#define SUBHOST_STATUS_H_

#include <string>
#include <string_view>
#include <utility>

namespace subhost {

enum class StatusCode {
  kOk = 0,
  // An argument is malformed (a mountpoint, a target, an option).
  kInvalidArgument,
  // What the call names does not exist (a mount to replace or unmount, a
  // file, a virtualenv, a Python executable).
  kNotFound,
  // A mount is already at that mountpoint.
  kAlreadyExists,
  // Python code failed (an app that does not import, a hook that raised);
  // the traceback is in the log.
  kPythonError,
  // The call is not allowed in the current state (off the owner thread,
  // options that differ from those the running Python runtime started with).
  kFailedPrecondition,
  // The Python runtime or an interpreter could not be started.
  kUnavailable,
  // A bug in subhost.
  kInternal,
};

// "invalid argument" for kInvalidArgument, and so on.
std::string_view StatusCodeName(StatusCode code);

class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(StatusCode code, std::string message) {
    return Status(code, std::move(message));
  }
  // Kept for callers written before codes: kInternal.
  static Status Error(std::string message) {
    return Status(StatusCode::kInternal, std::move(message));
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  // Empty when ok(); otherwise one human-readable sentence (or a few lines when a
  // Python traceback summary is attached).
  const std::string& message() const { return message_; }

 private:
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

}  // namespace subhost

#endif  // SUBHOST_STATUS_H_
