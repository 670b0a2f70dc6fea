// uWSGI's stats document (the shape uwsgitop and other uWSGI tools read; see
// COMPAT.md, "Stats server"), rendered from the scoreboard.
//
// Thread contract: reads the scoreboard with relaxed loads and may run while
// workers update it, but also writes the delta_requests bookkeeping: one
// render at a time (StatsSource serializes them).
#ifndef SUBHOST_ENGINE_STATS_STATS_JSON_H_
#define SUBHOST_ENGINE_STATS_STATS_JSON_H_

#include <string>

#include "engine/process/scoreboard.h"
#include "engine/stats/stats_context.h"

namespace subhost::stats {

// uWSGI's stats JSON (compact, valid UTF-8). Lists live workers only
// (state != kFree) and, per worker, only the apps it has loaded. Updates
// each listed worker's delta_requests / requests_at_last_read, so
// delta_requests is the count since the previous render.
std::string RenderStatsJson(process::Scoreboard& board,
                            const StatsContext& context);

}  // namespace subhost::stats

#endif  // SUBHOST_ENGINE_STATS_STATS_JSON_H_
