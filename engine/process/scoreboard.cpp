#include "engine/process/scoreboard.h"

#include <sys/mman.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <new>
#include <stdexcept>

namespace subhost::process {

namespace {

constexpr std::uint32_t kMagic = 0x53424f44;  // "SBOD"
constexpr std::size_t kLine = 64;

constexpr std::size_t RoundUp(std::size_t n) {
  return (n + kLine - 1) / kLine * kLine;
}

static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::int64_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

}  // namespace

Scoreboard::Scoreboard(int slots, int cores, int apps) {
  if (slots < 1 || cores < 1 || apps < 0) {
    throw std::invalid_argument("scoreboard: bad dimensions");
  }
  // Each core and each worker header on its own cache lines: threads of
  // one worker bump their own core's counters without false sharing.
  core_offset_ = RoundUp(sizeof(WorkerSlot));
  app_offset_ = core_offset_ + RoundUp(sizeof(CoreSlot)) * cores;
  stride_ = app_offset_ + RoundUp(sizeof(AppSlot)) * apps;
  bytes_ = RoundUp(sizeof(ScoreboardHeader)) + stride_ * slots;
  void* p = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    throw std::runtime_error(std::string("scoreboard: mmap: ") +
                             std::strerror(errno));
  }
  header_ = new (p) ScoreboardHeader();
  header_->magic = kMagic;
  header_->slots = static_cast<std::uint32_t>(slots);
  header_->cores = static_cast<std::uint32_t>(cores);
  header_->apps = static_cast<std::uint32_t>(apps);
  header_->started_us.store(WallMicros());
  for (int s = 0; s < slots; ++s) {
    new (SlotBase(s)) WorkerSlot();
    for (int c = 0; c < cores; ++c) {
      new (SlotBase(s) + core_offset_ + RoundUp(sizeof(CoreSlot)) * c)
          CoreSlot();
    }
    for (int a = 0; a < apps; ++a) {
      new (SlotBase(s) + app_offset_ + RoundUp(sizeof(AppSlot)) * a) AppSlot();
    }
  }
}

Scoreboard::~Scoreboard() {
  if (header_ != nullptr) ::munmap(header_, bytes_);
}

char* Scoreboard::SlotBase(int slot) const {
  return reinterpret_cast<char*>(header_) + RoundUp(sizeof(ScoreboardHeader)) +
         stride_ * static_cast<std::size_t>(slot);
}

WorkerSlot& Scoreboard::worker(int slot) {
  return *std::launder(reinterpret_cast<WorkerSlot*>(SlotBase(slot)));
}

CoreSlot& Scoreboard::core(int slot, int core) {
  return *std::launder(reinterpret_cast<CoreSlot*>(
      SlotBase(slot) + core_offset_ +
      RoundUp(sizeof(CoreSlot)) * static_cast<std::size_t>(core)));
}

AppSlot& Scoreboard::app(int slot, int app) {
  return *std::launder(reinterpret_cast<AppSlot*>(
      SlotBase(slot) + app_offset_ +
      RoundUp(sizeof(AppSlot)) * static_cast<std::size_t>(app)));
}

void Scoreboard::ResetForSpawn(int slot) {
  WorkerSlot& w = worker(slot);
  std::uint64_t respawns = w.respawn_count.load();
  std::uint64_t harakiris = w.harakiri_count.load();
  for (int c = 0; c < cores(); ++c) new (&core(slot, c)) CoreSlot();
  for (int a = 0; a < apps(); ++a) new (&app(slot, a)) AppSlot();
  new (&w) WorkerSlot();
  w.respawn_count.store(respawns);
  w.harakiri_count.store(harakiris);
}

std::int64_t Scoreboard::WallMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int LatencyBucket(double ms) {
  for (int i = 0; i < kLatencyBuckets - 1; ++i) {
    if (ms <= kLatencyBucketsMs[i]) return i;
  }
  return kLatencyBuckets - 1;
}

}  // namespace subhost::process
