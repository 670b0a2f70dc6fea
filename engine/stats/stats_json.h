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
//
// Written with fmt into one buffer rather than built as a Poco::JSON tree:
// fmt is about 20 times faster. Same document, 4 threads and 4 mounts per
// worker, CPU time per render (BM_StatsJson_Fmt and BM_StatsJson_PocoJson
// in benchmarks/micro/stats_json_benchmark.cpp, RelWithDebInfo, 2 cores at
// 2.5 GHz): 1 worker 3.8 us vs 90 us, 8 workers 25 us vs 520 us, 64 workers
// 0.26 ms vs 4.5 ms. Poco::JSON allocates an Object and a Var per value,
// and would still need its strings made valid UTF-8 first.
std::string RenderStatsJson(process::Scoreboard& board,
                            const StatsContext& context);

}  // namespace subhost::stats

#endif  // SUBHOST_ENGINE_STATS_STATS_JSON_H_
