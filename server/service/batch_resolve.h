// BatchResolveReactor: one BatchResolveExport stream. Each item read is answered from memory at
// once when it can be, else finished on the WorkerPool (as a unary ResolveExport would be); its
// answer is written as soon as it is ready, so answers come back in completion order. At most
// `max_in_flight` items are read and not yet answered; the reactor reads no further until one is
// written, which lets gRPC's flow control slow a fast sender instead of buffering its items here.
// A failed item becomes an error answer; only a broken stream (the caller cancelled, or its
// deadline passed) ends the call early, and then items not yet started are skipped.
#ifndef TASKS_SERVER_SERVICE_BATCH_RESOLVE_H_
#define TASKS_SERVER_SERVICE_BATCH_RESOLVE_H_

#include <atomic>
#include <deque>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/support/server_callback.h"
#include "optimum/tasks/v1/tasks_manager.pb.h"
#include "server/common/cancellation.h"
#include "server/common/worker_pool.h"
#include "server/hub/hub_client.h"
#include "server/service/call_log.h"
#include "server/service/inference_handlers.h"

namespace tasks::service {

// Longest caller-chosen id accepted; a longer one is an INVALID_ARGUMENT answer for that item.
inline constexpr size_t kMaxBatchItemIdBytes = 256;

class BatchResolveReactor final
    : public grpc::ServerBidiReactor<optimum::tasks::v1::BatchResolveExportRequest,
                                     optimum::tasks::v1::BatchResolveExportResponse> {
 public:
  // Starts reading at once. `inference` and `pool` outlive every stream (the server drains the
  // pool before destroying the service); every item is answered by the generation `tasks`.
  // `call` logs the stream's end. An item waits on the Hub for
  // at most `max_hub_wait` from when its work starts, and never past the stream's `deadline`.
  BatchResolveReactor(const InferenceHandlers* inference,
                      std::shared_ptr<const registry::TasksManager> tasks, WorkerPool* pool,
                      CallLog::Call call, hub::Credentials credentials, absl::Time deadline,
                      absl::Duration max_hub_wait, size_t max_in_flight);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  using Response = optimum::tasks::v1::BatchResolveExportResponse;

  // A read item and its answer, filled as it is resolved.
  struct Item {
    optimum::tasks::v1::BatchResolveExportRequest request;
    Response response;
  };

  // Begins an item from memory; answers it at once, or sends the rest of its work to the pool
  // (or answers RESOURCE_EXHAUSTED when the pool's queue is full).
  void Dispatch(optimum::tasks::v1::BatchResolveExportRequest item);
  // Runs on the pool: finishes one item, unless the stream broke while it waited.
  // `step` fills `item.response`.
  void Resolve(Item& item, InferenceStep step);
  // An item's answer, or its error answer.
  static Response Finished(Item item, const absl::Status& status);
  // Queues an item's answer for writing (any thread).
  void Answer(Response response);
  // Reads the next item if the in-flight bound allows; writes the next answer if none is being
  // written; returns whether the call is now complete and should be finished.
  bool Advance() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Finishes the call if Advance says so. Call without the lock: Finish may run OnDone.
  void FinishIf(bool done);
  // The reactor is deleted when gRPC is done with it (OnDone) and no pool task still holds it.
  void Unref();

  const InferenceHandlers* const inference_;
  const std::shared_ptr<const registry::TasksManager> tasks_;
  WorkerPool* const pool_;
  const hub::Credentials credentials_;
  const absl::Time deadline_;
  const absl::Duration max_hub_wait_;
  const size_t max_in_flight_;
  std::atomic<int> refs_{1};      // gRPC's, until OnDone; plus one per item on the pool
  CancellationFlag stream_gone_;  // set with broken_: items' Hub requests may be abandoned

  absl::Mutex mutex_;
  optimum::tasks::v1::BatchResolveExportRequest read_buffer_ ABSL_GUARDED_BY(mutex_);
  // Answers waiting to be written; the front is being written while `writing_`.
  std::deque<Response> answers_ ABSL_GUARDED_BY(mutex_);
  size_t unanswered_ ABSL_GUARDED_BY(mutex_) = 0;  // items read whose answer is not yet written
  bool reading_ ABSL_GUARDED_BY(mutex_) = false;
  bool writing_ ABSL_GUARDED_BY(mutex_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mutex_) = false;  // the caller half-closed, or reads failed
  bool broken_ ABSL_GUARDED_BY(mutex_) = false;      // cancelled, or a write failed
  bool finished_ ABSL_GUARDED_BY(mutex_) = false;
  grpc::Status finish_status_;  // written once, by the Advance that returns true
  CallLog::Call call_;          // ended by the FinishIf that finishes
};

}  // namespace tasks::service

#endif  // TASKS_SERVER_SERVICE_BATCH_RESOLVE_H_
