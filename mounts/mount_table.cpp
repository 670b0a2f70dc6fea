#include "mounts/mount_table.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <utility>

#include "mounts/mount_spec.h"

namespace subhost::mounts {
namespace {

// FNV-1a, because it extends one byte at a time: Lookup gets the hash of
// every prefix of the path in a single pass.
constexpr std::uint64_t kFnvOffset = 14695981039346656037ull;
constexpr std::uint64_t kFnvPrime = 1099511628211ull;

inline std::uint64_t HashByte(std::uint64_t hash, char c) {
  return (hash ^ static_cast<unsigned char>(c)) * kFnvPrime;
}

std::uint64_t HashString(std::string_view s) {
  std::uint64_t hash = kFnvOffset;
  for (char c : s) hash = HashByte(hash, c);
  return hash;
}

constexpr std::size_t kMinSlots = 16;

}  // namespace

std::size_t MountTable::SlotIndex(std::uint64_t hash) const {
  // FNV-1a's low bits are weak for short keys; Fibonacci hashing takes the
  // well-mixed high bits of the product.
  return static_cast<std::size_t>((hash * 0x9E3779B97F4A7C15ull) >>
                                  slot_shift_);
}

const MountTable::Entry* MountTable::Find(std::string_view mountpoint,
                                          std::uint64_t hash) const {
  if (slots_.empty()) return nullptr;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = SlotIndex(hash);; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.entry < 0) return nullptr;
    if (slot.hash == hash && slot.length == mountpoint.size()) {
      const Entry& entry = entries_[static_cast<std::size_t>(slot.entry)];
      if (std::memcmp(entry.mountpoint.data(), mountpoint.data(),
                      mountpoint.size()) == 0) {
        return &entry;
      }
    }
  }
}

void MountTable::Insert(std::int32_t entry_index) {
  const Entry& entry = entries_[static_cast<std::size_t>(entry_index)];
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = SlotIndex(entry.hash);
  while (slots_[i].entry >= 0) i = (i + 1) & mask;
  slots_[i].hash = entry.hash;
  slots_[i].entry = entry_index;
  slots_[i].length = static_cast<std::uint32_t>(entry.mountpoint.size());
}

void MountTable::Rehash(std::size_t capacity) {
  slots_.assign(capacity, Slot());
  slot_shift_ = 64 - std::countr_zero(capacity);
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    Insert(static_cast<std::int32_t>(i));
  }
}

bool MountTable::Add(std::string mountpoint, int id) {
  std::string canonical;
  if (!NormalizeMountpoint(mountpoint, &canonical, nullptr) ||
      canonical != mountpoint) {
    return false;
  }
  if (mountpoint.empty()) {
    if (root_id_.has_value()) return false;
    root_id_ = id;
    return true;
  }
  const std::uint64_t hash = HashString(mountpoint);
  if (Find(mountpoint, hash) != nullptr) return false;

  const std::size_t length = mountpoint.size();
  if (has_length_.size() <= length) has_length_.resize(length + 1, 0);
  has_length_[length] = 1;

  entries_.push_back(Entry{std::move(mountpoint), id, hash});
  if (entries_.size() * 2 > slots_.size()) {
    Rehash(std::max(kMinSlots, slots_.size() * 2));
  } else {
    Insert(static_cast<std::int32_t>(entries_.size() - 1));
  }
  return true;
}

std::optional<MountTable::Route> MountTable::Lookup(
    std::string_view path) const {
  std::optional<Route> best;
  if (root_id_.has_value()) best = Route{*root_id_, 0};
  if (entries_.empty()) return best;

  // Prefixes longer than the longest mountpoint cannot match.
  const std::size_t limit = std::min(path.size(), has_length_.size() - 1);
  std::uint64_t hash = kFnvOffset;
  // Prefix [0, i) is a candidate when it ends a whole segment. Later matches
  // are longer, so the last one wins. i == 0 is the root, handled above.
  for (std::size_t i = 0; i <= limit; ++i) {
    const bool at_boundary = i == path.size() || path[i] == '/';
    if (at_boundary && i > 0 && has_length_[i] != 0) {
      if (const Entry* entry = Find(path.substr(0, i), hash)) {
        best = Route{entry->id, i};
      }
    }
    if (i < path.size()) hash = HashByte(hash, path[i]);
  }
  return best;
}

std::size_t MountTable::size() const {
  return entries_.size() + (root_id_.has_value() ? 1 : 0);
}

}  // namespace subhost::mounts
