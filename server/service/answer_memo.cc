#include "server/service/answer_memo.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/common/heap_bytes.h"
#include "server/service/message_bytes.h"

namespace tasks::service {
namespace {

// By the model info's address; the kept weak reference then confirms it is the same object.
std::string KeyOf(const hub::ModelInfo* info, const google::protobuf::Message& request) {
  std::string key = absl::StrCat(absl::Hex(reinterpret_cast<uintptr_t>(info)), "|",
                                 request.GetDescriptor()->full_name(), "|");
  request.AppendToString(&key);
  return key;
}

// Whether `weak` was made from the object `shared` owns (even if that object is gone now).
template <typename T>
bool SameObject(const std::weak_ptr<T>& weak, const std::shared_ptr<T>& shared) {
  return !weak.owner_before(shared) && !shared.owner_before(weak);
}

}  // namespace

AnswerMemo::AnswerMemo(size_t max_bytes) : store_(max_bytes) {}

bool AnswerMemo::Find(const std::shared_ptr<const hub::ModelInfo>& info,
                      const std::shared_ptr<const registry::TasksManager>& registry,
                      const google::protobuf::Message& request,
                      google::protobuf::Message& response) {
  const std::string key = KeyOf(info.get(), request);
  std::shared_ptr<const google::protobuf::Message> kept;
  {
    absl::MutexLock lock(&mutex_);
    const hub::LruStore<Kept>::Entry* entry = store_.Find(key);
    if (entry == nullptr || !SameObject(entry->value.info, info) ||
        !SameObject(entry->value.registry, registry) ||
        entry->value.response->GetDescriptor() != response.GetDescriptor()) {
      return false;
    }
    ++hits_;
    kept = entry->value.response;
  }
  response.CopyFrom(*kept);  // outside the lock: the kept message is immutable
  return true;
}

void AnswerMemo::Keep(const std::shared_ptr<const hub::ModelInfo>& info,
                      const std::shared_ptr<const registry::TasksManager>& registry,
                      const google::protobuf::Message& request,
                      const google::protobuf::Message& response) {
  std::shared_ptr<google::protobuf::Message> copy(response.New());
  copy->CopyFrom(response);
  // The message, its blocks, and what the weak references keep: the model info's and the
  // registry's control blocks outlive their objects while an answer names them.
  constexpr size_t kControlBlocks = 3 * (16 + kSmallBlockOverhead);
  const size_t bytes = MessageBytes(*copy) + kControlBlocks + sizeof(hub::ModelInfo);
  std::string key = KeyOf(info.get(), request);
  absl::MutexLock lock(&mutex_);
  store_.Insert(key, Kept{info, registry, std::move(copy)}, sizeof(Kept) + bytes, absl::Now());
}

AnswerMemoStats AnswerMemo::Stats() const {
  absl::MutexLock lock(&mutex_);
  return {hits_, store_.evictions(), static_cast<int64_t>(store_.size()),
          static_cast<int64_t>(store_.bytes())};
}

}  // namespace tasks::service
