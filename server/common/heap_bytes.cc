#include "server/common/heap_bytes.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace tasks {

size_t BlockBytes(const void* block) {
#ifdef __GLIBC__
  return malloc_usable_size(const_cast<void*>(block)) + sizeof(size_t);
#else
  return kSmallBlockOverhead;
#endif
}

size_t StringHeapBytes(const std::string& text) {
  // libstdc++ keeps a string inline up to this capacity; beyond it, data() is a malloc'd block.
  constexpr size_t kInlineCapacity = 15;
  return text.capacity() <= kInlineCapacity ? 0 : BlockBytes(text.data());
}

}  // namespace tasks
