// Server TLS: the credentials the listening port uses, built from PEM files, and kept current
// while certificates rotate (cert-manager, a kubelet-updated Secret) without a restart.
//
// The files are read and parsed here, before gRPC sees them, so a wrong path or a file that is
// not what its flag says fails start-up with a message naming the file (gRPC itself would only
// fail to listen). Afterwards gRPC's FileWatcherCertificateProvider re-reads certificate files
// and gives the handshaker whatever it finds; gRPC 1.51 checks neither that a certificate is
// whole nor that the key matches it, and a bad pair fails every new handshake. So the provider
// watches a private copy, which is replaced only by files that validate.
#ifndef TASKS_SERVER_SERVICE_TLS_H_
#define TASKS_SERVER_SERVICE_TLS_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "grpcpp/security/server_credentials.h"

namespace tasks::service {

struct TlsOptions {
  std::string cert_file;  // PEM certificate chain, the server's first; with key_file: TLS
  std::string key_file;   // PEM private key of that certificate
  // PEM CA bundle; set: every client must present a certificate it signed (mutual TLS).
  std::string client_ca_file;
  // How often the files are read again for a rotation (whole seconds, at least 1).
  absl::Duration refresh_interval = absl::Minutes(1);

  bool enabled() const { return !cert_file.empty() || !key_file.empty(); }
};

// The TLS credentials of a server, and the thread that keeps them current. Every refresh
// interval it reads the files named by TlsOptions; the key with its certificate, and the client
// CA, each replace their copy in a private folder (under TMPDIR, removed with this object) when
// they changed and validate: PEM that parses, a key that matches the certificate. A rotation
// caught half-written, or a key and certificate of different generations, is logged and the
// previous copy keeps serving until the files are whole again. gRPC watches the copy (every
// second) and uses it for new handshakes; open connections keep their session.
// Thread-safe; must outlive every server listening with credentials().
class ServerTlsCredentials {
 public:
  // Null (plaintext) when `tls` is not enabled. Otherwise the credentials, or an error naming
  // the file that is missing, unreadable, or not a PEM of the expected kind, or the folder of
  // the copy that cannot be made.
  static absl::StatusOr<std::unique_ptr<ServerTlsCredentials>> Start(const TlsOptions& tls);
  ~ServerTlsCredentials();

  std::shared_ptr<grpc::ServerCredentials> credentials() const { return credentials_; }

 private:
  ServerTlsCredentials(const TlsOptions& originals, std::string folder);

  // Reads the originals and copies each part that changed and validates; the parts' errors.
  absl::Status Refresh();
  absl::Status RefreshKeyAndCert();
  absl::Status RefreshClientCa();
  // Refresh, logging an error once until it changes or the files are fixed.
  void RefreshAndLog();
  // The copy's paths, as TlsOptions.
  TlsOptions Copy() const;

  const TlsOptions originals_;
  const std::string folder_;  // the private copy gRPC watches
  // What the copy holds; touched by Start, then by the refresher thread alone.
  std::string key_;
  std::string cert_;
  std::string client_ca_;
  std::string last_error_;
  std::shared_ptr<grpc::ServerCredentials> credentials_;
  absl::Notification stop_;
  std::thread refresher_;
};

}  // namespace tasks::service

#endif  // TASKS_SERVER_SERVICE_TLS_H_
