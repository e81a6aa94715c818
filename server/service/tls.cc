#include "server/service/tls.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "openssl/bio.h"
#include "openssl/pem.h"
#include "openssl/x509.h"

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

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsOptions& tls) {
  if (!tls.enabled()) {
    if (!tls.client_ca_file.empty()) {
      return absl::InvalidArgumentError(
          "a TLS client CA needs a server certificate and key (--tls_cert, --tls_key)");
    }
    return grpc::InsecureServerCredentials();
  }
  if (tls.cert_file.empty() || tls.key_file.empty()) {
    return absl::InvalidArgumentError(
        "TLS needs both a certificate and a key (--tls_cert, --tls_key)");
  }
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

  grpc::SslServerCredentialsOptions options(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  if (!tls.client_ca_file.empty()) {
    absl::StatusOr<std::string> client_ca = ReadCertificates(tls.client_ca_file, "TLS client CA");
    if (!client_ca.ok()) return client_ca.status();
    options.pem_root_certs = *std::move(client_ca);
    options.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  options.pem_key_cert_pairs.push_back({*std::move(key), *std::move(cert)});
  return grpc::SslServerCredentials(options);
}

}  // namespace tasks::service
