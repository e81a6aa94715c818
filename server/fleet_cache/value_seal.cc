#include "server/fleet_cache/value_seal.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace tasks::fleet_cache {
namespace {

// HMAC-SHA256 of the concatenation of `parts` under `key`.
std::string Hmac(absl::string_view key, std::initializer_list<absl::string_view> parts) {
  std::string message;
  for (absl::string_view part : parts) absl::StrAppend(&message, part);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

// The key for one purpose, derived from a secret: one secret may serve both purposes without a
// MAC of one kind ever being one of the other.
std::string DeriveKey(absl::string_view secret, absl::string_view purpose) {
  if (secret.empty()) return "";
  return Hmac(secret, {"tasks-server fleet cache ", purpose});
}

// The MAC's input: the key's length first, so that no (key, value) pair reads as another.
std::string MacOf(absl::string_view mac_key, absl::string_view key, absl::string_view value) {
  const std::string length = absl::StrCat(key.size(), ":");
  return Hmac(mac_key, {length, key, value});
}

}  // namespace

ValueSeal::ValueSeal(absl::string_view value_secret, absl::string_view partition_secret)
    : value_key_(DeriveKey(value_secret, "value mac")),
      partition_key_(DeriveKey(partition_secret, "token partition")) {}

std::string ValueSeal::Seal(absl::string_view key, absl::string_view value) const {
  return absl::StrCat(value, MacOf(value_key_, key, value));
}

std::optional<absl::string_view> ValueSeal::Open(absl::string_view key,
                                                 absl::string_view sealed) const {
  if (sealed.size() < kMacBytes) return std::nullopt;
  const absl::string_view value = sealed.substr(0, sealed.size() - kMacBytes);
  const std::string expected = MacOf(value_key_, key, value);
  if (CRYPTO_memcmp(expected.data(), sealed.data() + value.size(), kMacBytes) != 0) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> ValueSeal::TokenPartition(absl::string_view token) const {
  if (partition_key_.empty()) return std::nullopt;
  return absl::BytesToHexString(Hmac(partition_key_, {token}));
}

}  // namespace tasks::fleet_cache
