// The `_subhost` extension module, built into the runtime and imported once
// per interpreter (multi-phase init, heap types): its state (module_state.h)
// holds every Python object the WSGI bridge reuses, so nothing Python lives
// in a static. It also backs the public `subhost` module and the uWSGI
// stand-ins (worker_id, masterpid, postfork...; see bootstrap.py), so the
// postfork hooks of an interpreter live in that interpreter's module state.
//
// This header also brings in the module's types (wsgi.input, wsgi.errors,
// start_response, wsgi.file_wrapper) and error formatting, each in its own
// file.
//
// Thread contract: every function here needs the GIL of the interpreter the
// module or object belongs to.
#ifndef SUBHOST_ENGINE_PYTHON_MODULE_H_
#define SUBHOST_ENGINE_PYTHON_MODULE_H_

#include <Python.h>

#include <cstdint>
#include <string>

#include "engine/python/errors_type.h"
#include "engine/python/file_wrapper_type.h"
#include "engine/python/input_type.h"
#include "engine/python/module_state.h"
#include "engine/python/py_error.h"
#include "engine/python/start_response_type.h"

namespace subhost::python {

// PyInit function registered with PyImport_AppendInittab.
PyObject* InitSubhostModule();

// The process's place in a multi-process server, read by worker_id(),
// masterpid() and num_workers() in every interpreter. Process-wide.
struct ProcessIdentity {
  int worker_id = 0;    // 1..N in a worker; 0 when single-process
  int master_pid = 0;   // 0 when there is no master
  int num_workers = 1;  // processes serving requests
};
void SetProcessIdentity(const ProcessIdentity& identity);

// Files the hooks registered from now on in st's interpreter under
// mountpoint and owner (an engine serial), and makes mountpoint what
// subhost.mountpoint answers there. False with a Python exception set.
bool SetLoadingMount(ModuleState* st, const std::string& mountpoint,
                     std::uint64_t owner);

}  // namespace subhost::python

#endif  // SUBHOST_ENGINE_PYTHON_MODULE_H_
