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

// Runs once per interpreter. False with a Python exception set on failure.
bool PrepareInterpreter(const InterpreterSetup& setup);

// Imports the target and returns its callable (new reference), or null with
// a Python exception set (ImportError, SyntaxError, AttributeError...).
PyObject* LoadApp(const mounts::MountTarget& target);

}  // namespace subhost::python

#endif  // SUBHOST_ENGINE_PYTHON_APP_LOADER_H_
