#include "engine/python/wsgi_call.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstring>

#include <fmt/format.h>

#include "engine/python/activation.h"
#include "engine/python/environ.h"
#include "engine/python/py_ref.h"
#include "engine/text.h"

namespace subhost::python {

namespace {

// Raises the TypeError or ValueError for a status or header item that
// Latin1Text refused.
[[gnu::cold, gnu::noinline]] void RaiseNotLatin1(PyObject* o,
                                                 const char* what) {
  if (!PyUnicode_Check(o)) {
    PyErr_Format(PyExc_TypeError, "%s must be str, not %.100s", what,
                 Py_TYPE(o)->tp_name);
  } else {
    PyErr_Format(PyExc_ValueError, "%s must be latin-1 text: %R", what, o);
  }
}

// Latin-1 text of a str (its 1-byte storage is exactly latin-1), or false
// with a TypeError or ValueError naming what. Called for every status and
// header item: the check is all that stays inline.
inline bool Latin1Text(PyObject* o, const char* what, std::string_view* out) {
  if (!PyUnicode_Check(o) || PyUnicode_KIND(o) != PyUnicode_1BYTE_KIND)
      [[unlikely]] {
    RaiseNotLatin1(o, what);
    return false;
  }
  *out = std::string_view(reinterpret_cast<const char*>(PyUnicode_DATA(o)),
                          static_cast<size_t>(PyUnicode_GET_LENGTH(o)));
  return true;
}

bool HasControl(std::string_view s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return true;
  }
  return false;
}

// RFC 9110 tchar, as a table: header names are checked on every response.
struct TokenTable {
  bool ok[256] = {};
  constexpr TokenTable() {
    for (int c = 33; c < 127; ++c) ok[c] = true;
    for (char c : std::string_view("()<>@,;:\\\"/[]?={}")) {
      ok[static_cast<unsigned char>(c)] = false;
    }
  }
};
constexpr TokenTable kToken;

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// Checked for every response header: the usual spelling costs one memcmp,
// any other one a case-insensitive compare.
bool IsContentLength(std::string_view name) {
  constexpr std::string_view kName = "Content-Length";
  if (name.size() != kName.size()) return false;
  return std::memcmp(name.data(), kName.data(), kName.size()) == 0 ||
         text::EqualsIgnoreCase(name, kName);
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (!kToken.ok[c]) return false;
  }
  return true;
}

}  // namespace

// ---- WsgiCall ---------------------------------------------------------------

WsgiCall::WsgiCall(const MountContext& mount, ResponseSink& sink)
    : mount_(mount), sink_(sink), may_block_(sink.MayBlock()) {}

PyObject* WsgiCall::StartResponse(PyObject* callable, PyObject* const* args,
                                  Py_ssize_t nargs) {
  if (nargs < 2 || nargs > 3) {
    PyErr_Format(PyExc_TypeError,
                 "start_response() takes 2 or 3 arguments (%zd given)", nargs);
    return nullptr;
  }
  PyObject* exc_info = nargs == 3 ? args[2] : Py_None;
  if (exc_info != Py_None) {
    if (headers_sent_) {
      // PEP 3333: too late to change the response; re-raise the app's error.
      if (!PyTuple_Check(exc_info) || PyTuple_GET_SIZE(exc_info) != 3) {
        PyErr_SetString(PyExc_TypeError, "exc_info must be a 3-tuple");
        return nullptr;
      }
      PyObject* value = PyTuple_GET_ITEM(exc_info, 1);
      if (value == Py_None) {
        PyErr_SetString(PyExc_RuntimeError,
                        "start_response called again after headers were sent");
        return nullptr;
      }
      PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(value)), value);
      return nullptr;
    }
  } else if (status_set_) {
    PyErr_SetString(PyExc_RuntimeError,
                    "start_response called twice without exc_info");
    return nullptr;
  }

  std::string_view status;
  if (!Latin1Text(args[0], "status", &status)) return nullptr;
  int code = 0;
  auto parsed = std::from_chars(status.data(), status.data() + status.size(),
                                code);
  if (status.size() < 4 || parsed.ptr != status.data() + 3 ||
      status[3] != ' ' || code < 100 || code > 999 || HasControl(status)) {
    PyErr_Format(PyExc_ValueError,
                 "status must look like '200 OK', got %R", args[0]);
    return nullptr;
  }
  PyObject* headers = args[1];
  if (!PyList_Check(headers)) {
    PyErr_Format(PyExc_TypeError, "headers must be a list, not %.100s",
                 Py_TYPE(headers)->tp_name);
    return nullptr;
  }
  Headers parsed_headers;
  std::uint64_t body_limit = kNoBodyLimit;
  Py_ssize_t count = PyList_GET_SIZE(headers);
  parsed_headers.reserve(static_cast<size_t>(count));
  for (Py_ssize_t i = 0; i < count; ++i) {
    PyObject* item = PyList_GET_ITEM(headers, i);
    if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
      PyErr_Format(PyExc_TypeError,
                   "each header must be a (name, value) tuple, got %R", item);
      return nullptr;
    }
    std::string_view name, value;
    if (!Latin1Text(PyTuple_GET_ITEM(item, 0), "header name", &name) ||
        !Latin1Text(PyTuple_GET_ITEM(item, 1), "header value", &value)) {
      return nullptr;
    }
    if (!IsToken(name)) {
      PyErr_Format(PyExc_ValueError, "invalid header name %R",
                   PyTuple_GET_ITEM(item, 0));
      return nullptr;
    }
    if (HasControl(value)) {
      PyErr_Format(PyExc_ValueError,
                   "header value for %R contains a control character",
                   PyTuple_GET_ITEM(item, 0));
      return nullptr;
    }
    if (IsContentLength(name)) {
      // An unparsable one is the sink's to judge; only a number binds here.
      if (auto n = text::ParseNumber<std::uint64_t>(TrimSpace(value))) {
        body_limit = *n;
      }
    }
    parsed_headers.emplace_back(name, value);
  }
  status_ = code;
  body_limit_ = body_limit;
  reason_.assign(status.substr(4));
  headers_ = std::move(parsed_headers);
  status_set_ = true;
  return Py_NewRef(callable);
}

bool WsgiCall::SendHeaders() {
  headers_sent_ = true;
  outcome_.status = status_;
  bool ok;
  if (may_block_) {
    GilRelease unlocked;
    ok = sink_.Start(status_, reason_, std::move(headers_));
  } else {
    ok = sink_.Start(status_, reason_, std::move(headers_));
  }
  if (!ok) peer_gone_ = true;
  return ok;
}

std::uint64_t WsgiCall::CutToDeclared() {
  std::uint64_t left = body_limit_ - outcome_.body_bytes;
  if (!overflow_logged_) {
    overflow_logged_ = true;
    mount_.logger->Warning(fmt::format(
        "[mount '{}'] the app sent more than its Content-Length of {} "
        "bytes: the rest is dropped",
        *mount_.mountpoint, body_limit_));
  }
  return left;
}

bool WsgiCall::SendChunk(const char* data, size_t size) {
  if (peer_gone_) return false;
  if (!headers_sent_ && !SendHeaders()) return false;
  size = static_cast<size_t>(WithinDeclared(size));
  if (size == 0) return true;
  bool ok;
  std::string_view chunk(data, size);
  if (may_block_) {
    GilRelease unlocked;
    ok = sink_.Write(chunk);
  } else {
    ok = sink_.Write(chunk);
  }
  if (!ok) {
    peer_gone_ = true;
    return false;
  }
  outcome_.body_bytes += size;
  return true;
}

PyObject* WsgiCall::Write(PyObject* data) {
  if (!status_set_) {
    PyErr_SetString(PyExc_RuntimeError, "write() before start_response()");
    return nullptr;
  }
  if (!PyBytes_Check(data)) {
    PyErr_Format(PyExc_TypeError, "write() takes bytes, not %.100s",
                 Py_TYPE(data)->tp_name);
    return nullptr;
  }
  if (PyBytes_GET_SIZE(data) > 0 &&
      !SendChunk(PyBytes_AS_STRING(data),
                 static_cast<size_t>(PyBytes_GET_SIZE(data)))) {
    PyErr_SetString(PyExc_OSError, "client disconnected");
    return nullptr;
  }
  Py_RETURN_NONE;
}

// Sends a wsgi.file_wrapper over a regular file with SendFile; *handled is
// false when the file has no usable descriptor (then it is iterated).
bool WsgiCall::SendFileWrapper(PyObject* filelike, Py_ssize_t, bool* handled) {
  *handled = false;
  PyRef fileno_fn =
      PyRef::Steal(PyObject_GetAttr(filelike, mount_.state->str_fileno));
  if (!fileno_fn) {
    PyErr_Clear();
    return true;
  }
  PyRef fd_obj = PyRef::Steal(PyObject_CallNoArgs(fileno_fn.get()));
  if (!fd_obj) {
    PyErr_Clear();
    return true;
  }
  long fd_number = PyLong_AsLong(fd_obj.get());
  if (fd_number == -1 && PyErr_Occurred()) {
    PyErr_Clear();
    return true;
  }
  if (fd_number < 0 || fd_number > INT_MAX) return true;
  int fd = static_cast<int>(fd_number);
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return true;
  // Buffered Python files may have read ahead: flush their view first by
  // asking for the logical position.
  PyRef tell = PyRef::Steal(PyObject_CallMethod(filelike, "tell", nullptr));
  long long position = tell ? PyLong_AsLongLong(tell.get()) : -1;
  off_t offset;
  if (position == -1 && PyErr_Occurred()) {
    // No usable position (tell() raised or answered no int): the
    // descriptor's own is the best guess.
    PyErr_Clear();
    offset = lseek(fd, 0, SEEK_CUR);
  } else {
    offset = static_cast<off_t>(position);
  }
  if (offset < 0) offset = 0;
  *handled = true;
  if (!headers_sent_ && !SendHeaders()) return false;
  std::uint64_t left_in_file =
      st.st_size > offset ? static_cast<std::uint64_t>(st.st_size - offset) : 0;
  std::uint64_t count = WithinDeclared(left_in_file);
  if (count == 0) return true;
  bool ok;
  if (may_block_) {
    GilRelease unlocked;
    ok = sink_.SendFile(fd, static_cast<std::uint64_t>(offset), count);
  } else {
    ok = sink_.SendFile(fd, static_cast<std::uint64_t>(offset), count);
  }
  if (!ok) {
    peer_gone_ = true;
    return false;
  }
  outcome_.body_bytes += count;
  return true;
}

void WsgiCall::LogAppError(std::string_view what) {
  PyError err = FetchPendingError(mount_.state);
  outcome_.app_error = true;
  std::string prefix = fmt::format("[mount '{}'] ", *mount_.mountpoint);
  mount_.logger->Error(fmt::format("{}{}: {}", prefix, what, err.summary));
  mount_.logger->Lines(LogLevel::kError, prefix, err.traceback);
}

void WsgiCall::FailResponse() {
  if (!headers_sent_) {
    static constexpr std::string_view kBody = "500 Internal Server Error\n";
    status_ = 500;
    reason_ = "Internal Server Error";
    headers_ = {{"Content-Type", "text/plain"},
                {"Content-Length", fmt::format_int(kBody.size()).str()}};
    body_limit_ = kBody.size();
    status_set_ = true;
    SendChunk(kBody.data(), kBody.size());
  } else {
    outcome_.completed = false;
  }
}

RequestOutcome WsgiCall::Run(const Request& request,
                             std::string_view path_info) {
  ModuleState* st = mount_.state;
  RequestBody body(request);
  // A fresh context per request: a ContextVar set by one request must not be
  // seen by the next one on this thread.
  PyRef context = PyRef::Steal(PyContext_New());
  if (!context || PyContext_Enter(context.get()) < 0) {
    LogAppError("cannot create a request context");
    FailResponse();
    sink_.Finish(false);
    return outcome_;
  }
  PyRef input = PyRef::Steal(mount_.environ->TakeInput(&body));
  PyRef start_response =
      PyRef::Steal(mount_.environ->TakeStartResponse(this));
  PyRef environ;
  if (input && start_response) {
    environ = PyRef::Steal(
        mount_.environ->Build(request, path_info, input.get()));
  }
  if (!environ) {
    LogAppError("cannot build the environ");
    FailResponse();
  } else {
    PyObject* args[] = {environ.get(), start_response.get()};
    PyRef result = PyRef::Steal(PyObject_Vectorcall(mount_.app, args, 2, nullptr));
    if (!result) {
      LogAppError("app raised");
      FailResponse();
    } else {
      bool failed = false;
      PyObject* filelike;
      Py_ssize_t blksize;
      bool handled = false;
      if (AsFileWrapper(st, result.get(), &filelike, &blksize)) {
        if (!status_set_) {
          PyErr_SetString(PyExc_RuntimeError,
                          "app returned without calling start_response");
          failed = true;
        } else {
          SendFileWrapper(filelike, blksize, &handled);
        }
      }
      if (!handled && !failed) {
        // Lists and tuples, the common case, are walked without an iterator.
        bool sequence = PyList_CheckExact(result.get()) ||
                        PyTuple_CheckExact(result.get());
        PyRef iter;
        if (!sequence) {
          iter = PyRef::Steal(PyObject_GetIter(result.get()));
          failed = !iter;
        }
        for (Py_ssize_t i = 0; !failed && !peer_gone_; ++i) {
          PyRef item;
          if (sequence) {
            if (i >= PySequence_Fast_GET_SIZE(result.get())) break;
            item = PyRef::Borrow(PySequence_Fast_GET_ITEM(result.get(), i));
          } else {
            item = PyRef::Steal(PyIter_Next(iter.get()));
            if (!item) {
              failed = PyErr_Occurred() != nullptr;
              break;
            }
          }
          if (!PyBytes_Check(item.get())) {
            PyErr_Format(PyExc_TypeError,
                         "the app yielded %.100s; body items must be bytes",
                         Py_TYPE(item.get())->tp_name);
            failed = true;
            break;
          }
          Py_ssize_t size = PyBytes_GET_SIZE(item.get());
          if (size == 0) continue;  // headers wait for the first real chunk
          if (!status_set_) {
            PyErr_SetString(PyExc_RuntimeError,
                            "the app yielded a body before start_response");
            failed = true;
            break;
          }
          SendChunk(PyBytes_AS_STRING(item.get()), static_cast<size_t>(size));
        }
      }
      if (!failed && !headers_sent_ && !peer_gone_) {
        if (status_set_) {
          SendHeaders();
        } else {
          PyErr_SetString(PyExc_RuntimeError,
                          "app returned without calling start_response");
          failed = true;
        }
      }
      if (failed) {
        LogAppError("app failed");
        FailResponse();
      }
      // close() exactly once, whatever happened above.
      if (!PyList_CheckExact(result.get()) && !PyTuple_CheckExact(result.get()) &&
          !PyBytes_CheckExact(result.get())) {
        PyRef close = PyRef::Steal(PyObject_GetAttr(result.get(), st->str_close));
        if (!close) {
          if (PyErr_ExceptionMatches(PyExc_AttributeError)) {
            PyErr_Clear();
          } else {
            LogAppError("looking up close() failed");
          }
        } else if (!PyRef::Steal(PyObject_CallNoArgs(close.get()))) {
          LogAppError("close() raised");
          FailResponse();
        }
      }
    }
  }
  if (peer_gone_) outcome_.completed = false;
  environ.reset();
  mount_.environ->Return(std::move(input), std::move(start_response));
  PyContext_Exit(context.get());
  if (!headers_sent_ && outcome_.status == 0) outcome_.status = status_;
  bool ok = outcome_.completed && !outcome_.app_error;
  sink_.Finish(ok || (headers_sent_ && outcome_.completed));
  return outcome_;
}

}  // namespace subhost::python
