// subhost::Engine: hosts WSGI apps, one isolated CPython sub-interpreter per
// mountpoint, and runs requests through them. No sockets: the caller brings
// the request and takes the response.
//
// Thread contract:
//  - Create, Mount and the destructor run on one thread, the owner thread (the
//    one that called Create). Sub-interpreters are created and ended there.
//  - Handle may be called from any number of threads at once, including the
//    owner, once the mounts it needs are in place. Each calling thread gets its
//    own Python thread state per interpreter, made lazily on that thread.
//  - Mount must not run while another thread is inside Handle.
//  - Destroy the Engine only after every Handle call has returned.
//  - The embedded Python runtime is process-wide: it starts with the first
//    Engine and is finalized at process exit (on the thread that started it).
//    Engines may be created and destroyed one after another; the Options that
//    configure the runtime itself (python_executable) take effect only once.
#ifndef SUBHOST_ENGINE_H_
#define SUBHOST_ENGINE_H_

#include <memory>
#include <string>
#include <vector>

#include "subhost/options.h"
#include "subhost/request.h"
#include "subhost/status.h"

namespace subhost {

struct MountInfo {
  int id = 0;
  std::string mountpoint;  // "" for the root mount
  std::string target;      // as given to Mount
  long interpreter_id = 0; // CPython's interpreter id (0 = main)
  double load_ms = 0;
};

// The version of the CPython subhost was built against ("3.11.2").
std::string PythonVersion();
// True when that CPython can give each sub-interpreter its own GIL (3.13+).
bool OwnGilSupported();

class Engine {
 public:
  // Starts the Python runtime if needed. Throws std::runtime_error when the
  // runtime cannot start or the options are invalid.
  static std::unique_ptr<Engine> Create(const Options& options);

  virtual ~Engine() = default;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Loads target ("app.py", "dir/app.wsgi", "pkg.mod", "pkg.mod:callable",
  // "pkg.mod:factory()") at mountpoint ("/", "" and "/api" style) in a new
  // sub-interpreter. A failure names the mount, the target and the Python
  // exception; the traceback goes to the log; other mounts are unaffected.
  virtual Status Mount(const std::string& mountpoint, const std::string& target,
                       const MountOptions& options = {}) = 0;

  // Runs one request through the mount whose mountpoint is the longest
  // whole-segment prefix of request.path, and returns the buffered response.
  // 404 when no mount matches; 500 (traceback in the log) when the app fails.
  virtual Response Handle(const Request& request) = 0;

  // Streaming form: hands status, headers and body chunks to sink as the app
  // produces them.
  virtual RequestOutcome Handle(const Request& request, ResponseSink& sink) = 0;

  virtual std::vector<MountInfo> Mounts() const = 0;

 protected:
  Engine() = default;
};

}  // namespace subhost

#endif  // SUBHOST_ENGINE_H_
