// MessageBytes: what a protobuf message made on the heap (not on an arena) takes from the
// allocator, so that a cache keeping messages can bound its memory by what it really holds.
#ifndef TASKS_SERVER_SERVICE_MESSAGE_BYTES_H_
#define TASKS_SERVER_SERVICE_MESSAGE_BYTES_H_

#include <cstddef>

#include "google/protobuf/message.h"

namespace tasks::service {

// The message object and every block behind it (sub-messages, repeated fields' arrays and
// elements, long strings' buffers), with malloc's overhead for each block: SpaceUsedLong counts
// payloads only, and a response of short strings is much overhead. Walks the message by
// reflection: for an occasional store, not for a hot path.
size_t MessageBytes(const google::protobuf::Message& message);

}  // namespace tasks::service

#endif  // TASKS_SERVER_SERVICE_MESSAGE_BYTES_H_
