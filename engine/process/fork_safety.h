// What an app's import leaves behind that forked workers would share or
// lose: descriptors opened while it loaded (a database connection every
// worker would then use at once) and Python threads it started (which do
// not exist in a forked child). The master snapshots the open descriptors
// before each mount loads and describes the new ones after.
//
// Thread contract: plain functions; the answer is only meaningful while no
// other thread opens or closes descriptors (the master loads apps alone).
#ifndef SUBHOST_ENGINE_PROCESS_FORK_SAFETY_H_
#define SUBHOST_ENGINE_PROCESS_FORK_SAFETY_H_

#include <set>
#include <string>
#include <vector>

namespace subhost::process {

// The descriptors open in this process now.
std::set<int> OpenDescriptors();

// One phrase per descriptor in `after` but not in `before`:
// "socket connected to 127.0.0.1:5432 (fd 7)", "listening socket on
// 0.0.0.0:9000 (fd 8)", "file /tmp/app.log (fd 9)", "pipe (fd 10)".
std::vector<std::string> DescribeNewDescriptors(const std::set<int>& before,
                                                const std::set<int>& after);

}  // namespace subhost::process

#endif  // SUBHOST_ENGINE_PROCESS_FORK_SAFETY_H_
