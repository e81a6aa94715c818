// InferenceHandlers: the inference RPCs, proto in, ModelInference call, proto out.
//
// A call begins on the gRPC callback thread and never waits there: when memory holds the model's
// opening (ModelLocator::TryOpen) and an answer kept for the same request (AnswerMemo), it is
// answered at once; otherwise the call's InferenceStep carries the rest of its work, opening
// included, to a thread that may wait. Nothing is done twice. Each call infers with the
// generation (TasksManager) the service chose for it, whole, whatever a reload does meanwhile;
// the model's Hub answers are shared by every generation, the answers kept from them are not.
// Thread-safe.
#ifndef TASKS_SERVER_SERVICE_INFERENCE_HANDLERS_H_
#define TASKS_SERVER_SERVICE_INFERENCE_HANDLERS_H_

#include <memory>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "optimum/tasks/v1/tasks_manager.pb.h"
#include "server/common/cancellation.h"
#include "server/hub/hub_cache.h"
#include "server/inference/model_source.h"
#include "server/registry/tasks_manager.h"
#include "server/service/answer_memo.h"

namespace tasks::service {

// An inference call begun without waiting: answered already, or with the rest of its work to
// run, once, where waiting is allowed. The request and response it was begun with must outlive
// that run.
class InferenceStep {
 public:
  using Rest = absl::AnyInvocable<absl::Status(const WaitLimits& limits) &&>;

  static InferenceStep Answered(absl::Status status) { return InferenceStep(std::move(status)); }
  static InferenceStep Later(Rest rest) { return InferenceStep(std::move(rest)); }

  bool answered() const { return !rest_; }
  // The call's status; only when answered().
  const absl::Status& status() const { return status_; }
  // Does the rest within `limits`; only when !answered().
  absl::Status Finish(const WaitLimits& limits) && { return std::move(rest_)(limits); }

 private:
  explicit InferenceStep(absl::Status status) : status_(std::move(status)) {}
  explicit InferenceStep(Rest rest) : rest_(std::move(rest)) {}

  absl::Status status_;
  Rest rest_;
};

class InferenceHandlers {
 public:
  // `locator` and `memo` outlive the handlers; `cache` may be null (offline: no Hub).
  InferenceHandlers(const inference::ModelLocator* locator, hub::HubCache* cache, AnswerMemo* memo,
                    size_t cache_max_bytes);

  // Each call answers from `tasks`, the generation chosen for it.

  InferenceStep DetermineFramework(std::shared_ptr<const registry::TasksManager> tasks, const optimum::tasks::v1::DetermineFrameworkRequest& request,
                                   optimum::tasks::v1::DetermineFrameworkResponse& response,
                                   const hub::Credentials& credentials) const;
  InferenceStep InferLibraryFromModel(
      std::shared_ptr<const registry::TasksManager> tasks, const optimum::tasks::v1::InferLibraryFromModelRequest& request,
      optimum::tasks::v1::InferLibraryFromModelResponse& response,
      const hub::Credentials& credentials) const;
  InferenceStep InferTaskFromModel(std::shared_ptr<const registry::TasksManager> tasks, const optimum::tasks::v1::InferTaskFromModelRequest& request,
                                   optimum::tasks::v1::InferTaskFromModelResponse& response,
                                   const hub::Credentials& credentials) const;
  InferenceStep StandardizeModelAttributes(
      std::shared_ptr<const registry::TasksManager> tasks, const optimum::tasks::v1::StandardizeModelAttributesRequest& request,
      optimum::tasks::v1::StandardizeModelAttributesResponse& response,
      const hub::Credentials& credentials) const;
  InferenceStep ResolveExport(std::shared_ptr<const registry::TasksManager> tasks, const optimum::tasks::v1::ResolveExportRequest& request,
                              optimum::tasks::v1::ResolveExportResponse& response,
                              const hub::Credentials& credentials) const;
  // Answers from memory.
  absl::Status GetCacheStats(const optimum::tasks::v1::GetCacheStatsRequest& request,
                             optimum::tasks::v1::GetCacheStatsResponse& response) const;

 private:
  // Begins a call about `ref` whose answer `compute(inference, files, response)` fills.
  template <typename Request, typename Response, typename Fn>
  InferenceStep Begin(std::shared_ptr<const registry::TasksManager> tasks, const Request& request,
                      inference::ModelRef ref,
                      const hub::Credentials& credentials, Response& response, Fn compute) const;
  // Fills `response` with the answer kept for `request` on this opening; false if none.
  template <typename Response>
  bool Reuse(const google::protobuf::Message& request, const inference::ModelFiles& files,
             const std::shared_ptr<const registry::TasksManager>& tasks, Response& response) const;
  // Answers with `compute` on `files`, and keeps the answer for the next call when it may.
  template <typename Request, typename Response, typename Fn>
  absl::Status ComputeAndKeep(const Request& request, inference::ModelFiles& files,
                              const std::shared_ptr<const registry::TasksManager>& tasks,
                              Response& response, Fn& compute) const;

  const inference::ModelLocator* const locator_;
  hub::HubCache* const cache_;
  AnswerMemo* const memo_;
  const size_t cache_max_bytes_;
};

}  // namespace tasks::service

#endif  // TASKS_SERVER_SERVICE_INFERENCE_HANDLERS_H_
