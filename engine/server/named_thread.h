// NamedThread: a Poco::Thread whose name is also the OS thread's name, so
// that `top -H`, gdb and /proc show "subhost-req-3" or
// "subhost-housekeeper" (the kernel keeps the first 15 bytes).
//
// Thread contract: Start and Join from the thread that owns the object.
#ifndef SUBHOST_ENGINE_SERVER_NAMED_THREAD_H_
#define SUBHOST_ENGINE_SERVER_NAMED_THREAD_H_

#include <signal.h>

#include <functional>
#include <string>

#include <Poco/Runnable.h>
#include <Poco/Thread.h>

namespace subhost::server {

class NamedThread : private Poco::Runnable {
 public:
  explicit NamedThread(std::string name);
  ~NamedThread() override;  // joins a thread still running
  NamedThread(const NamedThread&) = delete;
  NamedThread& operator=(const NamedThread&) = delete;

  void Start(std::function<void()> body);
  void Join();
  const std::string& name() const { return name_; }

 private:
  void run() override;

  std::string name_;
  Poco::Thread thread_;
  std::function<void()> body_;
  bool started_ = false;  // and not yet joined
  sigset_t creator_mask_;
};

}  // namespace subhost::server

#endif  // SUBHOST_ENGINE_SERVER_NAMED_THREAD_H_
