// subhost::Engine: hosts WSGI apps, one isolated CPython sub-interpreter per
// mountpoint, and runs requests through them. No sockets: the caller brings
// the request and takes the response.
//
// Thread contract:
//  - Create, Mount, Replace, Unmount and the destructor run on one thread,
//    the owner thread (the one that called Create); called elsewhere, Mount,
//    Replace and Unmount fail with kFailedPrecondition. Sub-interpreters are
//    created and ended there.
//  - Handle, Mounts and FailedMounts may be called from any number of
//    threads at once, including the owner, also while the owner runs Mount,
//    Replace or Unmount (live mounts: a request sees the mount table either
//    before or after the change, never a mix, and never a half-ended app).
//    Each calling thread gets its own Python thread state per interpreter,
//    made lazily on that thread.
//  - AfterFork runs on the owner thread too, in a forked worker, before any
//    Handle there (see AfterFork).
//  - Handle may be called from inside a ResponseSink or BodyReader call made
//    by Handle (a sub-request, to another mount or the same one), blocking
//    sink or not, inside a WaitScope or not.
//  - Destroy the Engine only after every Handle call has returned. Destroying
//    it on the owner thread ends its sub-interpreters; on any other thread it
//    releases its apps but cannot end them (CPython ends an interpreter only
//    on the thread that created it): it logs so, and they stay alive, idle,
//    until the process exits.
//  - The embedded Python runtime is process-wide: it starts with the first
//    Engine and is finalized at process exit (on the thread that started it).
//    Engines may be created and destroyed one after another. Options that
//    configure the runtime itself (python_executable) must match the running
//    runtime's, or Create fails with kFailedPrecondition; those of the main
//    interpreter (python_path, virtualenv) are checked by a Mount there.
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
  // The Python threads alive in the mount's interpreter right after its app
  // loaded, other than the loading thread and threads alive before the load
  // began (in the main interpreter, other mounts'): "Thread-1 (worker)
  // daemon ident=140211". A forked worker does not inherit them.
  std::vector<std::string> threads_at_load;
};

// The version of the CPython subhost was built against ("3.11.2").
std::string PythonVersion();
// True when that CPython can give each sub-interpreter its own GIL (3.13+).
bool OwnGilSupported();

// The process's place in a multi-process server, as the apps see it through
// subhost.worker_id(), subhost.masterpid(), subhost.num_workers() and their
// uWSGI spellings (uwsgi.worker_id(), uwsgi.masterpid(), uwsgi.numproc):
// worker_id is 1..N in a worker and 0 in a single-process server, master_pid
// 0 without a master, num_workers how many workers serve requests. Until
// called: 0, 0, 1. Process-wide, shared by every Engine and interpreter.
// Call before any request is handled: before the apps load in a lazy-apps
// worker, right after fork() in a prefork worker. Safe from any thread (the
// values are atomics), but a request running meanwhile may see either.
void SetProcessIdentity(int worker_id, int master_pid, int num_workers);

class Engine {
 public:
  // Checks options, then starts the Python runtime if needed, and sets
  // *engine. Nothing touches the process (runtime, environment, cwd) before
  // every option that can be checked is: kInvalidArgument (own_gil before
  // CPython 3.13, an empty default_callable, a bad env name), kNotFound (a
  // python_executable, virtualenv or chdir that does not exist),
  // kFailedPrecondition (a python_executable other than the running
  // runtime's: there is one runtime per process), kUnavailable (the runtime
  // cannot start, or the libpython loaded is not the version subhost was
  // built against).
  static Status Create(const Options& options, std::unique_ptr<Engine>* engine);
  // The same, throwing std::runtime_error with the Status's message.
  static std::unique_ptr<Engine> Create(const Options& options);

  virtual ~Engine() = default;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Loads target ("app.py", "dir/app.wsgi", "pkg.mod", "pkg.mod:callable",
  // "pkg.mod:factory()") at mountpoint ("/", "" and "/api" style) in a new
  // sub-interpreter. A failure names the mount, the target and the Python
  // exception; the traceback goes to the log; other mounts are unaffected.
  // Codes: kInvalidArgument (mountpoint or target malformed), kAlreadyExists,
  // kPythonError (the app did not load), kUnavailable (no sub-interpreter
  // could be made), kFailedPrecondition (off the owner thread; or a mount in
  // the main interpreter while this engine's python_path or virtualenv
  // differ from those the main interpreter was set up with by an earlier
  // engine). When the app does not load (kPythonError, kUnavailable), the
  // mountpoint stays taken by the failure: its requests are answered 503
  // with a body naming the mount, never by a shorter prefix's app, until a
  // later Mount at the same mountpoint loads.
  virtual Status Mount(const std::string& mountpoint, const std::string& target,
                       const MountOptions& options = {}) = 0;

  // Loads target in a new sub-interpreter (or the main one, per options) and
  // switches mountpoint to it once it has loaded; requests that already
  // entered the old app finish there, and the old interpreter is ended as
  // soon as the last of them is done (Replace waits for that, unless it is
  // called from inside a Handle, when the next Mount, Replace, Unmount or
  // the destructor ends it). No request fails or waits because of the
  // switch. If the new app does not load, the old one stays and the Status
  // says why (kPythonError, kUnavailable); kNotFound when nothing is
  // mounted at mountpoint. The mount keeps its id.
  virtual Status Replace(const std::string& mountpoint,
                         const std::string& target,
                         const MountOptions& options = {}) = 0;

  // Takes the mount at mountpoint (loaded or failed) out of service:
  // requests there route as if it had never been mounted. Waits for the
  // requests inside it, then ends its interpreter (see Replace for a call
  // from inside a Handle). kNotFound when nothing is mounted there.
  virtual Status Unmount(const std::string& mountpoint) = 0;

  // Runs one request through the mount whose mountpoint is the longest
  // whole-segment prefix of request.path, and returns the buffered response.
  // Response::result says how it ended: kBadRequest (400, the app not
  // called) when the method or a header name is not an HTTP token, or a
  // header value, the path or the query holds control bytes; kNoMount (404)
  // when no mount matches; kMountFailed (503) when the mount's app failed to
  // load; kAppError (500, traceback in the log) when the app raised.
  virtual Response Handle(const Request& request) = 0;

  // Streaming form: hands status, headers and body chunks to sink as the app
  // produces them. RequestOutcome::result as above, plus kClientGone when
  // the sink reported the peer gone.
  virtual RequestOutcome Handle(const Request& request, ResponseSink& sink) = 0;

  // The mounts whose app loaded.
  virtual std::vector<MountInfo> Mounts() const = 0;
  // The mountpoints held by an app that failed to load (answered 503);
  // interpreter_id and load_ms are 0.
  virtual std::vector<MountInfo> FailedMounts() const = 0;

  // Call once in a freshly forked worker process, on the owner thread,
  // before any Handle there: after fork() when the apps were loaded in the
  // parent (prefork), or after the worker loaded them itself (lazy apps).
  // No other thread may run Python code in the process meanwhile, and none
  // may have been running Python code in the parent at fork() (a lock held
  // then stays held in the child). In every
  // interpreter this engine's mounts use (the main one included, if a mount
  // runs there) it reseeds the module-level `random` generator from OS
  // entropy if that interpreter imported `random` (and `numpy.random`'s
  // likewise), since fork() gave every worker the same state; then it runs,
  // in registration order and in that interpreter, the hooks the apps
  // registered with @subhost.postfork or @uwsgidecorators.postfork. A hook
  // that raises is logged with its traceback, the others still run, and the
  // returned Status names each failing mount and exception; the engine stays
  // usable either way. It does not call PyOS_AfterFork_Child (fatal while
  // sub-interpreters exist), so os.register_at_fork() callbacks do not run.
  virtual Status AfterFork() = 0;

 protected:
  Engine() = default;
};

}  // namespace subhost

#endif  // SUBHOST_ENGINE_H_
