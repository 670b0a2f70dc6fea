#include "engine/server/named_thread.h"

#include <pthread.h>

#include <utility>

namespace subhost::server {

NamedThread::NamedThread(std::string name)
    : name_(std::move(name)), thread_(name_) {}

NamedThread::~NamedThread() { Join(); }

void NamedThread::Start(std::function<void()> body) {
  body_ = std::move(body);
  started_ = true;
  thread_.startFunc([this] {
    // Poco 1.11 names only its own Thread object; the OS name is ours to
    // set, from the thread itself.
    ::pthread_setname_np(::pthread_self(), name_.substr(0, 15).c_str());
    body_();
  });
}

void NamedThread::Join() {
  if (!started_) return;
  thread_.join();
  started_ = false;
}

}  // namespace subhost::server
