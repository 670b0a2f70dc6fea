#include "engine/python/activation.h"

#include "engine/python/interpreter.h"
#include "subhost/request.h"

namespace subhost::python {

// This thread's attached thread state, as far as Activation knows. CPython
// 3.11 cannot tell: its "current thread state" is process-wide (whoever holds
// the GIL), so asking it from a thread without the GIL names another thread's.
// GilRelease and WaitScope clear it while the GIL is given up.
namespace {
constinit thread_local PyThreadState* attached = nullptr;
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

GilRelease::GilRelease() : state_(PyEval_SaveThread()) { attached = nullptr; }

GilRelease::~GilRelease() {
  PyEval_RestoreThread(state_);
  attached = state_;
}

Activation::~Activation() {
  if (!entered_) return;
  PyEval_SaveThread();
  attached = saved_;
  if (saved_ != nullptr) PyEval_RestoreThread(saved_);
}

}  // namespace subhost::python

namespace subhost {

// The thread-local bookkeeping follows the release, so that a nested
// WaitScope, or a GilRelease/Activation under it, never releases a GIL this
// thread no longer holds.
WaitScope::WaitScope() : released_(nullptr) {
  if (python::attached == nullptr) return;
  released_ = PyEval_SaveThread();
  python::attached = nullptr;
}

WaitScope::~WaitScope() {
  if (released_ == nullptr) return;
  auto* state = static_cast<PyThreadState*>(released_);
  PyEval_RestoreThread(state);
  python::attached = state;
}

}  // namespace subhost
