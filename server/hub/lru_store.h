// LruStore: values under string keys, bounded by the bytes they hold; past the bound, the least
// recently used go first. Each entry's size is its caller's to say (what its value holds on the
// heap); the store adds what it takes itself for the entry (its key, twice, and its nodes).
//
// Not thread-safe: its owner guards it (HubCache and AnswerMemo each under their own mutex).
#ifndef TASKS_SERVER_HUB_LRU_STORE_H_
#define TASKS_SERVER_HUB_LRU_STORE_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/common/heap_bytes.h"

namespace tasks::hub {

template <typename Value>
class LruStore {
 public:
  struct Entry {
    Value value;
    size_t bytes;  // counted against the bound, the store's own share included
    absl::Time stored;
  };

  explicit LruStore(size_t max_bytes) : max_bytes_(max_bytes) {}

  // The entry under `key`, now the most recently used; null if none.
  const Entry* Find(absl::string_view key) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->second;
  }

  // The entry under `key` without making it recently used (a look, not a use); null if none.
  const Entry* Peek(absl::string_view key) const {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &it->second->second;
  }

  // Stores `value` under `key` (replacing what was there), then evicts past the bound. A value
  // larger than the whole bound is not kept. Returns how many entries were evicted.
  int Insert(const std::string& key, Value value, size_t value_bytes, absl::Time stored) {
    Erase(key);
    const size_t bytes = value_bytes + EntryOverhead(key);
    if (bytes > max_bytes_) return 0;
    order_.emplace_front(key, Entry{std::move(value), bytes, stored});
    index_.emplace(order_.front().first, order_.begin());
    bytes_ += bytes;
    int evicted = 0;
    while (bytes_ > max_bytes_) {
      Erase(order_.back().first);
      ++evicted;
    }
    evictions_ += evicted;
    return evicted;
  }

  void Erase(absl::string_view key) {
    auto it = index_.find(key);
    if (it == index_.end()) return;
    const auto position = it->second;
    bytes_ -= position->second.bytes;
    index_.erase(it);  // its key views the list node's: erased first
    order_.erase(position);
  }

  size_t bytes() const { return bytes_; }
  size_t size() const { return index_.size(); }
  size_t max_bytes() const { return max_bytes_; }
  int64_t evictions() const { return evictions_; }

 private:
  using Order = std::list<std::pair<std::string, Entry>>;  // front: most recently used

  // The list node (links, key, entry) and the index slot.
  static size_t EntryOverhead(const std::string& key) {
    return sizeof(typename Order::value_type) + 2 * sizeof(void*) + kSmallBlockOverhead +
           StringHeapBytes(key) + sizeof(std::pair<absl::string_view, void*>) + 1;
  }

  const size_t max_bytes_;
  Order order_;
  // Keys view the strings held in `order_`'s nodes, which never move.
  absl::flat_hash_map<absl::string_view, typename Order::iterator> index_;
  size_t bytes_ = 0;
  int64_t evictions_ = 0;
};

}  // namespace tasks::hub

#endif  // TASKS_SERVER_HUB_LRU_STORE_H_
