#include "server/service/message_bytes.h"

#include <string>
#include <vector>

#include "server/common/heap_bytes.h"

namespace tasks::service {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// What SpaceUsedLong leaves out of a string: its buffer's block beyond its capacity.
size_t StringOverhead(const std::string& text) {
  const size_t block = StringHeapBytes(text);
  return block == 0 ? 0 : block - text.capacity();
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
        bytes += kSmallBlockOverhead + Overhead(reflection.GetMessage(message, field));
      }
      continue;
    }
    bytes += kSmallBlockOverhead;  // the field's array
    const int count = reflection.FieldSize(message, field);
    for (int i = 0; i < count; ++i) {
      if (type == FieldDescriptor::CPPTYPE_STRING) {  // each element a block of its own
        bytes += kSmallBlockOverhead +
                 StringOverhead(reflection.GetRepeatedStringReference(message, field, i, &scratch));
      } else if (type == FieldDescriptor::CPPTYPE_MESSAGE) {
        bytes += kSmallBlockOverhead + Overhead(reflection.GetRepeatedMessage(message, field, i));
      }
    }
  }
  return bytes;
}

}  // namespace

size_t MessageBytes(const Message& message) { return message.SpaceUsedLong() + Overhead(message); }

}  // namespace tasks::service
