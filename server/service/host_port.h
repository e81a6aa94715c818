// The "host:port" addresses the servers listen on (--listen_address, --metrics_address), parsed
// and checked before anything binds: a port outside 0..65535 must be refused, not handed to a
// resolver that would wrap it into another port.
#ifndef TASKS_SERVER_SERVICE_HOST_PORT_H_
#define TASKS_SERVER_SERVICE_HOST_PORT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tasks::service {

struct HostPort {
  std::string host;  // a name or an IP address; an IPv6 address without its brackets
  int port = 0;      // 0: any free port
};

// "host:port" or "[ipv6]:port", with a non-empty host and a decimal port from 0 to 65535.
// The error says what is accepted and names `address`.
absl::StatusOr<HostPort> ParseHostPort(absl::string_view address);

// Whether `address` names a Unix domain socket (unix:/path, unix-abstract:name) for gRPC.
bool IsUnixAddress(absl::string_view address);

// The file a unix: address binds (unix:path, unix:///absolute/path); empty for any other
// address, unix-abstract: included (an abstract socket has no file).
std::string UnixSocketPath(absl::string_view address);

// A gRPC listening address: a Unix socket with a non-empty path, else ParseHostPort's form.
absl::Status CheckListenAddress(absl::string_view address);

}  // namespace tasks::service

#endif  // TASKS_SERVER_SERVICE_HOST_PORT_H_
