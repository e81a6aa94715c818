// Request and response messages of a unary callback method on one protobuf Arena per call.
//
// An answer is many small strings and sub-messages (a model type's tasks, a model's files). On
// the heap each is a malloc while the answer is built and a free when gRPC is done with it; on
// the arena they are bump allocations in a block that is itself part of the per-call holder, and
// the whole call is freed at once. Installed with the generated SetMessageAllocatorFor_<Method>.
#ifndef TASKS_SERVER_SERVICE_ARENA_MESSAGES_H_
#define TASKS_SERVER_SERVICE_ARENA_MESSAGES_H_

#include <cstddef>

#include "google/protobuf/arena.h"
#include "grpcpp/support/message_allocator.h"

namespace tasks::service {

// Stateless and thread-safe, as gRPC requires of a message allocator.
template <typename Request, typename Response>
class ArenaMessageAllocator final : public grpc::MessageAllocator<Request, Response> {
 public:
  // Room for a request and a typical answer, such as a model type's tasks; larger answers
  // continue in blocks the arena allocates.
  static constexpr size_t kFirstBlockBytes = 4096;

  grpc::MessageHolder<Request, Response>* AllocateMessages() override { return new Holder; }

  // One allocator per method, for the life of the process (gRPC keeps a pointer to it).
  static ArenaMessageAllocator* Get() {
    static auto* allocator = new ArenaMessageAllocator;
    return allocator;
  }

 private:
  class Holder final : public grpc::MessageHolder<Request, Response> {
   public:
    Holder() : arena_(FirstBlock(first_block_)) {
      this->set_request(google::protobuf::Arena::CreateMessage<Request>(&arena_));
      this->set_response(google::protobuf::Arena::CreateMessage<Response>(&arena_));
    }
    void Release() override { delete this; }

   private:
    static google::protobuf::ArenaOptions FirstBlock(char* block) {
      google::protobuf::ArenaOptions options;
      options.initial_block = block;
      options.initial_block_size = kFirstBlockBytes;
      return options;
    }

    // Declared before arena_, which is built on it and destroyed first.
    alignas(std::max_align_t) char first_block_[kFirstBlockBytes];
    google::protobuf::Arena arena_;
  };
};

}  // namespace tasks::service

#endif  // TASKS_SERVER_SERVICE_ARENA_MESSAGES_H_
