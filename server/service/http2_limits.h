// Http2Limits: what one HTTP/2 connection may make the server hold, applied to a ServerBuilder.
//
// gRPC's defaults advertise no MAX_CONCURRENT_STREAMS and leave its resource quota unlimited.
// These bound streams held open, metadata and pings. They do not bound HTTP/2 "rapid reset"
// (CVE-2023-44487) in Debian 12's gRPC 1.51.1, which predates the upstream fix (the October 2023
// releases, 1.56.3, 1.57.1, 1.58.1 and later): a stream reset at once is closed at once, so it
// never counts against the stream limit, while the call gRPC made for it lives on until gRPC
// gets round to it; 1.51's resource quota never refuses a call. README "Operating" has the
// figures and what a patched gRPC or a proxy in front must add; HeapTrimmer returns the memory
// after a burst.
#ifndef TASKS_SERVER_SERVICE_HTTP2_LIMITS_H_
#define TASKS_SERVER_SERVICE_HTTP2_LIMITS_H_

#include <cstddef>

#include "grpcpp/server_builder.h"

namespace tasks::service {

struct Http2Limits {
  // Streams a client may have open on one connection (advertised in SETTINGS; gRPC refuses the
  // excess with REFUSED_STREAM). Callers' channels multiplex at most this many calls per
  // connection and queue the rest client-side.
  int max_concurrent_streams = 100;
  // gRPC's resource quota for the whole server: what its transports and calls may hold. Past
  // it gRPC 1.51 reads with smaller buffers and cancels open streams; it refuses no new call.
  // The service's own memory (the Hub cache) is bounded apart.
  size_t memory_quota_bytes = 64 << 20;
  // Request headers (metadata) one call may carry: gRPC's default, made explicit.
  int max_metadata_bytes = 8 << 10;
  // Pings a client may send without data before the server stops acknowledging them, and
  // how many pings closer than min_client_ping_interval (ServerOptions) it tolerates before
  // GOAWAY: gRPC's defaults, made explicit so a change of default cannot loosen them.
  int max_pings_without_data = 2;
  int max_ping_strikes = 2;
};

// Adds `limits` to `builder`'s channel arguments and resource quota.
void ApplyHttp2Limits(const Http2Limits& limits, grpc::ServerBuilder& builder);

}  // namespace tasks::service

#endif  // TASKS_SERVER_SERVICE_HTTP2_LIMITS_H_
