// Loading a mount's app inside an interpreter, and preparing an interpreter
// for apps (sys.path, blocked extensions).
//
// Thread contract: call with the target interpreter entered (its GIL held).
#ifndef SUBHOST_ENGINE_PYTHON_APP_LOADER_H_
#define SUBHOST_ENGINE_PYTHON_APP_LOADER_H_

#include <Python.h>

#include <string>
#include <utility>
#include <vector>

#include "mounts/mount_spec.h"

namespace subhost::python {

struct InterpreterSetup {
  std::vector<std::string> python_path;
  std::string virtualenv;
  std::vector<std::string> blocked_extensions;  // ignored in the main one
  bool is_main = false;
  // The process environment from before any app loaded, given to each
  // sub-interpreter's os.environ; null keeps the current one.
  const std::vector<std::pair<std::string, std::string>>* environ = nullptr;
};

// Runs once per interpreter, after `_subhost` is imported there: sets up
// sys.path, blocked extensions, and the modules apps import from the server
// (`subhost` always; `uwsgi` and `uwsgidecorators` when no real ones can be
// imported). False with a Python exception set on failure.
bool PrepareInterpreter(const InterpreterSetup& setup);

// Imports the target and returns its callable (new reference), or null with
// a Python exception set (ImportError, SyntaxError, AttributeError...).
// Appends to *threads_started the Python threads the import started and
// left running ("Thread-1 (worker) daemon ident=1402"), other than the
// calling thread.
PyObject* LoadApp(const mounts::MountTarget& target,
                  std::vector<std::string>* threads_started);

}  // namespace subhost::python

#endif  // SUBHOST_ENGINE_PYTHON_APP_LOADER_H_
