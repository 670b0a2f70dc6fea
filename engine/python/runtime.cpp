#include "engine/python/runtime.h"

#include <Python.h>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "engine/python/activation.h"
#include "engine/python/interpreter.h"
#include "engine/python/module.h"
#include "engine/python/py_ref.h"

#ifndef SUBHOST_PYTHON_EXECUTABLE
#define SUBHOST_PYTHON_EXECUTABLE "python3"
#endif

namespace subhost::python {

namespace {

struct RuntimeState {
  std::mutex mu;
  std::unique_ptr<Interpreter> main;  // guarded by mu
  std::thread::id init_thread;
  int users = 0;  // guarded by mu: engines alive
  bool datetime_in_main = false;  // guarded by mu: see PrepareForOwnGil
  std::string executable;  // guarded by mu: as given to the first Acquire
};

RuntimeState& State() {
  static RuntimeState* state = new RuntimeState();  // never destroyed
  return *state;
}

void FinalizeAtExit() {
  RuntimeState& rt = State();
  std::lock_guard<std::mutex> lock(rt.mu);
  if (!rt.main || rt.users > 0) return;  // sub-interpreters alive: skip
  if (std::this_thread::get_id() != rt.init_thread) return;
  rt.main->MarkDead();
  // This thread's thread-local cache is already gone: enter directly.
  PyEval_RestoreThread(rt.main->owner_state());
  Py_FinalizeEx();
  rt.main.release();  // its thread state went with the runtime
}

void Start(const std::string& executable) {
  if (PyImport_AppendInittab("_subhost", &InitSubhostModule) != 0) {
    throw std::runtime_error("cannot register the _subhost module");
  }
  PyConfig config;
  PyConfig_InitPythonConfig(&config);
  // The C++ side owns signals; Python's handlers would only run on the main
  // interpreter's main thread anyway.
  config.install_signal_handlers = 0;
  config.parse_argv = 0;
  config.user_site_directory = 0;
  std::string exe = Runtime::Executable(executable);
  PyStatus status =
      PyConfig_SetBytesString(&config, &config.program_name, exe.c_str());
  if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&config);
  PyConfig_Clear(&config);
  if (PyStatus_Exception(status)) {
    throw std::runtime_error(
        fmt::format("cannot start Python ({}): {}", exe,
                    status.err_msg ? status.err_msg : "unknown"));
  }
  PyThreadState* main_state = PyEval_SaveThread();
  State().main = Interpreter::ForMain(main_state);
  State().init_thread = std::this_thread::get_id();
  std::atexit(FinalizeAtExit);
}

}  // namespace

Interpreter& Runtime::Acquire(const std::string& python_executable) {
  RuntimeState& rt = State();
  std::lock_guard<std::mutex> lock(rt.mu);
  if (!rt.main) {
    if (Py_IsInitialized()) {
      throw std::runtime_error(
          "Python is already initialised in this process by someone else");
    }
    Start(python_executable);
    rt.executable = Executable(python_executable);
  }
  ++rt.users;
  return *rt.main;
}

void Runtime::Release() {
  RuntimeState& rt = State();
  std::lock_guard<std::mutex> lock(rt.mu);
  --rt.users;
}

std::string Runtime::Executable(const std::string& python_executable) {
  return python_executable.empty() ? SUBHOST_PYTHON_EXECUTABLE
                                   : python_executable;
}

bool Runtime::Started(std::string* python_executable) {
  RuntimeState& rt = State();
  std::lock_guard<std::mutex> lock(rt.mu);
  if (!rt.main) return false;
  *python_executable = rt.executable;
  return true;
}

std::vector<std::string> Runtime::PrepareForOwnGil(Interpreter& main) {
  std::vector<std::string> applied;
#if PY_VERSION_HEX >= 0x030D0000 && PY_VERSION_HEX < 0x030E0000
  // CPython 3.13's _datetime keeps static types whose per-interpreter parts
  // (tp_bases, tp_mro, the tp_dict constants) are made by the first
  // interpreter that imports it. When that is an own-GIL sub-interpreter,
  // those objects come from its own allocator, and ending the interpreters
  // later frees them through another one's: "free(): invalid pointer" and
  // SIGABRT at every stop once two own-GIL interpreters imported datetime
  // (python/cpython#136421 on import, #136423 on finalization). The fix
  // (gh-136583) makes the main interpreter set the types up at its start, and
  // is what this does by hand: import _datetime in the main interpreter
  // before any own-GIL one exists. The fix is in 3.14; it is not known here
  // to be in any 3.13.x, so every 3.13 gets the workaround.
  RuntimeState& rt = State();
  std::lock_guard<std::mutex> lock(rt.mu);
  if (rt.datetime_in_main) return applied;
  {
    Activation enter(main);
    PyRef module = PyRef::Steal(PyImport_ImportModule("_datetime"));
    if (!module) {
      PyErr_Clear();
      throw std::runtime_error(fmt::format(
          "cannot import _datetime in the main interpreter, which CPython {} "
          "needs before own-GIL sub-interpreters (python/cpython#136421)",
          Version()));
    }
  }
  rt.datetime_in_main = true;
  applied.push_back(fmt::format(
      "own-GIL workaround for CPython {}: _datetime imported in the main "
      "interpreter first (python/cpython#136421, #136423)",
      Version()));
#else
  (void)main;
#endif
  return applied;
}

std::string Runtime::Version() {
  std::string v = Py_GetVersion();
  return v.substr(0, v.find(' '));
}

}  // namespace subhost::python
