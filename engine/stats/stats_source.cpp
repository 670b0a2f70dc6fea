#include "engine/stats/stats_source.h"

#include <utility>

#include "engine/stats/prometheus.h"
#include "engine/stats/stats_json.h"

namespace subhost::stats {

StatsSource::StatsSource(process::Scoreboard& board)
    : board_(board), context_(std::make_shared<const StatsContext>()) {}

void StatsSource::Publish(StatsContext context) {
  auto published = std::make_shared<const StatsContext>(std::move(context));
  std::lock_guard<std::mutex> lock(context_mutex_);
  context_ = std::move(published);
}

std::shared_ptr<const StatsContext> StatsSource::Context() const {
  std::lock_guard<std::mutex> lock(context_mutex_);
  return context_;
}

std::string StatsSource::StatsJson() {
  std::shared_ptr<const StatsContext> context = Context();
  std::lock_guard<std::mutex> lock(json_mutex_);
  return RenderStatsJson(board_, *context);
}

std::string StatsSource::Metrics() { return RenderMetrics(board_, *Context()); }

}  // namespace subhost::stats
