// Activation: the only code that enters and leaves an interpreter. While it
// lives, the calling thread holds that interpreter's GIL through its own
// thread state; on destruction it releases it and re-attaches whatever thread
// state the thread had before (another interpreter's, if any).
//
// Thread contract: construct and destroy on the same thread, strictly nested.
#ifndef SUBHOST_ENGINE_PYTHON_ACTIVATION_H_
#define SUBHOST_ENGINE_PYTHON_ACTIVATION_H_

#include <Python.h>

namespace subhost::python {

class Interpreter;

class Activation {
 public:
  explicit Activation(Interpreter& interpreter);
  // Enters with a given thread state of the calling thread.
  explicit Activation(PyThreadState* state);
  ~Activation();
  Activation(const Activation&) = delete;
  Activation& operator=(const Activation&) = delete;

 private:
  void Enter(PyThreadState* state);
  PyThreadState* saved_ = nullptr;
  bool entered_ = false;
};

// Releases the GIL of the current interpreter for a blocking call and takes it
// back on destruction. Requires an attached thread state. While released,
// CurrentThreadState() answers null, so that a WaitScope (or an Activation)
// run inside the blocking call sees that this thread holds no GIL.
class GilRelease {
 public:
  GilRelease();
  ~GilRelease();
  GilRelease(const GilRelease&) = delete;
  GilRelease& operator=(const GilRelease&) = delete;

 private:
  PyThreadState* state_;
};

// The calling thread's attached thread state, or null.
PyThreadState* CurrentThreadState();

}  // namespace subhost::python

#endif  // SUBHOST_ENGINE_PYTHON_ACTIVATION_H_
