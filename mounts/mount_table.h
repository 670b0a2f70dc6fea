// MountTable: routes a request path to the mount whose mountpoint is its
// longest whole-segment prefix.
//
// Thread contract: immutable after setup (Add); Lookup is safe from many
// threads concurrently, Add must not overlap any other call.
#ifndef SUBHOST_MOUNTS_MOUNT_TABLE_H_
#define SUBHOST_MOUNTS_MOUNT_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace subhost::mounts {

// "/foo" serves "/foo", "/foo/" and "/foo/bar", never "/foobar"; the root
// mount "" serves everything no other mount does.
//
// Lookup cost does not depend on the number of mounts: the path is hashed
// once, left to right, and the hash of each prefix ending at a '/' boundary is
// probed in an open-addressing table, only for prefix lengths some mountpoint
// has and never past the longest mountpoint. Lookup does not allocate.
class MountTable {
 public:
  MountTable() = default;

  // Returns false, leaving the table unchanged, if mountpoint is not
  // canonical (see NormalizeMountpoint; "/" is not, "" is the root) or is
  // already present.
  bool Add(std::string mountpoint, int id);

  struct Route {
    int id;
    // SCRIPT_NAME = path.substr(0, n), PATH_INFO = path.substr(n).
    std::size_t script_name_length;
  };

  // path is a decoded request path that should start with '/'; an empty path
  // routes like "/" but with script_name_length 0 (PATH_INFO ""). nullopt
  // when no mount matches, which needs there to be no root mount.
  std::optional<Route> Lookup(std::string_view path) const;

  // Mounts added, the root included.
  std::size_t size() const;

 private:
  struct Entry {
    std::string mountpoint;
    int id;
    std::uint64_t hash;
  };
  // Indices, not pointers, so that the table stays valid when copied/moved.
  struct Slot {
    std::uint64_t hash = 0;
    std::int32_t entry = -1;  // -1: empty.
    std::uint32_t length = 0;
  };

  const Entry* Find(std::string_view mountpoint, std::uint64_t hash) const;
  void Insert(std::int32_t entry_index);
  void Rehash(std::size_t capacity);
  std::size_t SlotIndex(std::uint64_t hash) const;

  std::vector<Entry> entries_;  // Every mount but the root.
  std::vector<Slot> slots_;     // Power-of-two size, at most half full.
  int slot_shift_ = 64;         // 64 - log2(slots_.size()).
  // has_length_[n] != 0: some mountpoint is n bytes long. Its size is one
  // more than the longest mountpoint's length.
  std::vector<char> has_length_;
  std::optional<int> root_id_;
};

}  // namespace subhost::mounts

#endif  // SUBHOST_MOUNTS_MOUNT_TABLE_H_
