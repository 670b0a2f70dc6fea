// The stats and metrics layer: what the master publishes about itself and
// its workers, read from the scoreboard.
//
// StatsContext (stats_context.h) is what the master knows beyond the
// scoreboard; RenderStatsJson (stats_json.h) writes uWSGI's stats document
// and RenderMetrics (prometheus.h) Prometheus' text; StatsSource
// (stats_source.h) hands both to server threads; StatsServer
// (stats_server.h) is the listener behind --stats / --stats-http /
// --metrics. Each header states its own thread contract.
#ifndef SUBHOST_ENGINE_STATS_STATS_H_
#define SUBHOST_ENGINE_STATS_STATS_H_

#include "engine/stats/listen_queue.h"
#include "engine/stats/prometheus.h"
#include "engine/stats/stats_context.h"
#include "engine/stats/stats_json.h"
#include "engine/stats/stats_server.h"
#include "engine/stats/stats_source.h"

#endif  // SUBHOST_ENGINE_STATS_STATS_H_
