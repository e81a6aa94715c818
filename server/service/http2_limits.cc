#include "server/service/http2_limits.h"

#include "grpc/grpc.h"
#include "grpcpp/resource_quota.h"

namespace tasks::service {

void ApplyHttp2Limits(const Http2Limits& limits, grpc::ServerBuilder& builder) {
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, limits.max_concurrent_streams);
  builder.AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE, limits.max_metadata_bytes);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, limits.max_pings_without_data);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, limits.max_ping_strikes);
  // The builder copies the quota's handle; gRPC keeps the quota alive while it is used.
  grpc::ResourceQuota quota("tasks-server");
  quota.Resize(limits.memory_quota_bytes);
  builder.SetResourceQuota(quota);
}

}  // namespace tasks::service
