// EngineImpl: the mount table, one interpreter per mount, and the request path
// (check, decode, route, enter, call). The mount table is published in
// immutable generations so that the owner thread can mount, replace and
// unmount while other threads run requests.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "engine/log.h"
#include "engine/python/activation.h"
#include "engine/python/app_loader.h"
#include "engine/python/environ.h"
#include "engine/python/interpreter.h"
#include "engine/python/module.h"
#include "engine/python/postfork.h"
#include "engine/python/py_ref.h"
#include "engine/python/runtime.h"
#include "engine/python/wsgi_call.h"
#include "mounts/mount_spec.h"
#include "mounts/mount_table.h"
#include "subhost/engine.h"

namespace subhost {

namespace {

using python::Activation;
using python::Interpreter;
using python::PyRef;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The percent-decoded path: path itself when it has no escapes, else a
// decoding in *scratch. A '%' not followed by two hex digits stays as is.
std::string_view DecodePath(std::string_view path, std::string* scratch) {
  size_t first = path.find('%');
  if (first == std::string_view::npos) return path;
  scratch->assign(path.substr(0, first));
  for (size_t i = first; i < path.size(); ++i) {
    char c = path[i];
    if (c == '%' && i + 2 < path.size()) {
      int hi = HexValue(path[i + 1]), lo = HexValue(path[i + 2]);
      if (hi >= 0 && lo >= 0) {
        scratch->push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    scratch->push_back(c);
  }
  return *scratch;
}

// Collects a response in memory; never blocks, so the GIL stays held.
class BufferSink : public ResponseSink {
 public:
  explicit BufferSink(Response* r) : r_(r) {}
  bool Start(int status, std::string_view reason, Headers headers) override {
    r_->status = status;
    r_->reason.assign(reason);
    r_->headers = std::move(headers);
    return true;
  }
  bool Write(std::string_view chunk) override {
    r_->body.append(chunk);
    return true;
  }
  bool MayBlock() const override { return false; }

 private:
  Response* r_;
};

// RFC 9110 token characters: methods and header names.
constexpr std::array<bool, 256> kTokenChar = [] {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) {
    t[static_cast<unsigned char>(c)] = true;
  }
  return t;
}();

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (!kTokenChar[c]) return false;
  }
  return true;
}

// Field values and the path: no control bytes but HTAB (in values), which
// is what the HTTP front end lets through.
bool IsFieldValue(std::string_view s) {
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

bool IsRequestTarget(std::string_view s) {
  for (unsigned char c : s) {
    if (c <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

// Why the request cannot be handed to an app, or null when it can.
const char* RequestDefect(const Request& r) {
  if (!IsToken(r.method)) return "invalid method";
  if (!IsRequestTarget(r.path) || !IsRequestTarget(r.query)) {
    return "invalid request target";
  }
  for (const auto& [name, value] : r.headers) {
    if (!IsToken(name)) return "invalid header name";
    if (!IsFieldValue(value)) return "invalid header value";
  }
  return nullptr;
}

// The main interpreter is set up (sys.path, virtualenv) once, by the first
// engine that mounts an app in it, and outlives every engine: a later engine
// with other settings cannot have them there.
struct MainInterpreterSetup {
  std::mutex mu;
  bool done = false;  // guarded by mu
  std::vector<std::string> python_path;  // guarded by mu
  std::string virtualenv;  // guarded by mu
};

MainInterpreterSetup& MainSetup() {
  static MainInterpreterSetup* setup = new MainInterpreterSetup();
  return *setup;
}

// Tags the postfork hooks each engine's apps register, since the main
// interpreter (and its hook list) outlives any one engine.
std::atomic<std::uint64_t> next_engine_serial{1};

// One mount's app, or the failure that holds its mountpoint. Made and
// released on the owner thread; requests reach it through a published
// Routes, and it is never freed before the engine, so that a request that
// read an older Routes can still check `retired` safely.
struct MountRuntime {
  MountInfo info;
  // Set when the app failed to load: requests under the mountpoint get 503
  // with this body rather than reaching a shorter prefix's app.
  bool failed = false;
  std::string failure_body;
  Interpreter* interpreter = nullptr;
  std::unique_ptr<Interpreter> owned;  // its sub-interpreter; null in main
  python::ModuleState* state = nullptr;
  PyRef app;
  python::EnvironBuilder environ;
  // Requests inside the app now. A request counts itself in, then checks
  // `retired`; whoever retires the mount sets `retired`, then waits for
  // `inflight` to drop to 0 (both sequentially consistent, so that one of
  // the two always sees the other).
  std::atomic<int> inflight{0};
  std::atomic<bool> retired{false};
  bool released = false;  // owner thread: Python objects dropped, ended
  bool forget_hooks_at_release = true;  // owner thread
};

// One generation of routing, immutable once published. Generations are
// kept until the engine is destroyed (a request may still be reading an
// old one); each is a few hundred bytes per mount.
struct Routes {
  mounts::MountTable table;
  std::vector<MountRuntime*> by_id;  // null: unmounted
};

// How many Handle calls the calling thread is inside (of any engine): an
// owner thread inside one must not wait for a mount to drain, nor end an
// interpreter.
constinit thread_local int handle_depth = 0;

class EngineImpl final : public Engine {
 public:
  explicit EngineImpl(const Options& options)
      : options_(options),
        log_(options.log),
        owner_(std::this_thread::get_id()),
        serial_(next_engine_serial.fetch_add(1)) {
    generations_.push_back(std::make_unique<Routes>());
    routes_.store(generations_.back().get());
  }

  ~EngineImpl() override {
    if (!acquired_) return;  // Init failed before the runtime was touched
    bool on_owner = std::this_thread::get_id() == owner_;
    // Python objects may be dropped on any thread, each with its
    // interpreter entered through this thread's own thread state.
    int left_alive = 0;
    for (auto& m : runtimes_) {
      if (m->failed || m->released) continue;
      DropObjects(*m, /*forget_hooks=*/true);
      if (!m->owned) continue;
      if (on_owner) {
        m->owned->End(*main_);
        continue;
      }
      {
        Activation enter(*m->owned);
        m->owned->set_module(PyRef());
      }
      // Ending an interpreter off the thread that created it hangs (3.11)
      // or aborts: leave it alive, deliberately leaked.
      (void)m->owned.release();
      ++left_alive;
    }
    if (on_owner) {
      python::Runtime::Release();
      return;
    }
    // Still counted as a runtime user, so that the runtime is not finalized
    // under the interpreters left alive.
    log_.Error(fmt::format(
        "subhost: Engine destroyed off its owner thread: its apps are "
        "released, but its {} sub-interpreter(s) can only be ended on the "
        "thread that created them and stay alive until the process exits",
        left_alive));
  }

  // Everything that can be checked is checked before the process is
  // touched (the runtime started, the environment or cwd changed).
  Status Init() {
    if (options_.own_gil && !OwnGilSupported()) {
      return Status::Error(
          StatusCode::kInvalidArgument,
          fmt::format("own_gil needs CPython 3.13 or newer (this is {})",
                      PythonVersion()));
    }
    struct stat st;
    if (!options_.python_executable.empty() &&
        ::access(options_.python_executable.c_str(), X_OK) != 0) {
      return Status::Error(
          StatusCode::kNotFound,
          fmt::format("python_executable '{}' is not an executable file",
                      options_.python_executable));
    }
    if (!options_.virtualenv.empty() &&
        (::stat(options_.virtualenv.c_str(), &st) != 0 ||
         !S_ISDIR(st.st_mode))) {
      return Status::Error(
          StatusCode::kNotFound,
          fmt::format("virtualenv '{}' is not a directory",
                      options_.virtualenv));
    }
    if (!options_.chdir.empty() &&
        (::stat(options_.chdir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))) {
      return Status::Error(
          StatusCode::kNotFound,
          fmt::format("chdir '{}' is not a directory", options_.chdir));
    }
    for (const auto& kv : options_.env) {
      if (kv.first.empty() || kv.first.find('=') != std::string::npos ||
          kv.first.find('\0') != std::string::npos ||
          kv.second.find('\0') != std::string::npos) {
        return Status::Error(
            StatusCode::kInvalidArgument,
            fmt::format("env: '{}' is not a valid variable name", kv.first));
      }
    }
    if (options_.default_callable.empty()) {
      return Status::Error(StatusCode::kInvalidArgument,
                           "default_callable is empty");
    }
    // The libpython the dynamic linker gave us must be the version whose
    // headers subhost was compiled with.
    std::string_view runtime = Py_GetVersion();
    std::string built = fmt::format("{}.{}.", PY_MAJOR_VERSION,
                                    PY_MINOR_VERSION);
    if (!runtime.starts_with(built)) {
      return Status::Error(
          StatusCode::kUnavailable,
          fmt::format("the Python library loaded is {}, but subhost was "
                      "built against {}",
                      runtime.substr(0, runtime.find(' ')), PY_VERSION));
    }
    std::string running;
    std::string wanted = python::Runtime::Executable(options_.python_executable);
    if (python::Runtime::Started(&running) && running != wanted) {
      return Status::Error(
          StatusCode::kFailedPrecondition,
          fmt::format("python_executable '{}' differs from the running "
                      "Python runtime's '{}' (one runtime per process)",
                      wanted, running));
    }
    try {
      main_ = &python::Runtime::Acquire(options_.python_executable);
    } catch (const std::runtime_error& e) {
      return Status::Error(StatusCode::kUnavailable, e.what());
    }
    acquired_ = true;
    if (!options_.chdir.empty() && ::chdir(options_.chdir.c_str()) != 0) {
      return Status::Error(
          StatusCode::kNotFound,
          fmt::format("cannot chdir to '{}'", options_.chdir));
    }
    for (const auto& [k, v] : options_.env) ::setenv(k.c_str(), v.c_str(), 1);
    for (char** e = environ; *e != nullptr; ++e) {
      std::string_view kv(*e);
      size_t eq = kv.find('=');
      if (eq == std::string_view::npos) continue;
      initial_environ_.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
    if (options_.own_gil) {
      try {
        for (const std::string& line :
             python::Runtime::PrepareForOwnGil(*main_)) {
          log_.Warning(line);
        }
      } catch (const std::runtime_error& e) {
        return Status::Error(StatusCode::kUnavailable, e.what());
      }
    }
    return Status::Ok();
  }

  Status Mount(const std::string& mountpoint, const std::string& target,
               const MountOptions& mount_options) override {
    return Load("Mount", mountpoint, target, mount_options, /*replace=*/false);
  }

  Status Replace(const std::string& mountpoint, const std::string& target,
                 const MountOptions& mount_options) override {
    return Load("Replace", mountpoint, target, mount_options,
                /*replace=*/true);
  }

  Status Unmount(const std::string& mountpoint) override {
    if (std::this_thread::get_id() != owner_) {
      return Status::Error(StatusCode::kFailedPrecondition,
                           "Engine::Unmount called off the owner thread");
    }
    std::string canonical, error;
    if (!mounts::NormalizeMountpoint(mountpoint, &canonical, &error)) {
      return Status::Error(StatusCode::kInvalidArgument,
                           fmt::format("unmount '{}': {}", mountpoint, error));
    }
    MountRuntime* old = Find(canonical);
    if (old == nullptr) {
      return Status::Error(StatusCode::kNotFound,
                           fmt::format("unmount '{}': nothing is mounted there",
                                       canonical));
    }
    auto next = std::make_unique<Routes>();
    next->by_id = routes_.load()->by_id;
    next->by_id[static_cast<size_t>(old->info.id)] = nullptr;
    for (MountRuntime* m : next->by_id) {
      if (m != nullptr) next->table.Add(m->info.mountpoint, m->info.id);
    }
    Publish(std::move(next));
    Retire(old, /*forget_hooks=*/true);
    log_.Info(fmt::format("WSGI app {} (mountpoint='{}') unmounted",
                          old->info.id, canonical));
    return Status::Ok();
  }

  Response Handle(const Request& request) override {
    Response response;
    BufferSink sink(&response);
    RequestOutcome outcome = Run(request, sink, &response.mountpoint);
    response.mount_id = outcome.mount_id;
    response.result = outcome.result;
    return response;
  }

  RequestOutcome Handle(const Request& request, ResponseSink& sink) override {
    return Run(request, sink, nullptr);
  }

  std::vector<MountInfo> Mounts() const override {
    std::vector<MountInfo> out;
    for (const MountRuntime* m : routes_.load()->by_id) {
      if (m != nullptr && !m->failed) out.push_back(m->info);
    }
    return out;
  }

  std::vector<MountInfo> FailedMounts() const override {
    std::vector<MountInfo> out;
    for (const MountRuntime* m : routes_.load()->by_id) {
      if (m != nullptr && m->failed) out.push_back(m->info);
    }
    return out;
  }

  Status AfterFork() override {
    if (std::this_thread::get_id() != owner_) {
      return Status::Error(StatusCode::kFailedPrecondition,
                           "Engine::AfterFork called off the owner thread");
    }
    std::vector<std::string> failures;
    for (Interpreter* interp : InterpretersInUse()) {
      Activation enter(*interp);
      for (std::string& f : python::RunAfterFork(
               python::GetState(interp->module()), serial_, log_)) {
        failures.push_back(std::move(f));
      }
    }
    if (failures.empty()) return Status::Ok();
    return Status::Error(
        StatusCode::kPythonError,
        fmt::format("after fork: {}", fmt::join(failures, "; ")));
  }

 private:
  // The request path. mountpoint, when given, receives the mountpoint that
  // answered (or failed).
  RequestOutcome Run(const Request& request, ResponseSink& sink,
                     std::string* mountpoint) {
    if (const char* defect = RequestDefect(request)) {
      return Refuse(sink, RequestResult::kBadRequest, 400, "Bad Request",
                    fmt::format("400 Bad Request: {}\n", defect));
    }
    std::string scratch;
    std::string_view path = DecodePath(request.path, &scratch);
    MountRuntime* m;
    std::size_t script_name_length;
    for (;;) {
      const Routes* routes = routes_.load(std::memory_order_acquire);
      auto route = routes->table.Lookup(path);
      if (!route) {
        return Refuse(sink, RequestResult::kNoMount, 404, "Not Found",
                      "404 Not Found: no app is mounted here\n");
      }
      m = routes->by_id[static_cast<size_t>(route->id)];
      script_name_length = route->script_name_length;
      if (m->failed) {
        if (mountpoint != nullptr) *mountpoint = m->info.mountpoint;
        return Refuse(sink, RequestResult::kMountFailed, 503,
                      "Service Unavailable", m->failure_body);
      }
      m->inflight.fetch_add(1);
      if (!m->retired.load()) break;
      // Replaced or unmounted meanwhile: the next generation is already
      // published, since that happens before `retired` is set.
      m->inflight.fetch_sub(1);
    }
    struct Inside {
      MountRuntime* m;
      explicit Inside(MountRuntime* mount) : m(mount) { ++handle_depth; }
      ~Inside() {
        --handle_depth;
        m->inflight.fetch_sub(1);
      }
    } inside(m);
    if (mountpoint != nullptr) *mountpoint = m->info.mountpoint;
    python::MountContext ctx{m->app.get(), &m->environ, m->state, &log_,
                             &m->info.mountpoint};
    RequestOutcome outcome;
    {
      Activation enter(*m->interpreter);
      python::WsgiCall call(ctx, sink);
      outcome = call.Run(request, path.substr(script_name_length));
    }
    outcome.mount_id = m->info.id;
    if (outcome.app_error) {
      outcome.result = RequestResult::kAppError;
    } else if (!outcome.completed) {
      outcome.result = RequestResult::kClientGone;
    }
    return outcome;
  }

  // Mount (replace=false: the mountpoint must be free or hold a failure)
  // and Replace (replace=true: it must be taken). The new app loads while
  // the old one keeps serving; the switch is one pointer store.
  Status Load(const char* call, const std::string& mountpoint,
              const std::string& target, const MountOptions& mount_options,
              bool replace) {
    if (std::this_thread::get_id() != owner_) {
      return Status::Error(
          StatusCode::kFailedPrecondition,
          fmt::format("Engine::{} called off the owner thread", call));
    }
    ReapRetired();
    std::string error;
    std::string canonical;
    mounts::MountTarget parsed;
    if (!mounts::NormalizeMountpoint(mountpoint, &canonical, &error)) {
      return Status::Error(StatusCode::kInvalidArgument,
                           fmt::format("mount '{}': {}", mountpoint, error));
    }
    if (!mounts::ParseTarget(target, options_.default_callable, &parsed,
                             &error)) {
      return Status::Error(StatusCode::kInvalidArgument,
                           fmt::format("mount '{}': {}", canonical, error));
    }
    // "app.wsgi" reads as a module name too; as in uWSGI, an existing file
    // of that name wins.
    if (parsed.kind == mounts::MountTarget::Kind::kModule &&
        (target.ends_with(".wsgi") || target.ends_with(".py")) &&
        ::access(target.c_str(), R_OK) == 0) {
      parsed.kind = mounts::MountTarget::Kind::kFile;
      parsed.file = target;
      parsed.callable = options_.default_callable;
    }
    MountRuntime* existing = Find(canonical);
    if (!replace && existing != nullptr && !existing->failed) {
      return Status::Error(
          StatusCode::kAlreadyExists,
          fmt::format("mount '{}' is already mounted", canonical));
    }
    if (replace && existing == nullptr) {
      return Status::Error(
          StatusCode::kNotFound,
          fmt::format("replace '{}': nothing is mounted there", canonical));
    }
    auto start = std::chrono::steady_clock::now();
    bool use_main = options_.single_interpreter || mount_options.main_interpreter;
    if (use_main) {
      Status same = CheckMainSetup(canonical);
      if (!same.ok()) return same;
    }
    auto m = std::make_unique<MountRuntime>();
    m->info.id = existing != nullptr ? existing->info.id : NextId();
    m->info.mountpoint = canonical;
    m->info.target = target;
    m->interpreter = main_;
    if (!use_main) {
      m->owned = Interpreter::CreateSub(*main_, {options_.own_gil}, &error);
      if (!m->owned) {
        log_.Error(fmt::format("[mount '{}'] {}", canonical, error));
        return LoadFailed(std::move(m), existing, StatusCode::kUnavailable,
                          error);
      }
      m->interpreter = m->owned.get();
    }
    m->info.interpreter_id = m->interpreter->id();
    std::string failure;
    {
      Activation enter(*m->interpreter);
      failure = LoadInto(*m->interpreter, *m, parsed);
      if (!failure.empty()) {
        // What the app registered before failing must not run in workers
        // (this matters in the main interpreter, which lives on).
        if (m->state != nullptr) {
          python::ForgetHooks(m->state, serial_, &canonical);
        }
        m->app.reset();
        m->environ.Clear();
      }
    }
    if (!failure.empty()) {
      if (m->owned) m->owned->End(*main_);
      return LoadFailed(std::move(m), existing, StatusCode::kPythonError,
                        failure);
    }
    m->info.load_ms = std::chrono::duration<double, std::milli>(
                          std::chrono::steady_clock::now() - start)
                          .count();
    log_.Info(fmt::format(
        "WSGI app {} (mountpoint='{}') ready in {:.0f} ms on interpreter {} "
        "pid: {}{}{}",
        m->info.id, canonical, m->info.load_ms, m->info.interpreter_id,
        static_cast<int>(::getpid()),
        canonical.empty() ? " (default app)" : "",
        existing != nullptr && !existing->failed ? " (replacing the old one)"
                                                 : ""));
    Install(std::move(m), existing);
    return Status::Ok();
  }

  // A failed Mount keeps the mountpoint answering 503 (a failure replacing
  // a failure included); a failed Replace of a working app leaves it be.
  Status LoadFailed(std::unique_ptr<MountRuntime> m, MountRuntime* existing,
                    StatusCode code, const std::string& failure) {
    Status status = Status::Error(
        code, fmt::format("mount '{}': cannot load '{}': {}",
                          m->info.mountpoint, m->info.target, failure));
    if (existing != nullptr && !existing->failed) return status;
    m->failed = true;
    m->interpreter = nullptr;
    m->owned.reset();  // ended above, or never made
    m->app.reset();    // already empty: nothing Python is left
    m->info.interpreter_id = 0;
    m->failure_body = fmt::format(
        "503 Service Unavailable: the app at mount '{}' failed to load\n",
        m->info.mountpoint.empty() ? "/" : m->info.mountpoint);
    Install(std::move(m), existing);
    return status;
  }

  // Publishes a generation where m holds its id, then retires what held it.
  void Install(std::unique_ptr<MountRuntime> m, MountRuntime* existing) {
    const Routes* current = routes_.load();
    auto next = std::make_unique<Routes>();
    next->table = current->table;
    next->by_id = current->by_id;
    auto id = static_cast<size_t>(m->info.id);
    if (id >= next->by_id.size()) next->by_id.resize(id + 1, nullptr);
    next->by_id[id] = m.get();
    if (existing == nullptr) next->table.Add(m->info.mountpoint, m->info.id);
    // Old and new app both in the main interpreter: the new one registered
    // its postfork hooks under the same mountpoint, so the old app's stay
    // too (they cannot be told apart) rather than dropping the new app's.
    bool both_in_main = existing != nullptr && !existing->failed &&
                        existing->owned == nullptr && !m->failed &&
                        m->owned == nullptr;
    runtimes_.push_back(std::move(m));
    Publish(std::move(next));
    if (existing != nullptr) Retire(existing, !both_in_main);
  }

  void Publish(std::unique_ptr<Routes> next) {
    routes_.store(next.get());
    generations_.push_back(std::move(next));
  }

  // Takes a mount out of service: no new request enters it; once the last
  // one in it is done, its Python objects are dropped and its interpreter
  // ended, here on the owner thread. When this thread is itself inside a
  // Handle (a sink replacing a mount) it cannot wait: the mount is ended by
  // a later Mount, Replace, Unmount or the destructor.
  void Retire(MountRuntime* m, bool forget_hooks) {
    m->retired.store(true);
    if (m->failed) return;
    m->forget_hooks_at_release = forget_hooks;
    if (handle_depth > 0) {
      retired_.push_back(m);
      return;
    }
    while (m->inflight.load() != 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    Release(*m);
  }

  void ReapRetired() {
    if (handle_depth > 0) return;
    std::erase_if(retired_, [this](MountRuntime* m) {
      if (m->inflight.load() != 0) return false;
      Release(*m);
      return true;
    });
  }

  void Release(MountRuntime& m) {
    if (m.released || m.failed) return;
    DropObjects(m, m.forget_hooks_at_release);
    if (m.owned) m.owned->End(*main_);
    m.released = true;
  }

  void DropObjects(MountRuntime& m, bool forget_hooks) {
    Activation enter(*m.interpreter);
    if (forget_hooks) {
      if (m.owned) {
        python::ForgetHooks(m.state, serial_);
      } else {
        python::ForgetHooks(m.state, serial_, &m.info.mountpoint);
      }
    }
    m.app.reset();
    m.environ.Clear();
  }

  int NextId() const { return static_cast<int>(routes_.load()->by_id.size()); }

  // Each interpreter the mounts run in, once, in mount order.
  std::vector<Interpreter*> InterpretersInUse() const {
    std::vector<Interpreter*> out;
    for (const MountRuntime* m : routes_.load()->by_id) {
      if (m == nullptr || m->failed) continue;
      if (std::find(out.begin(), out.end(), m->interpreter) == out.end()) {
        out.push_back(m->interpreter);
      }
    }
    return out;
  }

  // The mount (loaded or failed) at a canonical mountpoint, or null.
  MountRuntime* Find(const std::string& canonical) const {
    for (MountRuntime* m : routes_.load()->by_id) {
      if (m != nullptr && m->info.mountpoint == canonical) return m;
    }
    return nullptr;
  }

  // The main interpreter keeps the python_path and virtualenv of the engine
  // that first set it up.
  Status CheckMainSetup(const std::string& canonical) {
    MainInterpreterSetup& setup = MainSetup();
    std::lock_guard<std::mutex> lock(setup.mu);
    if (!setup.done) {
      setup.done = true;
      setup.python_path = options_.python_path;
      setup.virtualenv = options_.virtualenv;
      return Status::Ok();
    }
    if (setup.python_path == options_.python_path &&
        setup.virtualenv == options_.virtualenv) {
      return Status::Ok();
    }
    return Status::Error(
        StatusCode::kFailedPrecondition,
        fmt::format("mount '{}': this engine's python_path and virtualenv "
                    "differ from those the main interpreter of the running "
                    "Python runtime was set up with; mount it in a "
                    "sub-interpreter",
                    canonical));
  }

  // Prepares (once) and loads into interp, which is entered. Returns the
  // failure summary, or empty on success.
  std::string LoadInto(Interpreter& interp, MountRuntime& m,
                       const mounts::MountTarget& target) {
    std::string prefix = fmt::format("[mount '{}'] ", m.info.mountpoint);
    auto fail = [&](python::ModuleState* st) {
      python::PyError err = python::FetchPendingError(st);
      std::string summary = err.summary;
      if (summary.find("interpreter") != std::string::npos ||
          summary.find("subinterp") != std::string::npos) {
        summary = fmt::format(
            "{} (this extension does not work in a sub-interpreter: mount it "
            "in the main interpreter)",
            summary);
      }
      log_.Error(fmt::format("{}cannot load '{}': {}", prefix, m.info.target,
                             summary));
      log_.Lines(LogLevel::kError, prefix, err.traceback);
      return summary;
    };
    if (interp.module() == nullptr) {
      PyRef module = PyRef::Steal(PyImport_ImportModule("_subhost"));
      if (!module) return fail(nullptr);
      python::InterpreterSetup setup{options_.python_path, options_.virtualenv,
                                     options_.blocked_extensions,
                                     interp.is_main(), &initial_environ_};
      if (!python::PrepareInterpreter(setup)) return fail(nullptr);
      interp.set_module(std::move(module));
    }
    m.state = python::GetState(interp.module());
    PyRef errors = PyRef::Steal(python::NewErrors(m.state, log_, prefix));
    if (!errors) return fail(m.state);
    if (!m.environ.Init(m.state, m.info.mountpoint, errors.get(),
                        {options_.multithread, options_.multiprocess})) {
      return fail(m.state);
    }
    if (!python::SetLoadingMount(m.state, m.info.mountpoint, serial_)) {
      return fail(m.state);
    }
    m.app = PyRef::Steal(python::LoadApp(target, &m.info.threads_at_load));
    if (!m.app) return fail(m.state);
    return {};
  }

  // An answer from the engine itself, without calling an app.
  RequestOutcome Refuse(ResponseSink& sink, RequestResult result, int status,
                        std::string_view reason, std::string_view body) {
    Headers headers = {{"Content-Type", "text/plain"},
                       {"Content-Length", fmt::format_int(body.size()).str()}};
    RequestOutcome outcome;
    outcome.status = status;
    outcome.result = result;
    bool ok = sink.Start(status, reason, std::move(headers)) &&
              sink.Write(body);
    outcome.completed = ok;
    if (ok) outcome.body_bytes = body.size();
    sink.Finish(ok);
    return outcome;
  }

  Options options_;
  Logger log_;
  std::thread::id owner_;
  std::uint64_t serial_;
  Interpreter* main_ = nullptr;
  bool acquired_ = false;  // main_ counts this engine as a runtime user
  // Owner thread only: every mount ever made, every generation published,
  // and the retired mounts a request may still be inside.
  std::vector<std::unique_ptr<MountRuntime>> runtimes_;
  std::vector<std::unique_ptr<Routes>> generations_;
  std::vector<MountRuntime*> retired_;
  // The generation requests route with.
  std::atomic<const Routes*> routes_{nullptr};
  // The C environment at Create, with Options::env applied.
  std::vector<std::pair<std::string, std::string>> initial_environ_;
};

}  // namespace

std::string PythonVersion() { return PY_VERSION; }

bool OwnGilSupported() { return PY_VERSION_HEX >= 0x030D0000; }

void SetProcessIdentity(int worker_id, int master_pid, int num_workers) {
  python::SetProcessIdentity({worker_id, master_pid, num_workers});
}

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid argument";
    case StatusCode::kNotFound: return "not found";
    case StatusCode::kAlreadyExists: return "already exists";
    case StatusCode::kPythonError: return "Python error";
    case StatusCode::kFailedPrecondition: return "failed precondition";
    case StatusCode::kUnavailable: return "unavailable";
    case StatusCode::kInternal: return "internal";
  }
  return "unknown";
}

Status Engine::Create(const Options& options, std::unique_ptr<Engine>* out) {
  auto engine = std::make_unique<EngineImpl>(options);
  Status s = engine->Init();
  if (!s.ok()) return s;
  *out = std::move(engine);
  return s;
}

std::unique_ptr<Engine> Engine::Create(const Options& options) {
  std::unique_ptr<Engine> engine;
  Status s = Create(options, &engine);
  if (!s.ok()) throw std::runtime_error(s.message());
  return engine;
}

}  // namespace subhost
