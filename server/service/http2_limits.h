// Http2Limits: what one HTTP/2 connection may make the server hold, applied to a ServerBuilder.
//
// Debian 12's gRPC (1.51.1) predates upstream's fixes for HTTP/2 "rapid reset" (CVE-2023-44487,
// fixed in 1.56.3/1.57.1 and later): a client opening streams and resetting them at once makes
// the server create a call for each, faster than it frees them. Left at gRPC's defaults (no
// MAX_CONCURRENT_STREAMS advertised, an unlimited resource quota) one connection's burst of
// 10,000 pairs took the server from 29 MB to over 250 MB. These limits bound it; README
// "Operating" says what they cannot do and what a patched gRPC or a proxy in front adds.
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
  // gRPC's resource quota for the whole server: the bytes its transports and calls may hold
  // (buffers, call arenas). Under pressure gRPC stops reading from connections and cancels
  // streams instead of growing; the service's own memory (the Hub cache) is bounded apart.
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
