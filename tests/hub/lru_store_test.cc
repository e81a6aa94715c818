// LruStore alone: lookups, recency (Find refreshes, Peek does not), the byte bound and its
// evictions, oversized values, and replacement.
#include "server/hub/lru_store.h"

#include <string>

#include "gtest/gtest.h"

namespace tasks::hub {
namespace {

const absl::Time kStored = absl::FromUnixSeconds(1'700'000'000);

// What the store itself counts for an entry under a one-letter key (all the keys below are one
// letter, so all share it): measured, not restated, so that the tests follow its accounting.
size_t Overhead() {
  LruStore<int> probe(1 << 20);
  probe.Insert("k", 0, 0, kStored);
  return probe.bytes();
}

// A store with room for exactly `entries` entries of `value_bytes` each.
LruStore<int> StoreFor(int entries, size_t value_bytes) {
  return LruStore<int>(entries * (Overhead() + value_bytes));
}

TEST(LruStoreTest, FindsInsertsAndErases) {
  LruStore<int> store(1 << 20);
  EXPECT_EQ(store.Find("a"), nullptr);
  EXPECT_EQ(store.Insert("a", 7, 100, kStored), 0);
  const LruStore<int>::Entry* found = store.Find("a");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->value, 7);
  EXPECT_EQ(found->bytes, Overhead() + 100);
  EXPECT_EQ(found->stored, kStored);
  ASSERT_NE(store.Peek("a"), nullptr);
  EXPECT_EQ(store.Peek("a")->value, 7);
  EXPECT_EQ(store.size(), 1u);
  EXPECT_EQ(store.bytes(), Overhead() + 100);

  store.Erase("a");
  EXPECT_EQ(store.Find("a"), nullptr);
  EXPECT_EQ(store.Peek("a"), nullptr);
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(store.bytes(), 0u);
  store.Erase("a");  // erasing what is not there is nothing
  EXPECT_EQ(store.evictions(), 0);
}

TEST(LruStoreTest, EvictsTheLeastRecentlyUsedFirstAndCountsEvictions) {
  LruStore<int> store = StoreFor(3, 100);
  EXPECT_EQ(store.Insert("a", 1, 100, kStored), 0);
  EXPECT_EQ(store.Insert("b", 2, 100, kStored), 0);
  EXPECT_EQ(store.Insert("c", 3, 100, kStored), 0);
  EXPECT_EQ(store.bytes(), store.max_bytes());  // exactly full: nothing goes yet
  EXPECT_EQ(store.evictions(), 0);

  EXPECT_EQ(store.Insert("d", 4, 100, kStored), 1);
  EXPECT_EQ(store.Peek("a"), nullptr);  // the oldest
  EXPECT_NE(store.Peek("b"), nullptr);
  EXPECT_NE(store.Peek("d"), nullptr);
  EXPECT_EQ(store.evictions(), 1);

  // Room for one entry twice the size: the two least recently used go.
  EXPECT_EQ(store.Insert("e", 5, 2 * 100 + Overhead(), kStored), 2);
  EXPECT_EQ(store.Peek("b"), nullptr);
  EXPECT_EQ(store.Peek("c"), nullptr);
  EXPECT_NE(store.Peek("d"), nullptr);
  EXPECT_NE(store.Peek("e"), nullptr);
  EXPECT_EQ(store.evictions(), 3);
  EXPECT_LE(store.bytes(), store.max_bytes());
}

TEST(LruStoreTest, FindMakesAnEntryRecentlyUsed) {
  LruStore<int> store = StoreFor(2, 10);
  store.Insert("a", 1, 10, kStored);
  store.Insert("b", 2, 10, kStored);
  ASSERT_NE(store.Find("a"), nullptr);  // "b" is now the least recently used
  EXPECT_EQ(store.Insert("c", 3, 10, kStored), 1);
  EXPECT_NE(store.Peek("a"), nullptr);
  EXPECT_EQ(store.Peek("b"), nullptr);
}

TEST(LruStoreTest, PeekDoesNotMakeAnEntryRecentlyUsed) {
  LruStore<int> store = StoreFor(2, 10);
  store.Insert("a", 1, 10, kStored);
  store.Insert("b", 2, 10, kStored);
  ASSERT_NE(store.Peek("a"), nullptr);  // a look: "a" stays the least recently used
  EXPECT_EQ(store.Insert("c", 3, 10, kStored), 1);
  EXPECT_EQ(store.Peek("a"), nullptr);
  EXPECT_NE(store.Peek("b"), nullptr);
}

TEST(LruStoreTest, AValueLargerThanTheBoundIsNotKept) {
  LruStore<int> store = StoreFor(2, 10);
  store.Insert("a", 1, 10, kStored);
  const size_t before = store.bytes();
  EXPECT_EQ(store.Insert("z", 26, store.max_bytes(), kStored), 0);
  EXPECT_EQ(store.Find("z"), nullptr);
  EXPECT_NE(store.Peek("a"), nullptr);  // and it evicts nothing to make room it cannot use
  EXPECT_EQ(store.bytes(), before);
  EXPECT_EQ(store.evictions(), 0);
}

TEST(LruStoreTest, ReplacingAKeyAdjustsTheBytes) {
  LruStore<int> store(1 << 20);
  store.Insert("a", 1, 100, kStored);
  store.Insert("b", 2, 50, kStored);
  const size_t before = store.bytes();
  const absl::Time later = kStored + absl::Seconds(1);
  EXPECT_EQ(store.Insert("a", 3, 300, later), 0);
  EXPECT_EQ(store.size(), 2u);
  EXPECT_EQ(store.bytes(), before + 200);
  const LruStore<int>::Entry* replaced = store.Find("a");
  ASSERT_NE(replaced, nullptr);
  EXPECT_EQ(replaced->value, 3);
  EXPECT_EQ(replaced->stored, later);
  EXPECT_EQ(store.Insert("a", 4, 20, later), 0);
  EXPECT_EQ(store.bytes(), before - 80);
  EXPECT_EQ(store.evictions(), 0);  // a replacement is not an eviction
}

}  // namespace
}  // namespace tasks::hub
