// The WSGI bridge's per-request half: WsgiCall runs one app call (environ,
// start_response, iteration, close) and hands the response to a
// ResponseSink; wsgi.input reads the RequestBody (request_body.h).
//
// Thread contract: both live on the stack of the thread running the request;
// every method needs the GIL of the mount's interpreter (held on entry).
#ifndef SUBHOST_ENGINE_PYTHON_WSGI_CALL_H_
#define SUBHOST_ENGINE_PYTHON_WSGI_CALL_H_

#include <Python.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/log.h"
#include "engine/python/environ.h"
#include "engine/python/module.h"
#include "engine/python/request_body.h"
#include "subhost/request.h"

namespace subhost::python {

// What a mount gives a call: its app and its interpreter's module state.
struct MountContext {
  PyObject* app;               // borrowed: the WSGI callable
  EnvironBuilder* environ;     // the mount's
  ModuleState* state;
  const Logger* logger;
  const std::string* mountpoint;
};

class WsgiCall {
 public:
  WsgiCall(const MountContext& mount, ResponseSink& sink);
  // Runs the app for request; path_info is the decoded path after the
  // mountpoint (SCRIPT_NAME is the mount's, in its environ template).
  RequestOutcome Run(const Request& request, std::string_view path_info);

  // start_response(status, headers, exc_info=None); returns write (new ref)
  // or null with an exception set.
  PyObject* StartResponse(PyObject* callable, PyObject* const* args,
                          Py_ssize_t nargs);
  // write(data): None (new ref) or null with an exception set.
  PyObject* Write(PyObject* data);

 private:
  bool SendHeaders();
  bool SendChunk(const char* data, size_t size);
  // How much of size bytes may still go out under the app's Content-Length
  // (body_bytes never passes body_limit_).
  std::uint64_t WithinDeclared(std::uint64_t size) {
    if (size <= body_limit_ - outcome_.body_bytes) return size;
    return CutToDeclared();
  }
  // The bytes left under the limit, logging (once) that the body is cut.
  std::uint64_t CutToDeclared();
  bool SendFileWrapper(PyObject* filelike, Py_ssize_t blksize, bool* handled);
  void LogAppError(std::string_view what);
  void FailResponse();

  MountContext mount_;
  ResponseSink& sink_;
  bool may_block_;
  bool status_set_ = false;
  bool headers_sent_ = false;
  bool peer_gone_ = false;
  bool overflow_logged_ = false;
  int status_ = 0;
  // The app's Content-Length, when it gave a valid one.
  static constexpr std::uint64_t kNoBodyLimit = ~std::uint64_t{0};
  std::uint64_t body_limit_ = kNoBodyLimit;
  std::string reason_;
  Headers headers_;
  RequestOutcome outcome_;
};

}  // namespace subhost::python

#endif  // SUBHOST_ENGINE_PYTHON_WSGI_CALL_H_
