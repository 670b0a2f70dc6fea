// Interpreter: owns one CPython interpreter (a sub-interpreter, or a handle on
// the main one) and the thread states that threads use to run code in it.
//
// Thread contract: Create and End run on the owner thread, with no thread
// state attached. ThreadState() may be called from any thread with no thread
// state of this interpreter attached; it returns that thread's own state,
// making it on first use (a thread state is never made on one thread for use
// on another: see CPYTHON.md). A thread that exits deletes its thread states
// of interpreters still alive.
#ifndef SUBHOST_ENGINE_PYTHON_INTERPRETER_H_
#define SUBHOST_ENGINE_PYTHON_INTERPRETER_H_

#include <Python.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/python/py_ref.h"

namespace subhost::python {

// The thread states of one interpreter made by threads other than its owner.
// Shared between the Interpreter and each thread's cache, so that whichever
// of thread exit and interpreter end comes first deletes them.
struct ThreadStateRegistry {
  std::mutex mu;
  bool alive = true;  // guarded by mu
  std::vector<PyThreadState*> states;  // guarded by mu
};

class Interpreter {
 public:
  struct Config {
    bool own_gil = false;
  };

  // Wraps the main interpreter; owner_state is the thread state of the thread
  // that initialised the runtime.
  static std::unique_ptr<Interpreter> ForMain(PyThreadState* owner_state);
  // Makes a new sub-interpreter on the calling (owner) thread. main is the
  // main interpreter's wrapper, entered for the creation. Returns null and sets
  // *error on failure.
  static std::unique_ptr<Interpreter> CreateSub(Interpreter& main,
                                                const Config& config,
                                                std::string* error);
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  // Ends a sub-interpreter: deletes every other thread state, then
  // Py_EndInterpreter on the owner thread. Call on the owner thread with no
  // thread state attached and no other thread running code in it. main is
  // needed on 3.11, where the shared GIL is handed back to it.
  void End(Interpreter& main);
  // For the main interpreter at finalization: stop deleting thread states on
  // thread exit.
  void MarkDead();

  PyThreadState* ThreadState();
  PyInterpreterState* state() const { return interp_; }
  // The thread state made with the interpreter, on the owner thread.
  PyThreadState* owner_state() const { return owner_state_; }
  std::int64_t id() const { return id_; }
  bool is_main() const { return is_main_; }
  bool own_gil() const { return own_gil_; }

  // The `_subhost` module of this interpreter (its state caches every Python
  // object the bridge reuses). Set once by the owner after creation.
  void set_module(PyRef module) { module_ = std::move(module); }
  PyObject* module() const { return module_.get(); }

 private:
  Interpreter() = default;
  std::uint64_t slot_ = 0;  // process-unique, never reused
  PyInterpreterState* interp_ = nullptr;
  PyThreadState* owner_state_ = nullptr;
  std::int64_t id_ = 0;
  bool is_main_ = false;
  bool own_gil_ = false;
  bool ended_ = false;
  std::shared_ptr<ThreadStateRegistry> registry_;
  PyRef module_;
};

}  // namespace subhost::python

#endif  // SUBHOST_ENGINE_PYTHON_INTERPRETER_H_
