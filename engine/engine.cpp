// EngineImpl: the mount table, one interpreter per mount, and the request path
// (decode, route, enter, call).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>

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

// Tags the postfork hooks each engine's apps register, since the main
// interpreter (and its hook list) outlives any one engine.
std::atomic<std::uint64_t> next_engine_serial{1};

struct MountRuntime {
  MountInfo info;
  Interpreter* interpreter = nullptr;
  python::ModuleState* state = nullptr;
  PyRef app;
  python::EnvironBuilder environ;
};

class EngineImpl final : public Engine {
 public:
  explicit EngineImpl(const Options& options)
      : options_(options),
        log_(options.log),
        owner_(std::this_thread::get_id()),
        serial_(next_engine_serial.fetch_add(1)),
        main_(python::Runtime::Acquire(options.python_executable)) {}

  ~EngineImpl() override {
    if (std::this_thread::get_id() != owner_) {
      log_.Error("subhost: Engine destroyed off its owner thread; "
                 "interpreters are left running");
      return;
    }
    // Drop every Python object while its interpreter is entered, then end
    // the sub-interpreters on this (the creating) thread.
    for (auto& m : mounts_) {
      Activation enter(*m->interpreter);
      python::ForgetHooks(m->state, serial_);
      m->app.reset();
      m->environ.Clear();
    }
    for (auto& in : subs_) in->End(main_);
    python::Runtime::Release();
  }

  Status Init() {
    if (!options_.chdir.empty() && ::chdir(options_.chdir.c_str()) != 0) {
      return Status::Error(fmt::format("cannot chdir to '{}'", options_.chdir));
    }
    for (const auto& [k, v] : options_.env) ::setenv(k.c_str(), v.c_str(), 1);
    for (char** e = environ; *e != nullptr; ++e) {
      std::string_view kv(*e);
      size_t eq = kv.find('=');
      if (eq == std::string_view::npos) continue;
      initial_environ_.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
    if (options_.own_gil && !OwnGilSupported()) {
      return Status::Error(fmt::format(
          "own_gil needs CPython 3.13 or newer (this is {})", PythonVersion()));
    }
    if (options_.own_gil) {
      try {
        for (const std::string& line : python::Runtime::PrepareForOwnGil(main_)) {
          log_.Warning(line);
        }
      } catch (const std::runtime_error& e) {
        return Status::Error(e.what());
      }
    }
    return Status::Ok();
  }

  Status Mount(const std::string& mountpoint, const std::string& target,
               const MountOptions& mount_options) override {
    if (std::this_thread::get_id() != owner_) {
      return Status::Error("Engine::Mount called off the owner thread");
    }
    std::string error;
    std::string canonical;
    mounts::MountTarget parsed;
    if (!mounts::NormalizeMountpoint(mountpoint, &canonical, &error)) {
      return Status::Error(fmt::format("mount '{}': {}", mountpoint, error));
    }
    if (!mounts::ParseTarget(target, options_.default_callable, &parsed,
                             &error)) {
      return Status::Error(fmt::format("mount '{}': {}", canonical, error));
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
    if (HasMountpoint(canonical)) {
      return Status::Error(
          fmt::format("mount '{}' is already mounted", canonical));
    }
    auto start = std::chrono::steady_clock::now();
    bool use_main = options_.single_interpreter || mount_options.main_interpreter;
    std::unique_ptr<Interpreter> sub;
    Interpreter* interp = &main_;
    if (!use_main) {
      sub = Interpreter::CreateSub(main_, {options_.own_gil}, &error);
      if (!sub) {
        return Status::Error(fmt::format("mount '{}': {}", canonical, error));
      }
      interp = sub.get();
    }
    auto m = std::make_unique<MountRuntime>();
    m->info.id = static_cast<int>(mounts_.size());
    m->info.mountpoint = canonical;
    m->info.target = target;
    m->info.interpreter_id = interp->id();
    m->interpreter = interp;
    std::string failure;
    {
      Activation enter(*interp);
      failure = LoadInto(*interp, *m, parsed);
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
      if (sub) sub->End(main_);
      return Status::Error(fmt::format("mount '{}': cannot load '{}': {}",
                                       canonical, target, failure));
    }
    m->info.load_ms = std::chrono::duration<double, std::milli>(
                          std::chrono::steady_clock::now() - start)
                          .count();
    if (!table_.Add(canonical, m->info.id)) {
      // HasMountpoint ruled out a duplicate, so the table refusing it is a
      // bug; the app must not stay loaded where no request can reach it.
      {
        Activation enter(*interp);
        python::ForgetHooks(m->state, serial_, &canonical);
        m->app.reset();
        m->environ.Clear();
      }
      if (sub) sub->End(main_);
      return Status::Error(
          fmt::format("mount '{}': the mount table refused it", canonical));
    }
    log_.Info(fmt::format(
        "WSGI app {} (mountpoint='{}') ready in {:.0f} ms on interpreter {} "
        "pid: {}{}",
        m->info.id, canonical, m->info.load_ms, m->info.interpreter_id,
        static_cast<int>(::getpid()),
        canonical.empty() ? " (default app)" : ""));
    if (sub) subs_.push_back(std::move(sub));
    mounts_.push_back(std::move(m));
    return Status::Ok();
  }

  Response Handle(const Request& request) override {
    Response response;
    BufferSink sink(&response);
    RequestOutcome outcome = Handle(request, sink);
    response.mount_id = outcome.mount_id;
    if (outcome.mount_id >= 0) {
      response.mountpoint = mounts_[outcome.mount_id]->info.mountpoint;
    }
    return response;
  }

  RequestOutcome Handle(const Request& request, ResponseSink& sink) override {
    std::string scratch;
    std::string_view path = DecodePath(request.path, &scratch);
    auto route = table_.Lookup(path);
    if (!route) return NotFound(sink);
    MountRuntime& m = *mounts_[route->id];
    python::MountContext ctx{m.app.get(), &m.environ, m.state, &log_,
                             &m.info.mountpoint};
    RequestOutcome outcome;
    {
      Activation enter(*m.interpreter);
      python::WsgiCall call(ctx, sink);
      outcome = call.Run(request, path.substr(route->script_name_length));
    }
    outcome.mount_id = route->id;
    return outcome;
  }

  std::vector<MountInfo> Mounts() const override {
    std::vector<MountInfo> out;
    for (const auto& m : mounts_) out.push_back(m->info);
    return out;
  }

  Status AfterFork() override {
    if (std::this_thread::get_id() != owner_) {
      return Status::Error("Engine::AfterFork called off the owner thread");
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
        fmt::format("after fork: {}", fmt::join(failures, "; ")));
  }

 private:
  // Each interpreter the mounts run in, once, in mount order.
  std::vector<Interpreter*> InterpretersInUse() const {
    std::vector<Interpreter*> out;
    for (const auto& m : mounts_) {
      if (std::find(out.begin(), out.end(), m->interpreter) == out.end()) {
        out.push_back(m->interpreter);
      }
    }
    return out;
  }

  bool HasMountpoint(const std::string& canonical) const {
    for (const auto& m : mounts_) {
      if (m->info.mountpoint == canonical) return true;
    }
    return false;
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

  RequestOutcome NotFound(ResponseSink& sink) {
    static constexpr std::string_view kBody =
        "404 Not Found: no app is mounted here\n";
    Headers headers = {{"Content-Type", "text/plain"},
                       {"Content-Length", fmt::format_int(kBody.size()).str()}};
    RequestOutcome outcome;
    outcome.status = 404;
    bool ok = sink.Start(404, "Not Found", std::move(headers)) &&
              sink.Write(kBody);
    outcome.completed = ok;
    if (ok) outcome.body_bytes = kBody.size();
    sink.Finish(ok);
    return outcome;
  }

  Options options_;
  Logger log_;
  std::thread::id owner_;
  std::uint64_t serial_;
  Interpreter& main_;
  mounts::MountTable table_;
  std::vector<std::unique_ptr<MountRuntime>> mounts_;
  std::vector<std::unique_ptr<Interpreter>> subs_;
  // The C environment at Create, with Options::env applied.
  std::vector<std::pair<std::string, std::string>> initial_environ_;
};

}  // namespace

std::string PythonVersion() { return PY_VERSION; }

bool OwnGilSupported() { return PY_VERSION_HEX >= 0x030D0000; }

void SetProcessIdentity(int worker_id, int master_pid, int num_workers) {
  python::SetProcessIdentity({worker_id, master_pid, num_workers});
}

std::unique_ptr<Engine> Engine::Create(const Options& options) {
  auto engine = std::make_unique<EngineImpl>(options);
  Status s = engine->Init();
  if (!s.ok()) throw std::runtime_error(s.message());
  return engine;
}

}  // namespace subhost
