#include "server/service/tls.h"

#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "openssl/bio.h"
#include "openssl/pem.h"
#include "openssl/x509.h"
#include "spdlog/spdlog.h"

namespace tasks::service {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  if (!in || !(contents << in.rdbuf())) {
    return absl::FailedPreconditionError(absl::StrCat("cannot read ", what, " ", path));
  }
  return contents.str();
}

// OpenSSL's memory BIO over `pem`, freed with it.
using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
Bio MemoryBio(const std::string& pem) {
  return Bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
}

using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;
X509Ptr FirstCertificate(const std::string& pem) {
  return X509Ptr(PEM_read_bio_X509(MemoryBio(pem).get(), nullptr, nullptr, nullptr), &X509_free);
}

// `path`'s contents when it holds at least one PEM certificate.
absl::StatusOr<std::string> ReadCertificates(const std::string& path, absl::string_view what) {
  absl::StatusOr<std::string> pem = ReadPem(path, what);
  if (!pem.ok()) return pem.status();
  if (FirstCertificate(*pem) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(what, " ", path, " holds no PEM certificate"));
  }
  return pem;
}

// The key and certificate files' contents, when both parse and match.
struct KeyAndCert {
  std::string key;
  std::string cert;
};
absl::StatusOr<KeyAndCert> ReadKeyAndCert(const TlsOptions& tls) {
  absl::StatusOr<std::string> cert = ReadCertificates(tls.cert_file, "TLS certificate");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem(tls.key_file, "TLS key");
  if (!key.ok()) return key.status();
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> private_key(
      PEM_read_bio_PrivateKey(MemoryBio(*key).get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  if (private_key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("TLS key ", tls.key_file, " holds no unencrypted PEM private key"));
  }
  if (X509_check_private_key(FirstCertificate(*cert).get(), private_key.get()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("TLS key ", tls.key_file, " does not match certificate ", tls.cert_file));
  }
  return KeyAndCert{*std::move(key), *std::move(cert)};
}

// Replaces `path` by a file holding `contents` in one step: written beside it, then renamed.
absl::Status ReplaceFile(const std::string& path, const std::string& contents) {
  const std::string staged = path + ".new";
  {
    std::ofstream out(staged, std::ios::binary | std::ios::trunc);
    if (!(out << contents) || !out.flush()) {
      return absl::InternalError(absl::StrCat("cannot write ", staged));
    }
  }
  // The folder is the owner's alone already; the key file is too.
  std::error_code error;
  std::filesystem::permissions(
      staged, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, error);
  if (!error) std::filesystem::rename(staged, path, error);
  if (error) {
    return absl::InternalError(absl::StrCat("cannot replace ", path, ": ", error.message()));
  }
  return absl::OkStatus();
}

// A new folder only this user may enter, under TMPDIR (or /tmp).
absl::StatusOr<std::string> MakePrivateFolder() {
  std::error_code error;
  const std::filesystem::path temp = std::filesystem::temp_directory_path(error);
  std::string folder = ((error ? "/tmp" : temp) / "tasks-server-tls-XXXXXX").string();
  if (mkdtemp(folder.data()) == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", folder, " for the checked copy of the TLS files (",
                     std::strerror(errno), "); point TMPDIR at a writable folder"));
  }
  return folder;
}

constexpr char kKey[] = "/tls.key";
constexpr char kCert[] = "/tls.crt";
constexpr char kClientCa[] = "/ca.crt";

}  // namespace

absl::StatusOr<std::unique_ptr<ServerTlsCredentials>> ServerTlsCredentials::Start(
    const TlsOptions& tls) {
  if (!tls.enabled()) {
    if (!tls.client_ca_file.empty()) {
      return absl::InvalidArgumentError(
          "a TLS client CA needs a server certificate and key (--tls_cert, --tls_key)");
    }
    return nullptr;
  }
  if (tls.cert_file.empty() || tls.key_file.empty()) {
    return absl::InvalidArgumentError(
        "TLS needs both a certificate and a key (--tls_cert, --tls_key)");
  }
  absl::StatusOr<std::string> folder = MakePrivateFolder();
  if (!folder.ok()) return folder.status();
  std::unique_ptr<ServerTlsCredentials> self(new ServerTlsCredentials(tls, *std::move(folder)));
  // What a refresh only logs, start-up refuses.
  if (absl::Status status = self->Refresh(); !status.ok()) return status;

  // The provider reads the copy now and every second, on a thread of its own, and hands what
  // changed to every listening port using these credentials.
  const TlsOptions copy = self->Copy();
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      copy.key_file, copy.cert_file, copy.client_ca_file, /*refresh_interval_sec=*/1);
  grpc::experimental::TlsServerCredentialsOptions options(std::move(provider));
  options.watch_identity_key_cert_pairs();
  options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  if (!tls.client_ca_file.empty()) {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  self->credentials_ = grpc::experimental::TlsServerCredentials(options);

  // At least a second between copies: see RefreshKeyAndCert.
  self->refresher_ =
      std::thread([raw = self.get(), interval = std::max(absl::Seconds(1), tls.refresh_interval)] {
        while (!raw->stop_.WaitForNotificationWithTimeout(interval)) raw->RefreshAndLog();
      });
  return self;
}

ServerTlsCredentials::ServerTlsCredentials(const TlsOptions& originals, std::string folder)
    : originals_(originals), folder_(std::move(folder)) {}

ServerTlsCredentials::~ServerTlsCredentials() {
  stop_.Notify();
  if (refresher_.joinable()) refresher_.join();
  credentials_.reset();  // the provider's own thread stops reading the copy
  std::error_code ignored;
  std::filesystem::remove_all(folder_, ignored);
}

TlsOptions ServerTlsCredentials::Copy() const {
  TlsOptions copy;
  copy.cert_file = folder_ + kCert;
  copy.key_file = folder_ + kKey;
  if (!originals_.client_ca_file.empty()) copy.client_ca_file = folder_ + kClientCa;
  return copy;
}

absl::Status ServerTlsCredentials::Refresh() {
  absl::Status status = RefreshKeyAndCert();
  status.Update(RefreshClientCa());
  return status;
}

absl::Status ServerTlsCredentials::RefreshKeyAndCert() {
  absl::StatusOr<KeyAndCert> read = ReadKeyAndCert(originals_);
  if (!read.ok()) return read.status();
  if (read->key == key_ && read->cert == cert_) return absl::OkStatus();
  // Two renames, so the provider may read one file before them and one after. It compares both
  // files' modification times (in seconds) before and after reading, and reads again when one
  // moved: copies at least a second apart always move them.
  const TlsOptions copy = Copy();
  if (absl::Status status = ReplaceFile(copy.key_file, read->key); !status.ok()) return status;
  if (absl::Status status = ReplaceFile(copy.cert_file, read->cert); !status.ok()) return status;
  if (!cert_.empty()) spdlog::info("TLS certificate {} reloaded", originals_.cert_file);
  key_ = std::move(read->key);
  cert_ = std::move(read->cert);
  return absl::OkStatus();
}

absl::Status ServerTlsCredentials::RefreshClientCa() {
  if (originals_.client_ca_file.empty()) return absl::OkStatus();
  absl::StatusOr<std::string> read = ReadCertificates(originals_.client_ca_file, "TLS client CA");
  if (!read.ok()) return read.status();
  if (*read == client_ca_) return absl::OkStatus();
  if (absl::Status status = ReplaceFile(Copy().client_ca_file, *read); !status.ok()) return status;
  if (!client_ca_.empty()) spdlog::info("TLS client CA {} reloaded", originals_.client_ca_file);
  client_ca_ = *std::move(read);
  return absl::OkStatus();
}

void ServerTlsCredentials::RefreshAndLog() {
  const absl::Status status = Refresh();
  if (status.ok()) {
    last_error_.clear();
  } else if (status.message() != last_error_) {
    last_error_ = std::string(status.message());
    spdlog::error("TLS files not reloaded, new connections still get the previous ones: {}",
                  last_error_);
  }
}

}  // namespace tasks::service
