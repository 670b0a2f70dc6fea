// The scoreboard: a block of shared memory, mapped by the master before it
// forks, where every worker publishes what it is doing and what it has done.
// The master reads it for supervision (harakiri, readiness, chain reloads)
// and for the stats and metrics servers.
//
// Layout: a header, then one WorkerSlot per worker slot; each WorkerSlot is
// followed by its CoreSlots (one per request thread) and its AppSlots (one
// per configured mount, in configuration order). All sizes are fixed when
// the scoreboard is created.
//
// Thread and process contract: every field is a lock-free std::atomic (on
// x86-64 and aarch64 these are address-free, so they work across processes).
// A worker writes its own slots only, with relaxed stores and increments:
// no locks on the request path. The master writes the fields marked
// "master" and resets a slot before a new worker takes it. Readers may see
// a request's counters mid-update; each counter is exact on its own.
#ifndef SUBHOST_ENGINE_PROCESS_SCOREBOARD_H_
#define SUBHOST_ENGINE_PROCESS_SCOREBOARD_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace subhost::process {

// Request latency histogram bucket upper bounds, in milliseconds; the last
// bucket is +Inf.
inline constexpr double kLatencyBucketsMs[] = {1,   2.5,  5,    10,   25,
                                               50,  100,  250,  500,  1000,
                                               2500, 5000, 10000};
inline constexpr int kLatencyBuckets =
    static_cast<int>(std::size(kLatencyBucketsMs)) + 1;

enum class WorkerState : std::uint32_t {
  kFree = 0,      // no process in this slot
  kStarting = 1,  // forked, loading or not yet accepting
  kAccepting = 2, // serving
  kStopping = 3,  // asked to stop; finishing its requests
};

struct CoreSlot {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> write_errors{0};  // responses cut short
  std::atomic<std::uint64_t> read_errors{0};
  // Wall-clock start of the request in progress (µs since the epoch), 0 when
  // idle. Written last when a request starts, first when it ends.
  std::atomic<std::int64_t> request_start_us{0};
  // The request in progress, for harakiri reports (may be torn when read
  // while the next request starts; it is only ever logged).
  char method[16] = {};
  char path[232] = {};
};

struct AppSlot {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> exceptions{0};  // the app raised
  std::atomic<std::uint64_t> errors_5xx{0};
  std::atomic<std::uint64_t> latency_sum_us{0};
  std::atomic<std::uint64_t> latency_buckets[kLatencyBuckets] = {};
  std::atomic<std::int64_t> interpreter_id{-1};  // -1: not loaded
  std::atomic<std::uint64_t> startup_us{0};      // load time
};

struct WorkerSlot {
  std::atomic<std::int32_t> pid{0};
  std::atomic<std::uint32_t> state{0};  // WorkerState
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> exceptions{0};
  std::atomic<std::uint64_t> tx_bytes{0};
  std::atomic<std::uint64_t> busy_us{0};        // summed request time
  std::atomic<std::uint32_t> busy_cores{0};     // requests in progress
  // master:
  std::atomic<std::uint64_t> harakiri_count{0};
  std::atomic<std::uint64_t> respawn_count{0};
  std::atomic<std::int64_t> last_spawn_us{0};   // wall clock
  std::atomic<std::uint64_t> rss_bytes{0};
  std::atomic<std::uint64_t> vsz_bytes{0};
  std::atomic<std::uint64_t> delta_requests{0};  // since the last stats read
  std::atomic<std::uint64_t> requests_at_last_read{0};
};

struct ScoreboardHeader {
  std::uint32_t magic = 0;
  std::uint32_t slots = 0;
  std::uint32_t cores = 0;
  std::uint32_t apps = 0;
  std::atomic<std::uint64_t> respawns{0};       // master
  std::atomic<std::uint64_t> harakiris{0};      // master
  std::atomic<std::int64_t> started_us{0};      // master
};

class Scoreboard {
 public:
  // Maps a shared anonymous region for `slots` workers with `cores` request
  // threads and `apps` mounts each. Throws std::runtime_error if mmap fails.
  Scoreboard(int slots, int cores, int apps);
  ~Scoreboard();
  Scoreboard(const Scoreboard&) = delete;
  Scoreboard& operator=(const Scoreboard&) = delete;

  int slots() const { return static_cast<int>(header_->slots); }
  int cores() const { return static_cast<int>(header_->cores); }
  int apps() const { return static_cast<int>(header_->apps); }

  ScoreboardHeader& header() { return *header_; }
  WorkerSlot& worker(int slot);
  CoreSlot& core(int slot, int core);
  AppSlot& app(int slot, int app);

  // Zeroes a slot's counters except the master's lifetime ones
  // (respawn_count, harakiri_count), before a new worker takes it.
  void ResetForSpawn(int slot);

  std::size_t bytes() const { return bytes_; }

  static std::int64_t WallMicros();

 private:
  std::size_t SlotStride() const;
  char* SlotBase(int slot) const;

  ScoreboardHeader* header_ = nullptr;
  std::size_t bytes_ = 0;
  std::size_t core_offset_ = 0;
  std::size_t app_offset_ = 0;
  std::size_t stride_ = 0;
};

// The index of the latency bucket for a request that took ms.
int LatencyBucket(double ms);

// Copies text into a fixed char array, truncating, always terminated.
template <std::size_t N>
void CopyTruncated(char (&out)[N], std::string_view text) {
  std::size_t n = text.size() < N - 1 ? text.size() : N - 1;
  for (std::size_t i = 0; i < n; ++i) out[i] = text[i];
  out[n] = '\0';
}

}  // namespace subhost::process

#endif  // SUBHOST_ENGINE_PROCESS_SCOREBOARD_H_
