// How the stats renderers read the scoreboard: which slots and cores are in
// use, a worker's state, a mount's names. Internal to engine/stats.
//
// Thread contract: relaxed loads only; safe while workers update the board.
#ifndef SUBHOST_ENGINE_STATS_SCOREBOARD_READING_H_
#define SUBHOST_ENGINE_STATS_SCOREBOARD_READING_H_

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string_view>

#include "engine/process/scoreboard.h"
#include "engine/stats/stats_context.h"

namespace subhost::stats::reading {

inline constexpr auto kRelaxed = std::memory_order_relaxed;

// Slots the master actually uses: the scoreboard may be sized for more.
inline int SlotsInUse(const process::Scoreboard& board,
                      const StatsContext& context) {
  if (context.workers <= 0) return board.slots();
  return std::min(context.workers, board.slots());
}

inline int CoresInUse(const process::Scoreboard& board,
                      const StatsContext& context) {
  if (context.threads <= 0) return board.cores();
  return std::min(context.threads, board.cores());
}

inline process::WorkerState StateOf(const process::WorkerSlot& w) {
  return static_cast<process::WorkerState>(w.state.load(kRelaxed));
}

inline bool IsLive(const process::WorkerSlot& w) {
  return StateOf(w) != process::WorkerState::kFree;
}

inline std::string_view MountpointOf(const StatsContext& context, int app) {
  if (app < static_cast<int>(context.mounts.size())) {
    return context.mounts[static_cast<std::size_t>(app)].mountpoint;
  }
  return {};
}

inline std::string_view ChdirOf(const StatsContext& context, int app) {
  if (app < static_cast<int>(context.mounts.size())) {
    return context.mounts[static_cast<std::size_t>(app)].chdir;
  }
  return {};
}

// Whole seconds of a microsecond timestamp or duration (uWSGI reports these
// as integers).
inline std::int64_t Seconds(std::int64_t us) { return us / 1000000; }

}  // namespace subhost::stats::reading

#endif  // SUBHOST_ENGINE_STATS_SCOREBOARD_READING_H_
