// What the allocator hands out for an object's heap blocks, so that caches can bound their memory
// by what they really hold (their bound then predicts the process's RSS).
#ifndef TASKS_SERVER_COMMON_HEAP_BYTES_H_
#define TASKS_SERVER_COMMON_HEAP_BYTES_H_

#include <cstddef>
#include <string>

namespace tasks {

// For blocks whose address is out of reach (a container's nodes, a message's repeated-field
// array): glibc's size word plus its rounding to 16 bytes, on average over the small blocks a
// cached answer is made of (message_bytes_test checks the total against mallinfo2).
inline constexpr size_t kSmallBlockOverhead = 24;

// What malloc handed out for `block` (a pointer it returned): the usable size and its size word.
size_t BlockBytes(const void* block);

// The heap block behind a std::string: none for a short one (kept inside the object).
size_t StringHeapBytes(const std::string& text);

}  // namespace tasks

#endif  // TASKS_SERVER_COMMON_HEAP_BYTES_H_
