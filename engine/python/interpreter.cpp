#include "engine/python/interpreter.h"

#include <atomic>
#include <utility>

#include <fmt/format.h>

#include "engine/python/activation.h"

namespace subhost::python {

namespace {

std::atomic<std::uint64_t> next_slot{1};

// Each thread's thread states, indexed by interpreter slot. Slots are never
// reused, so a stale entry (its interpreter ended) is never looked up again.
class ThreadCache {
 public:
  struct Entry {
    PyThreadState* state = nullptr;
    std::shared_ptr<ThreadStateRegistry> registry;  // null: not ours to delete
  };

  Entry* Find(std::uint64_t slot) {
    return slot < entries_.size() && entries_[slot].state ? &entries_[slot]
                                                          : nullptr;
  }
  void Put(std::uint64_t slot, Entry entry) {
    if (slot >= entries_.size()) entries_.resize(slot + 1);
    entries_[slot] = std::move(entry);
  }

  // Deletes this thread's states of interpreters that are still alive.
  ~ThreadCache() {
    for (Entry& e : entries_) {
      if (!e.state || !e.registry) continue;
      std::lock_guard<std::mutex> lock(e.registry->mu);
      if (!e.registry->alive) continue;
      auto& states = e.registry->states;
      for (size_t i = 0; i < states.size(); ++i) {
        if (states[i] != e.state) continue;
        states[i] = states.back();
        states.pop_back();
        break;
      }
      PyEval_RestoreThread(e.state);
      PyThreadState_Clear(e.state);
      PyThreadState_DeleteCurrent();
    }
  }

 private:
  std::vector<Entry> entries_;
};

thread_local ThreadCache thread_cache;

}  // namespace

std::unique_ptr<Interpreter> Interpreter::ForMain(PyThreadState* owner_state) {
  std::unique_ptr<Interpreter> in(new Interpreter());
  in->slot_ = next_slot.fetch_add(1);
  in->interp_ = owner_state->interp;
  in->owner_state_ = owner_state;
  in->id_ = 0;
  in->is_main_ = true;
  in->registry_ = std::make_shared<ThreadStateRegistry>();
  thread_cache.Put(in->slot_, {owner_state, nullptr});
  return in;
}

std::unique_ptr<Interpreter> Interpreter::CreateSub(Interpreter& main,
                                                    const Config& config,
                                                    std::string* error) {
  // Creating needs the main interpreter's GIL; on return the new thread state
  // is attached (holding the new interpreter's GIL) and main's is detached.
  PyEval_RestoreThread(main.ThreadState());
  PyThreadState* created = nullptr;
#if PY_VERSION_HEX >= 0x030C0000
  PyInterpreterConfig cfg = {};
  cfg.use_main_obmalloc = config.own_gil ? 0 : 1;
  cfg.allow_fork = config.own_gil ? 0 : 1;
  cfg.allow_exec = config.own_gil ? 0 : 1;
  cfg.allow_threads = 1;
  cfg.allow_daemon_threads = config.own_gil ? 0 : 1;
  cfg.check_multi_interp_extensions = config.own_gil ? 1 : 0;
  cfg.gil = config.own_gil ? PyInterpreterConfig_OWN_GIL
                           : PyInterpreterConfig_SHARED_GIL;
  PyStatus status = Py_NewInterpreterFromConfig(&created, &cfg);
  if (PyStatus_Exception(status)) {
    *error = fmt::format("cannot create a sub-interpreter: {}",
                         status.err_msg ? status.err_msg : "unknown error");
    // On failure the main thread state is current again.
    PyEval_SaveThread();
    return nullptr;
  }
#else
  if (config.own_gil) {
    *error = "own-GIL sub-interpreters need CPython 3.13 or newer";
    PyEval_SaveThread();
    return nullptr;
  }
  created = Py_NewInterpreter();
  if (created == nullptr) {
    *error = "Py_NewInterpreter failed";
    PyThreadState_Swap(main.ThreadState());
    PyEval_SaveThread();
    return nullptr;
  }
#endif
  std::unique_ptr<Interpreter> in(new Interpreter());
  in->slot_ = next_slot.fetch_add(1);
  in->interp_ = created->interp;
  in->owner_state_ = created;
  in->id_ = PyInterpreterState_GetID(created->interp);
  in->own_gil_ = config.own_gil;
  in->registry_ = std::make_shared<ThreadStateRegistry>();
  thread_cache.Put(in->slot_, {created, nullptr});
  // Shutdown relies on threading.main_thread() being the owner thread.
  if (!PyRef::Steal(PyImport_ImportModule("threading"))) PyErr_Clear();
  PyEval_SaveThread();
  return in;
}

PyThreadState* Interpreter::ThreadState() {
  if (ThreadCache::Entry* e = thread_cache.Find(slot_)) return e->state;
  std::lock_guard<std::mutex> lock(registry_->mu);
  PyThreadState* state = PyThreadState_New(interp_);
  registry_->states.push_back(state);
  thread_cache.Put(slot_, {state, registry_});
  return state;
}

void Interpreter::MarkDead() {
  std::lock_guard<std::mutex> lock(registry_->mu);
  registry_->alive = false;
  registry_->states.clear();
}

void Interpreter::End(Interpreter& main) {
  if (is_main_ || ended_) return;
  ended_ = true;
  std::lock_guard<std::mutex> lock(registry_->mu);
  registry_->alive = false;
  PyEval_RestoreThread(owner_state_);
  module_.reset();
  // Py_EndInterpreter aborts while another thread state of the interpreter
  // exists: delete those that threads made and have not yet deleted.
  for (PyThreadState* s : registry_->states) {
    PyThreadState_Clear(s);
    PyThreadState_Delete(s);
  }
  registry_->states.clear();
  Py_EndInterpreter(owner_state_);
#if PY_VERSION_HEX < 0x030C0000
  // 3.11 leaves the shared GIL held with no thread state: hand it to main's.
  PyThreadState_Swap(main.ThreadState());
  PyEval_SaveThread();
#else
  (void)main;
#endif
}

Interpreter::~Interpreter() = default;

}  // namespace subhost::python
