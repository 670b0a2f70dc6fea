// Building the PEP 3333 environ for one mount.
//
// EnvironBuilder keeps the environ of the previous request ("pristine": it is
// never handed to an app) with the request fields it was made from. A new
// request overwrites only the fields that differ, then copies it: repeated
// values (Host, User-Agent, server and client address, protocol...) cost a
// compare, not a new str and a dict insert.
//
// Thread contract: every method needs the GIL of the mount's interpreter.
// Build may be re-entered from another thread if the GIL is dropped inside it
// (a finalizer run by the garbage collector); that call then builds from the
// template without touching the cache.
#ifndef SUBHOST_ENGINE_PYTHON_ENVIRON_H_
#define SUBHOST_ENGINE_PYTHON_ENVIRON_H_

#include <Python.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/python/module.h"
#include "engine/python/py_ref.h"
#include "subhost/request.h"

namespace subhost::python {

class RequestBody;
class WsgiCall;

struct EnvironFlags {
  bool multithread = true;
  bool multiprocess = false;
};

class EnvironBuilder {
 public:
  // False with a Python exception set.
  bool Init(ModuleState* st, std::string_view script_name, PyObject* errors,
            const EnvironFlags& flags);
  // A new environ (new reference), or null with an exception set. path_info
  // is already percent-decoded.
  PyObject* Build(const Request& request, std::string_view path_info,
                  PyObject* input);
  // Drops every Python reference.
  void Clear();

  // The per-request wsgi.input and start_response objects: a spare left by
  // an earlier request that nobody kept a reference to, or a new one.
  PyObject* TakeInput(RequestBody* body);
  PyObject* TakeStartResponse(WsgiCall* call);
  // Detaches them and keeps them as spares when nothing else holds them.
  void Return(PyRef input, PyRef start_response);

 private:
  // The request fields pristine_ was built from.
  struct Fields {
    std::string method, path, query, path_info, protocol, scheme, server_name,
        remote_addr;
    std::int32_t server_port = -1, remote_port = -1;
    std::int64_t content_length = -1;  // -1: no CONTENT_LENGTH
    Headers headers;
  };
  // The fields of a template copy (its placeholders); "\x01" never matches.
  static Fields Fresh();
  bool Update(PyObject* env, Fields* have, const Request& r,
              std::string_view path_info);

  ModuleState* st_ = nullptr;
  PyRef template_;
  PyRef pristine_;
  PyRef spare_input_;
  PyRef spare_start_response_;
  Fields fields_;
  bool busy_ = false;
};

}  // namespace subhost::python

#endif  // SUBHOST_ENGINE_PYTHON_ENVIRON_H_
