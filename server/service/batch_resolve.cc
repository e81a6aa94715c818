#include "server/service/batch_resolve.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/common/cancellation.h"
#include "server/service/grpc_status.h"
#include "server/service/request_limits.h"

namespace tasks::service {
namespace {

namespace v1 = optimum::tasks::v1;

v1::BatchResolveExportResponse ErrorAnswer(std::string id, const absl::Status& status) {
  v1::BatchResolveExportResponse response;
  response.set_id(std::move(id));
  *response.mutable_error() = ToRpcStatus(status);
  return response;
}

}  // namespace

BatchResolveReactor::BatchResolveReactor(const InferenceHandlers* inference,
                                         std::shared_ptr<const registry::TasksManager> tasks,
                                         WorkerPool* pool, CallLog::Call call,
                                         hub::Credentials credentials, absl::Time deadline,
                                         absl::Duration max_hub_wait, size_t max_in_flight)
    : inference_(inference),
      tasks_(std::move(tasks)),
      pool_(pool),
      credentials_(std::move(credentials)),
      deadline_(deadline),
      max_hub_wait_(max_hub_wait),
      max_in_flight_(std::max<size_t>(max_in_flight, 1)),
      call_(std::move(call)) {
  absl::MutexLock lock(&mutex_);
  Advance();  // the first read; nothing can be complete yet
}

void BatchResolveReactor::OnReadDone(bool ok) {
  std::optional<v1::BatchResolveExportRequest> item;
  bool done;
  {
    absl::MutexLock lock(&mutex_);
    reading_ = false;
    if (!ok) {
      reads_done_ = true;
    } else if (!broken_) {
      item = std::move(read_buffer_);
      read_buffer_.Clear();
      ++unanswered_;
    }
    done = Advance();
  }
  if (item) Dispatch(*std::move(item));
  FinishIf(done);
}

void BatchResolveReactor::Dispatch(v1::BatchResolveExportRequest item) {
  if (item.id().size() > kMaxBatchItemIdBytes) {
    std::string id = item.id().substr(0, kMaxBatchItemIdBytes);
    Answer(ErrorAnswer(std::move(id), absl::InvalidArgumentError(
                                          absl::StrCat("id is longer than ", kMaxBatchItemIdBytes,
                                                       " bytes (shown truncated)."))));
    return;
  }
  if (absl::Status checked = CheckRequestFields(item.request()); !checked.ok()) {
    Answer(ErrorAnswer(item.id(), checked));
    return;
  }
  // The item and its answer live on the heap: a step that needs the pool finishes them there.
  auto work = std::make_unique<Item>();
  work->request = std::move(item);
  work->response.set_id(work->request.id());
  InferenceStep step = inference_->ResolveExport(tasks_, work->request.request(),
                                                 *work->response.mutable_answer(), credentials_);
  // A warm item is answered from memory right here, as the unary call would be.
  if (step.answered()) {
    Answer(Finished(*std::move(work), step.status()));
    return;
  }
  refs_.fetch_add(1, std::memory_order_relaxed);
  const std::string id = work->request.id();
  const bool queued =
      pool_->Submit([this, work = std::move(work), step = std::move(step)]() mutable {
        Resolve(*work, std::move(step));
        Unref();
      });
  if (!queued) {
    refs_.fetch_sub(1, std::memory_order_relaxed);
    Answer(ErrorAnswer(id, absl::ResourceExhaustedError(
                               "The server is busy with Hub requests; retry this item with "
                               "backoff.")));
  }
}

void BatchResolveReactor::Resolve(Item& item, InferenceStep step) {
  if (stream_gone_.cancelled()) {              // nobody will read this answer: skip the work
    Answer(v1::BatchResolveExportResponse());  // only counts it done
    return;
  }
  // An item waits on the Hub for at most max_hub_wait from when its work starts; a Hub request
  // nobody else waits for stops with the stream.
  const WaitLimits limits(std::min(deadline_, absl::Now() + max_hub_wait_), &stream_gone_);
  const absl::Status status = std::move(step).Finish(limits);
  Answer(Finished(std::move(item), status));
}

v1::BatchResolveExportResponse BatchResolveReactor::Finished(Item item,
                                                             const absl::Status& status) {
  if (!status.ok()) return ErrorAnswer(item.request.id(), status);
  return std::move(item.response);
}

void BatchResolveReactor::Answer(v1::BatchResolveExportResponse response) {
  bool done;
  {
    absl::MutexLock lock(&mutex_);
    if (broken_) {
      --unanswered_;
    } else {
      answers_.push_back(std::move(response));
    }
    done = Advance();
  }
  FinishIf(done);
}

void BatchResolveReactor::OnWriteDone(bool ok) {
  bool done;
  {
    absl::MutexLock lock(&mutex_);
    writing_ = false;
    answers_.pop_front();
    --unanswered_;
    if (!ok) {
      broken_ = true;
      stream_gone_.Cancel();
    }
    done = Advance();
  }
  FinishIf(done);
}

void BatchResolveReactor::OnCancel() {
  bool done;
  {
    absl::MutexLock lock(&mutex_);
    broken_ = true;
    stream_gone_.Cancel();
    done = Advance();
  }
  FinishIf(done);
}

bool BatchResolveReactor::Advance() {
  if (broken_) {
    // Answers nobody will read: drop all but the one gRPC is writing.
    while (answers_.size() > (writing_ ? 1u : 0u)) {
      answers_.pop_back();
      --unanswered_;
    }
  } else {
    if (!writing_ && !answers_.empty()) {
      writing_ = true;
      StartWrite(&answers_.front());  // a deque's elements stay put as others come and go
    }
    if (!reading_ && !reads_done_ && unanswered_ < max_in_flight_) {
      reading_ = true;
      StartRead(&read_buffer_);
    }
  }
  if (finished_ || reading_ || writing_ || unanswered_ > 0 || !(reads_done_ || broken_)) {
    return false;
  }
  finished_ = true;
  finish_status_ = broken_ ? grpc::Status(grpc::StatusCode::CANCELLED, "The stream was cancelled.")
                           : grpc::Status::OK;
  return true;
}

void BatchResolveReactor::FinishIf(bool done) {
  if (!done) return;
  call_.End(finish_status_);
  Finish(finish_status_);
}

void BatchResolveReactor::OnDone() { Unref(); }

void BatchResolveReactor::Unref() {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
}

}  // namespace tasks::service
