// Runtime: the process-wide embedded CPython. Started once, by the first
// Engine, on that engine's owner thread; finalized at process exit on the
// same thread when no sub-interpreter is left (Py_FinalizeEx with one alive is
// fatal on 3.11/3.12).
//
// Thread contract: Acquire/Release are serialised by an internal mutex; the
// returned main Interpreter follows Interpreter's contract.
#ifndef SUBHOST_ENGINE_PYTHON_RUNTIME_H_
#define SUBHOST_ENGINE_PYTHON_RUNTIME_H_

#include <string>
#include <vector>

namespace subhost::python {

class Interpreter;

class Runtime {
 public:
  // Starts the runtime if needed (python_executable sets sys.executable and
  // the prefix search; empty: the build's interpreter). Counts one user of
  // sub-interpreters until Release. Throws std::runtime_error on failure.
  static Interpreter& Acquire(const std::string& python_executable);
  static void Release();
  // True when the runtime is running; *python_executable is then the one
  // it started with (see Executable).
  static bool Started(std::string* python_executable);
  // The executable a python_executable option names: itself, or the build's
  // interpreter when empty.
  static std::string Executable(const std::string& python_executable);
  // "3.11.2": the runtime's version, for logs.
  static std::string Version();
  // Works around the runtime's known bugs with own-GIL sub-interpreters before
  // the first one is created; idempotent. Returns a line for the log for each
  // workaround newly applied (empty when none was needed), or throws
  // std::runtime_error when one cannot be applied. Call with no thread state
  // attached.
  static std::vector<std::string> PrepareForOwnGil(Interpreter& main);
};

}  // namespace subhost::python

#endif  // SUBHOST_ENGINE_PYTHON_RUNTIME_H_
