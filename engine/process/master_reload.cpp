// The master's state machines for stopping and replacing workers: a
// shutdown (graceful or quick), a graceful reload (every worker finishes,
// then the master re-executes itself with its listeners), and a chain
// reload (one worker at a time, the next once its replacement accepts).
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "engine/process/master_internal.h"

namespace subhost::process {

void Master::StartShutdown(bool graceful) {
  if (phase_ == MasterPhase::kShuttingDown && graceful) return;
  phase_ = MasterPhase::kShuttingDown;
  chain_.clear();
  chain_slot_ = -1;
  for (size_t i = 0; i < workers_.size(); ++i) {
    workers_[i].respawn_at_ms = 0;
    AskToStop(static_cast<int>(i), StopReason::kStop,
              graceful ? SIGTERM : SIGINT);
  }
}

void Master::StartReload(const std::string& why) {
  if (phase_ != MasterPhase::kRunning) return;
  log_.Info(fmt::format(
      "{}: graceful reload: workers finish their requests, then the apps "
      "load afresh",
      why));
  phase_ = MasterPhase::kReloading;
  chain_.clear();
  chain_slot_ = -1;
  for (size_t i = 0; i < workers_.size(); ++i) {
    workers_[i].respawn_at_ms = 0;
    AskToStop(static_cast<int>(i), StopReason::kStop);
  }
}

void Master::StartChain(const std::string& why) {
  if (phase_ != MasterPhase::kRunning || chain_slot_ >= 0 || !chain_.empty()) {
    return;
  }
  log_.Info(fmt::format("{}: chain reload: replacing {} workers one at a time",
                        why, wanted_));
  if (engine_) {
    log_.Warning("chain reload in prefork mode: new workers are forked from "
                 "the master and run the code it loaded; use --lazy-apps "
                 "for changed code, or SIGHUP");
  }
  for (int i = 0; i < wanted_; ++i) chain_.push_back(i);
}

// One step of a chain reload: stop the next worker, and once its
// replacement accepts, go on to the one after.
void Master::AdvanceChain() {
  if (phase_ != MasterPhase::kRunning) return;
  if (chain_slot_ >= wanted_) chain_slot_ = -1;  // SIGTTOU took that slot
  if (chain_slot_ >= 0) {
    const WorkerProc& w = workers_[static_cast<size_t>(chain_slot_)];
    auto state =
        static_cast<WorkerState>(board_->worker(chain_slot_).state.load());
    bool replaced = w.pid > 0 && w.reason == StopReason::kNone &&
                    state == WorkerState::kAccepting;
    if (!replaced) return;
    log_.Info(fmt::format("chain reload: {} accepting", Name(chain_slot_)));
    chain_slot_ = -1;
  }
  while (!chain_.empty()) {
    int slot = chain_.front();
    chain_.pop_front();
    if (slot >= wanted_) continue;
    chain_slot_ = slot;
    if (workers_[static_cast<size_t>(slot)].pid > 0) {
      AskToStop(slot, StopReason::kReplace);
    } else {
      Spawn(slot);
    }
    return;
  }
}

void Master::Reexec() {
  // Only the listeners cross into the new master: descriptors apps or
  // extensions opened without O_CLOEXEC would otherwise pile up with each
  // reload.
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  listeners_.PrepareExec(cfg_);
  if (!start_dir_.empty() && ::chdir(start_dir_.c_str()) != 0) {
    log_.Warning(fmt::format("reload: cannot return to {}", start_dir_));
  }
  std::vector<char*> args;
  for (std::string& a : argv_) args.push_back(a.data());
  args.push_back(nullptr);
  // The program's path, not /proc/self/exe: a binary upgraded in place
  // is what a reload should run.
  log_.Info(fmt::format("reloading: executing {} again", executable_));
  std::fflush(nullptr);
  ::execv(executable_.c_str(), args.data());
  log_.Error(fmt::format(
      "reload failed: cannot execute {}: {}; serving on with new workers",
      executable_, std::strerror(errno)));
  listeners_.AbandonExec();
}

}  // namespace subhost::process
