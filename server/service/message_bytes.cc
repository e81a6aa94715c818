#include "server/service/message_bytes.h"

#include <string>
#include <vector>

namespace tasks::service {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// What glibc adds to each block: its size word, and the rounding up to 16 bytes (with a 32-byte
// minimum), which for a response's many small blocks comes to about 24 bytes (measured by
// message_bytes_test against mallinfo2).
constexpr size_t kMallocHeader = 24;
constexpr size_t kSmallString = 15;  // libstdc++ keeps up to this many characters inline

// What SpaceUsedLong leaves out of a string: its buffer's overhead and terminating NUL.
size_t StringOverhead(const std::string& text) {
  return text.capacity() <= kSmallString ? 0 : kMallocHeader + 1;
}

// What SpaceUsedLong leaves out of what `message` points to: the overhead of each block.
size_t Overhead(const Message& message) {
  const Reflection& reflection = *message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection.ListFields(message, &fields);
  std::string scratch;
  size_t bytes = 0;
  for (const FieldDescriptor* field : fields) {
    const FieldDescriptor::CppType type = field->cpp_type();
    if (!field->is_repeated()) {
      if (type == FieldDescriptor::CPPTYPE_STRING) {
        bytes += StringOverhead(reflection.GetStringReference(message, field, &scratch));
      } else if (type == FieldDescriptor::CPPTYPE_MESSAGE) {
        bytes += kMallocHeader + Overhead(reflection.GetMessage(message, field));
      }
      continue;
    }
    bytes += kMallocHeader;  // the field's array
    const int count = reflection.FieldSize(message, field);
    for (int i = 0; i < count; ++i) {
      if (type == FieldDescriptor::CPPTYPE_STRING) {  // each element a block of its own
        bytes += kMallocHeader +
                 StringOverhead(reflection.GetRepeatedStringReference(message, field, i, &scratch));
      } else if (type == FieldDescriptor::CPPTYPE_MESSAGE) {
        bytes += kMallocHeader + Overhead(reflection.GetRepeatedMessage(message, field, i));
      }
    }
  }
  return bytes;
}

}  // namespace

size_t MessageBytes(const Message& message) { return message.SpaceUsedLong() + Overhead(message); }

}  // namespace tasks::service
