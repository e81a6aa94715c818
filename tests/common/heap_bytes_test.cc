// heap_bytes: what the allocator hands out, read from the allocator itself.
#include "server/common/heap_bytes.h"

#include <cstdlib>
#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace tasks {
namespace {

TEST(HeapBytesTest, ABlockCountsAtLeastWhatWasAskedForAndItsSizeWord) {
  for (size_t size : {1, 24, 100, 4096}) {
    std::unique_ptr<void, decltype(&std::free)> block(std::malloc(size), &std::free);
    const size_t bytes = BlockBytes(block.get());
    EXPECT_GE(bytes, size + sizeof(size_t)) << size;
    EXPECT_LE(bytes, size + 64) << size;  // rounding, never a different block
  }
}

TEST(HeapBytesTest, ShortStringsHoldNothingOnTheHeap) {
  EXPECT_EQ(StringHeapBytes(std::string("short")), 0u);
  const std::string long_text(1000, 'x');
  EXPECT_GE(StringHeapBytes(long_text), long_text.capacity() + 1);
}

}  // namespace
}  // namespace tasks
