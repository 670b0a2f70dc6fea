#include "engine/server/named_thread.h"

#include <pthread.h>
#include <signal.h>

#include <utility>

namespace subhost::server {

NamedThread::NamedThread(std::string name)
    : name_(std::move(name)), thread_(name_) {}

NamedThread::~NamedThread() { Join(); }

void NamedThread::Start(std::function<void()> body) {
  body_ = std::move(body);
  started_ = true;
  // Poco's thread entry blocks SIGTERM, SIGQUIT and SIGPIPE, and a blocked
  // mask is inherited by what the thread executes: a subprocess an app
  // starts from a request thread would ignore Popen.terminate(). The new
  // thread takes its creator's mask instead, as a std::thread would.
  ::pthread_sigmask(SIG_SETMASK, nullptr, &creator_mask_);
  // start(Runnable&), not startFunc: the thread then holds no reference
  // counted copy of the body that two threads release.
  thread_.start(*this);
}

void NamedThread::run() {
  ::pthread_sigmask(SIG_SETMASK, &creator_mask_, nullptr);
  // Poco 1.11 names only its own Thread object; the OS name is ours to
  // set, from the thread itself.
  ::pthread_setname_np(::pthread_self(), name_.substr(0, 15).c_str());
  body_();
}

void NamedThread::Join() {
  if (!started_) return;
  thread_.join();
  started_ = false;
}

}  // namespace subhost::server
