// Signals taken by a thread that waits for them, without blocking them.
//
// Blocking SIGTERM & co. in every thread and sigwait()ing for them is the
// usual pattern, but a blocked mask is inherited across fork and exec: a
// program an app starts with subprocess would then ignore its own
// Popen.terminate(). Instead, a handler writes the signal number into a
// pipe that one thread reads; handlers reset to the default at exec.
//
// Thread contract: one SignalPipe per process, made on the main thread
// before other threads start; Wait from one thread; Wake from any thread.
#ifndef SUBHOST_ENGINE_PROCESS_SIGNAL_PIPE_H_
#define SUBHOST_ENGINE_PROCESS_SIGNAL_PIPE_H_

#include <initializer_list>

namespace subhost::process {

class SignalPipe {
 public:
  // Installs handlers for signals and unblocks them (a forked worker
  // inherits its master's blocked mask).
  explicit SignalPipe(std::initializer_list<int> signals);
  ~SignalPipe();
  SignalPipe(const SignalPipe&) = delete;
  SignalPipe& operator=(const SignalPipe&) = delete;

  // The next signal caught, or 0 after Wake.
  int Wait();
  void Wake();
};

}  // namespace subhost::process

#endif  // SUBHOST_ENGINE_PROCESS_SIGNAL_PIPE_H_
