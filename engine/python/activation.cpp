#include "engine/python/activation.h"

#include "engine/python/interpreter.h"
#include "subhost/request.h"

namespace subhost::python {

namespace {
// This thread's attached thread state, as far as Activation knows. CPython
// 3.11 cannot tell: its "current thread state" is process-wide (whoever holds
// the GIL), so asking it from a thread without the GIL names another thread's.
thread_local PyThreadState* attached = nullptr;
}  // namespace

PyThreadState* CurrentThreadState() { return attached; }

Activation::Activation(Interpreter& interpreter) {
  Enter(interpreter.ThreadState());
}

Activation::Activation(PyThreadState* state) { Enter(state); }

void Activation::Enter(PyThreadState* state) {
  PyThreadState* current = CurrentThreadState();
  if (current == state) return;  // already inside: nothing to undo
  // One attached thread state per thread: leave the other interpreter first.
  if (current != nullptr) saved_ = PyEval_SaveThread();
  PyEval_RestoreThread(state);
  attached = state;
  entered_ = true;
}

Activation::~Activation() {
  if (!entered_) return;
  PyEval_SaveThread();
  attached = saved_;
  if (saved_ != nullptr) PyEval_RestoreThread(saved_);
}

}  // namespace subhost::python

namespace subhost {

WaitScope::WaitScope()
    : released_(python::CurrentThreadState() != nullptr ? PyEval_SaveThread()
                                                         : nullptr) {}

WaitScope::~WaitScope() {
  if (released_ != nullptr) {
    PyEval_RestoreThread(static_cast<PyThreadState*>(released_));
  }
}

}  // namespace subhost
