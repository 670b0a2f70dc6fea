// Route lookup cost against the number of mounts: it should stay flat.
#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "mounts/mount_table.h"

namespace subhost::mounts {
namespace {

void BM_Route_Lookup(benchmark::State& state) {
  const int mounts = static_cast<int>(state.range(0));
  MountTable table;
  table.Add("", -1);
  for (int i = 0; i < mounts; ++i) table.Add("/m" + std::to_string(i), i);

  const std::string middle = "/m" + std::to_string(mounts / 2);
  const std::string last = "/m" + std::to_string(mounts - 1);
  const std::array<std::string, 4> paths = {
      "/m0/users/42", middle + "/static/css/site.css", last,
      "/about/team",  // No mount: falls through to the root.
  };

  std::size_t i = 0;
  for (auto _ : state) {
    const std::string_view path = paths[i];
    i = (i + 1) % paths.size();
    benchmark::DoNotOptimize(path.data());
    auto route = table.Lookup(path);
    benchmark::DoNotOptimize(route);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Route_Lookup)->Arg(1)->Arg(10)->Arg(100)->Arg(1000);

}  // namespace
}  // namespace subhost::mounts
