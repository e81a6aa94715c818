// InferenceHandlers: the inference RPCs, proto in, ModelInference call, proto out. They wait on
// the Hub, so the service runs them on its WorkerPool. Each call takes the holder's current
// TasksManager once and infers with it whole, whatever a reload does meanwhile. Thread-safe.
#ifndef TASKS_SERVER_SERVICE_INFERENCE_HANDLERS_H_
#define TASKS_SERVER_SERVICE_INFERENCE_HANDLERS_H_

#include <memory>

#include "absl/time/time.h"
#include "grpcpp/support/status.h"
#include "optimum/tasks/v1/tasks_manager.pb.h"
#include "server/hub/hub_cache.h"
#include "server/inference/export_plan.h"
#include "server/inference/model_inference.h"
#include "server/registry/tasks_manager_holder.h"

namespace tasks::service {

class InferenceHandlers {
 public:
  // `registry` and `locator` outlive the handlers; `cache` may be null (offline: no Hub).
  // Answers computed from a cached Hub model info are kept in `cache` beside it, and a call
  // asking the same of the same model info gets a copy (HubCache::FindDerived says when that is
  // right).
  InferenceHandlers(const registry::TasksManagerHolder* registry,
                    const inference::ModelLocator* locator, hub::HubCache* cache,
                    size_t cache_max_bytes);

  grpc::Status DetermineFramework(const optimum::tasks::v1::DetermineFrameworkRequest& request,
                                  optimum::tasks::v1::DetermineFrameworkResponse& response,
                                  const hub::Credentials& credentials, absl::Time deadline) const;
  grpc::Status InferLibraryFromModel(
      const optimum::tasks::v1::InferLibraryFromModelRequest& request,
      optimum::tasks::v1::InferLibraryFromModelResponse& response,
      const hub::Credentials& credentials, absl::Time deadline) const;
  grpc::Status InferTaskFromModel(const optimum::tasks::v1::InferTaskFromModelRequest& request,
                                  optimum::tasks::v1::InferTaskFromModelResponse& response,
                                  const hub::Credentials& credentials, absl::Time deadline) const;
  grpc::Status StandardizeModelAttributes(
      const optimum::tasks::v1::StandardizeModelAttributesRequest& request,
      optimum::tasks::v1::StandardizeModelAttributesResponse& response,
      const hub::Credentials& credentials, absl::Time deadline) const;
  grpc::Status ResolveExport(const optimum::tasks::v1::ResolveExportRequest& request,
                             optimum::tasks::v1::ResolveExportResponse& response,
                             const hub::Credentials& credentials, absl::Time deadline) const;
  // Answers from memory: safe on a callback thread.
  grpc::Status GetCacheStats(const optimum::tasks::v1::GetCacheStatsRequest& request,
                             optimum::tasks::v1::GetCacheStatsResponse& response) const;

 private:
  // Opens `ref`, then answers `response` with `compute(inference, files, response)` over the
  // current registry, or with the response an earlier call computed for the same request from
  // the same model info and registry.
  template <typename Request, typename Response, typename Compute>
  grpc::Status Answer(const Request& request, const inference::ModelRef& ref,
                      const hub::Credentials& credentials, absl::Time deadline, Response& response,
                      Compute compute) const;

  const registry::TasksManagerHolder* const registry_;
  const inference::ModelLocator* const locator_;
  hub::HubCache* const cache_;
  const size_t cache_max_bytes_;
};

}  // namespace tasks::service

#endif  // TASKS_SERVER_SERVICE_INFERENCE_HANDLERS_H_
