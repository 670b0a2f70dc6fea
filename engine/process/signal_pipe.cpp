#include "engine/process/signal_pipe.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

namespace subhost::process {

namespace {

int g_pipe[2] = {-1, -1};

extern "C" void WriteSignal(int sig) {
  int saved = errno;
  unsigned char byte = static_cast<unsigned char>(sig);
  ssize_t ignored = ::write(g_pipe[1], &byte, 1);
  (void)ignored;
  errno = saved;
}

}  // namespace

SignalPipe::SignalPipe(std::initializer_list<int> signals) {
  if (::pipe2(g_pipe, O_CLOEXEC) != 0) g_pipe[0] = g_pipe[1] = -1;
  sigset_t mask;
  sigemptyset(&mask);
  for (int sig : signals) {
    struct sigaction action {};
    action.sa_handler = WriteSignal;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    ::sigaction(sig, &action, nullptr);
    sigaddset(&mask, sig);
  }
  // What a master blocked for its signalfd stays blocked in a forked
  // worker (and in what it executes) unless released.
  for (int sig : {SIGCHLD, SIGUSR1, SIGUSR2, SIGTTIN, SIGTTOU}) {
    sigaddset(&mask, sig);
  }
  ::pthread_sigmask(SIG_UNBLOCK, &mask, nullptr);
}

SignalPipe::~SignalPipe() {
  // Handlers stay installed (a late signal must not kill the process
  // half-way through its shutdown); they write to a closed pipe harmlessly.
  if (g_pipe[1] >= 0) ::close(g_pipe[1]);
  if (g_pipe[0] >= 0) ::close(g_pipe[0]);
  g_pipe[0] = g_pipe[1] = -1;
}

int SignalPipe::Wait() {
  for (;;) {
    unsigned char byte = 0;
    ssize_t n = ::read(g_pipe[0], &byte, 1);
    if (n == 1) return byte;
    if (n < 0 && errno == EINTR) continue;
    return 0;
  }
}

void SignalPipe::Wake() { WriteSignal(0); }

}  // namespace subhost::process
