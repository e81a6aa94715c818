// Server TLS: the credentials the listening port uses, built from PEM files. The files are read
// and parsed here, before gRPC sees them, so a wrong path or a file that is not what its flag
// says fails start-up with a message naming the file (gRPC itself would only fail to listen).
#ifndef TASKS_SERVER_SERVICE_TLS_H_
#define TASKS_SERVER_SERVICE_TLS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"

namespace tasks::service {

struct TlsOptions {
  std::string cert_file;  // PEM certificate chain, the server's first; with key_file: TLS
  std::string key_file;   // PEM private key of that certificate
  // PEM CA bundle; set: every client must present a certificate it signed (mutual TLS).
  std::string client_ca_file;

  bool enabled() const { return !cert_file.empty() || !key_file.empty(); }
};

// Insecure credentials when `tls` is not enabled; otherwise SSL credentials from its files, or
// an error naming the file that is missing, unreadable, or not a PEM of the expected kind.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsOptions& tls);

}  // namespace tasks::service

#endif  // TASKS_SERVER_SERVICE_TLS_H_
