// The scoreboard in Prometheus' text exposition format 0.0.4.
//
// Thread contract: reads the scoreboard with relaxed loads only; any thread,
// any number at once.
#ifndef SUBHOST_ENGINE_STATS_PROMETHEUS_H_
#define SUBHOST_ENGINE_STATS_PROMETHEUS_H_

#include <string>

#include "engine/process/scoreboard.h"
#include "engine/stats/stats_context.h"

namespace subhost::stats {

// The Content-Type of RenderMetrics' text.
inline constexpr char kMetricsContentType[] =
    "text/plain; version=0.0.4; charset=utf-8";

// Per-mount request, exception and 5xx counters and latency histograms
// (summed over the slots in use), per-worker requests, busy, state, RSS and
// respawns, and master totals.
std::string RenderMetrics(process::Scoreboard& board,
                          const StatsContext& context);

}  // namespace subhost::stats

#endif  // SUBHOST_ENGINE_STATS_PROMETHEUS_H_
