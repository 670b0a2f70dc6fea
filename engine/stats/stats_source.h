// The documents the stats and metrics servers answer with, rendered on
// demand from the scoreboard and the master's latest published context.
//
// Thread contract: safe for concurrent use. The master calls Publish() from
// its loop whenever what it knows may have changed; server threads call
// StatsJson() / Metrics() at any time and never touch the master's own
// state. StatsJson() renders one at a time, because each render moves the
// workers' delta_requests marks.
#ifndef SUBHOST_ENGINE_STATS_STATS_SOURCE_H_
#define SUBHOST_ENGINE_STATS_STATS_SOURCE_H_

#include <memory>
#include <mutex>
#include <string>

#include "engine/process/scoreboard.h"
#include "engine/stats/stats_context.h"

namespace subhost::stats {

class StatsSource {
 public:
  // board must outlive this object and the servers that read it.
  explicit StatsSource(process::Scoreboard& board);

  void Publish(StatsContext context);
  std::string StatsJson();
  std::string Metrics();

 private:
  std::shared_ptr<const StatsContext> Context() const;

  process::Scoreboard& board_;
  mutable std::mutex context_mutex_;
  std::shared_ptr<const StatsContext> context_;  // guarded by context_mutex_
  std::mutex json_mutex_;  // held for a whole RenderStatsJson
};

}  // namespace subhost::stats

#endif  // SUBHOST_ENGINE_STATS_STATS_SOURCE_H_
