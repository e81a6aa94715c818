#include "server/hub/hub_cache.h"

#include <openssl/hmac.h>
#include <openssl/rand.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <algorithm>
#include <type_traits>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/common/heap_bytes.h"

namespace tasks::hub {
namespace {

// Errors after which an expired answer beats no answer.
bool IsTransient(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kInternal:
      return true;
    default:
      return false;
  }
}

// A parsed JSON value: nlohmann::json keeps objects as std::map (a node per member, out of
// reach: estimated), and strings, arrays and objects in blocks of their own.
size_t JsonBytes(const nlohmann::json& value) {
  using Json = nlohmann::json;
  constexpr size_t kMapNode = 32 + sizeof(Json::object_t::value_type) + kSmallBlockOverhead;
  size_t bytes = sizeof(Json);
  if (const auto* object = value.get_ptr<const Json::object_t*>()) {
    bytes += BlockBytes(object);
    for (const auto& [key, member] : *object) {
      bytes += kMapNode - sizeof(Json) + StringHeapBytes(key) + JsonBytes(member);
    }
  } else if (const auto* array = value.get_ptr<const Json::array_t*>()) {
    bytes += BlockBytes(array);
    if (array->capacity() > 0) bytes += BlockBytes(array->data()) - array->size() * sizeof(Json);
    for (const Json& element : *array) bytes += JsonBytes(element);
  } else if (const auto* text = value.get_ptr<const Json::string_t*>()) {
    bytes += BlockBytes(text) + StringHeapBytes(*text);
  }
  return bytes;
}

size_t ListingBytes(const std::vector<std::string>& files) {
  size_t bytes = sizeof(files) + (files.empty() ? 0 : BlockBytes(files.data()));
  for (const std::string& file : files) bytes += StringHeapBytes(file);
  return bytes;
}

size_t ModelInfoBytes(const ModelInfo& info) {
  return sizeof(ModelInfo) + StringHeapBytes(info.id) + StringHeapBytes(info.sha) +
         JsonBytes(info.config) - sizeof(nlohmann::json) + JsonBytes(info.transformers_info) -
         sizeof(nlohmann::json) + ListingBytes(info.siblings) - sizeof(info.siblings);
}

// What an answer holds: the block make_shared made for it and its control block, and beyond.
template <typename T>
size_t ValueBytes(const std::shared_ptr<const T>& value) {
  constexpr size_t kControlBlock = 16;
  size_t bytes = kControlBlock + kSmallBlockOverhead;
  if constexpr (std::is_same_v<T, ModelInfo>) bytes += ModelInfoBytes(*value);
  if constexpr (std::is_same_v<T, nlohmann::json>) bytes += JsonBytes(*value);
  if constexpr (std::is_same_v<T, std::vector<std::string>>) bytes += ListingBytes(*value);
  return bytes;
}

std::string RandomKey() {
  unsigned char key[32];
  RAND_bytes(key, sizeof(key));
  return std::string(reinterpret_cast<const char*>(key), sizeof(key));
}

}  // namespace

void ReleaseFreedMemory() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

HubCache::HubCache(HubClient* client, HubCacheOptions options)
    : client_(client),
      options_(std::move(options)),
      partition_key_(RandomKey()),
      store_(options_.max_bytes) {}

HubCache::Keys HubCache::KeysFor(absl::string_view what, const Credentials& credentials) const {
  std::string partition;
  if (!credentials.token.empty()) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), partition_key_.data(), static_cast<int>(partition_key_.size()),
         reinterpret_cast<const unsigned char*>(credentials.token.data()), credentials.token.size(),
         digest, &length);
    partition =
        absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
  }
  return {absl::StrCat("shared|", what), absl::StrCat(partition, "|", what), std::string(what),
          credentials.token};
}

HubCache::SharedKeys HubCache::SharedKeysFor(const Keys& keys) const {
  SharedKeys shared{absl::StrCat("public|", keys.what)};
  // Anonymous callers all get what the Hub shows anybody: one partition for them all.
  if (keys.token.empty()) {
    shared.own = absl::StrCat("anonymous|", keys.what);
  } else if (std::optional<std::string> partition = options_.shared->TokenPartition(keys.token)) {
    shared.own = absl::StrCat(*partition, "|", keys.what);
  }
  return shared;
}

template <typename T>
absl::StatusOr<CachedAnswer<T>> HubCache::Typed(absl::StatusOr<Found> answer) {
  if (!answer.ok()) return answer.status();
  return CachedAnswer<T>{std::get<std::shared_ptr<const T>>(answer->value), answer->source};
}

template <typename T>
Peeked<T> HubCache::Typed(std::optional<absl::StatusOr<Found>> answer) {
  if (!answer) return std::nullopt;
  return Typed<T>(*std::move(answer));
}

Peeked<ModelInfo> HubCache::PeekModelInfo(absl::string_view repo_id, absl::string_view revision,
                                          const Credentials& credentials) {
  return Typed<ModelInfo>(
      Peek(KeysFor(absl::StrCat("info|", repo_id, "@", revision), credentials)));
}

absl::StatusOr<CachedAnswer<ModelInfo>> HubCache::GetModelInfo(absl::string_view repo_id,
                                                               absl::string_view revision,
                                                               const Credentials& credentials,
                                                               const WaitLimits& limits) {
  const Question question{HubCall::kModelInfo, std::nullopt,
                          [&](const WaitLimits& upstream) -> absl::StatusOr<Value> {
                            absl::StatusOr<ModelInfo> info =
                                client_->GetModelInfo(repo_id, revision, credentials, upstream);
                            if (!info.ok()) return info.status();
                            return std::make_shared<const ModelInfo>(*std::move(info));
                          }};
  return Typed<ModelInfo>(
      Get(KeysFor(absl::StrCat("info|", repo_id, "@", revision), credentials), limits, question));
}

absl::StatusOr<CachedAnswer<nlohmann::json>> HubCache::GetJsonFile(
    absl::string_view repo_id, const ModelInfo& info, absl::string_view path,
    const Credentials& credentials, const WaitLimits& limits, const JsonParser& parse) {
  const Question question{HubCall::kResolve, IsPublic(info),
                          [&](const WaitLimits& upstream) -> absl::StatusOr<Value> {
                            absl::StatusOr<std::string> text =
                                client_->GetFile(repo_id, info.sha, path, credentials, upstream);
                            if (!text.ok()) return text.status();
                            absl::StatusOr<nlohmann::json> parsed = parse(*text);
                            if (!parsed.ok()) return parsed.status();
                            return std::make_shared<const nlohmann::json>(*std::move(parsed));
                          }};
  return Typed<nlohmann::json>(
      Get(KeysFor(absl::StrCat("file|", repo_id, "@", info.sha, "/", path), credentials), limits,
          question));
}

Peeked<std::vector<std::string>> HubCache::PeekRepoFiles(absl::string_view repo_id,
                                                         const ModelInfo& info,
                                                         const Credentials& credentials) {
  return Typed<std::vector<std::string>>(
      Peek(KeysFor(absl::StrCat("tree|", repo_id, "@", info.sha), credentials)));
}

absl::StatusOr<CachedAnswer<std::vector<std::string>>> HubCache::ListRepoFiles(
    absl::string_view repo_id, const ModelInfo& info, const Credentials& credentials,
    const WaitLimits& limits) {
  const Question question{
      HubCall::kTree, IsPublic(info), [&](const WaitLimits& upstream) -> absl::StatusOr<Value> {
        absl::StatusOr<std::vector<std::string>> files =
            client_->ListRepoFiles(repo_id, info.sha, credentials, upstream);
        if (!files.ok()) return files.status();
        std::sort(files->begin(), files->end());  // once, not per opening
        return std::make_shared<const std::vector<std::string>>(*std::move(files));
      }};
  return Typed<std::vector<std::string>>(
      Get(KeysFor(absl::StrCat("tree|", repo_id, "@", info.sha), credentials), limits, question));
}

bool HubCache::IsFresh(const LruStore<Stored>::Entry& entry, absl::Time now) const {
  if (!entry.value.answer.ok()) return now - entry.stored < options_.negative_ttl;
  return !entry.value.expires || now - entry.stored < options_.model_info_ttl;
}

std::optional<absl::StatusOr<HubCache::Value>> HubCache::FindFresh(const Keys& keys) {
  const absl::Time now = options_.now();
  for (const std::string* key : {&keys.shared, &keys.own}) {
    const LruStore<Stored>::Entry* entry = store_.Find(*key);
    if (entry != nullptr && IsFresh(*entry, now)) {
      ++stats_.hits;
      return entry->value.answer;
    }
  }
  return std::nullopt;
}

std::optional<absl::StatusOr<HubCache::Found>> HubCache::Peek(const Keys& keys) {
  absl::MutexLock lock(&mutex_);
  std::optional<absl::StatusOr<Value>> fresh = FindFresh(keys);
  if (!fresh) return std::nullopt;
  if (!fresh->ok()) return fresh->status();
  return Found{**fresh, AnswerSource::kCache};
}

absl::StatusOr<HubCache::Found> HubCache::Get(const Keys& keys, const WaitLimits& limits,
                                              const Question& question) {
  for (;;) {
    if (std::optional<absl::StatusOr<Found>> hit = Peek(keys)) return *std::move(hit);
    // A caller with an expired answer to fall back on waits for the Hub only until it must have
    // that answer in hand: it is served before its deadline, whoever's request it waits for.
    const WaitLimits wait =
        HasStale(keys) ? WaitLimits(AnswerBy(limits.deadline), limits.cancellation) : limits;
    // Callers with different credentials never share a request: until the answer arrives,
    // nobody knows whether it may be shared.
    Singleflight<Found>::Outcome outcome =
        flights_.Do(keys.own, wait,
                    [&](const WaitLimits& upstream) { return Fetch(keys, upstream, question); });
    if (IsTransient(outcome.result.status())) {
      if (std::optional<Found> stale = ServeStale(keys)) return *std::move(stale);
    }
    // A request cut short by its owner's deadline or cancellation says nothing about the Hub: a
    // caller with time left asks again, and makes the request itself if nobody else is.
    const bool cut_short = absl::IsDeadlineExceeded(outcome.result.status()) ||
                           absl::IsCancelled(outcome.result.status());
    if (!outcome.waited || !cut_short || wait.over()) return std::move(outcome.result);
  }
}

absl::Time HubCache::AnswerBy(absl::Time deadline) const {
  const absl::Duration left = std::max(deadline - absl::Now(), absl::ZeroDuration());
  return deadline - std::min(options_.stale_answer_margin, left / 2);
}

std::optional<HubCache::Value> HubCache::FindStale(const Keys& keys) const {
  for (const std::string* key : {&keys.shared, &keys.own}) {
    const LruStore<Stored>::Entry* entry = store_.Peek(*key);
    if (entry == nullptr || !entry->value.answer.ok()) continue;
    if (options_.now() - entry->stored > options_.max_stale) continue;
    return *entry->value.answer;
  }
  return std::nullopt;
}

bool HubCache::HasStale(const Keys& keys) const {
  absl::MutexLock lock(&mutex_);
  return FindStale(keys).has_value();
}

std::optional<HubCache::Found> HubCache::ServeStale(const Keys& keys) {
  absl::MutexLock lock(&mutex_);
  std::optional<Value> stale = FindStale(keys);
  if (!stale) return std::nullopt;
  ++stats_.stale_served;
  return Found{*std::move(stale), AnswerSource::kStaleCache};
}

absl::StatusOr<HubCache::Found> HubCache::Fetch(const Keys& keys, const WaitLimits& upstream,
                                                const Question& question) {
  {
    absl::MutexLock lock(&mutex_);
    // Answered between this caller's look and its turn to ask: no second request.
    if (std::optional<absl::StatusOr<Value>> fresh = FindFresh(keys)) {
      if (!fresh->ok()) return fresh->status();
      return Found{**fresh, AnswerSource::kCache};
    }
    ++stats_.misses;
  }
  std::optional<SharedKeys> shared_keys;
  if (options_.shared != nullptr) {
    shared_keys = SharedKeysFor(keys);
    if (std::optional<absl::StatusOr<Found>> found =
            FindShared(keys, *shared_keys, question, upstream)) {
      return *std::move(found);
    }
  }
  absl::StatusOr<Value> fetched = question.fetch(upstream);
  const absl::Time fetched_at = options_.now();
  bool release_memory = false;
  bool is_public = false;
  {
    absl::MutexLock lock(&mutex_);
    ++stats_.upstream[{question.call, fetched.status().code()}];
    const bool expires = question.call == HubCall::kModelInfo;
    if (fetched.ok()) {
      is_public = question.shared.has_value()
                      ? *question.shared
                      : IsPublic(*std::get<std::shared_ptr<const ModelInfo>>(*fetched));
      Store(is_public ? keys.shared : keys.own, *fetched, expires, fetched_at);
    } else if (absl::IsNotFound(fetched.status())) {
      Store(keys.own, fetched.status(), expires, fetched_at);
    }
    release_memory = TakeReleaseTurn();
  }
  if (shared_keys) PutShared(*shared_keys, fetched, is_public, question.call, fetched_at);
  // Outside the lock: giving pages back walks the allocator's free lists.
  if (release_memory) options_.release_freed_memory();
  if (!fetched.ok()) return fetched.status();
  return Found{*std::move(fetched), AnswerSource::kHub};
}

std::optional<absl::StatusOr<HubCache::Found>> HubCache::FindShared(const Keys& keys,
                                                                   SharedKeys& shared,
                                                                   const Question& question,
                                                                   const WaitLimits& limits) {
  SharedCache& cache = *options_.shared;
  bool waited = false;
  absl::Duration pause = options_.lease_poll_min;
  for (;;) {
    if (std::optional<absl::StatusOr<Found>> found = LookShared(keys, shared, question)) {
      return found;
    }
    if (!waited) {
      absl::MutexLock lock(&mutex_);
      ++stats_.shared_misses;
    }
    // A caller whose answers stay in memory has nobody in the fleet to coordinate with.
    if (!shared.own) return std::nullopt;
    switch (cache.TakeLease(LeaseKey(shared), options_.lease_ttl)) {
      case SharedCache::Lease::kOurs: {
        shared.lease = true;
        // The previous holder may have written its answer and let go between the look and the
        // lease: one more look, so that the fleet asks the Hub once.
        if (std::optional<absl::StatusOr<Found>> found = LookShared(keys, shared, question)) {
          cache.ReleaseLease(LeaseKey(shared));
          return found;
        }
        if (waited) {
          absl::MutexLock lock(&mutex_);
          ++stats_.lease_takeovers;
        }
        return std::nullopt;
      }
      case SharedCache::Lease::kUnavailable:
        return std::nullopt;
      case SharedCache::Lease::kHeld:
        break;
    }
    if (!waited) {
      absl::MutexLock lock(&mutex_);
      ++stats_.lease_waits;
      waited = true;
    }
    if (absl::Now() + pause >= limits.deadline) {
      return absl::DeadlineExceededError(
          "deadline exceeded while waiting for another server's Hub request (fleet cache lease)");
    }
    if (limits.cancelled()) {
      return absl::CancelledError("the call was cancelled while waiting for another server's "
                                  "Hub request (fleet cache lease)");
    }
    absl::SleepFor(pause);
    pause = std::min(pause * 2, options_.lease_poll_max);
  }
}

std::optional<absl::StatusOr<HubCache::Found>> HubCache::LookShared(const Keys& keys,
                                                                   const SharedKeys& shared,
                                                                   const Question& question) {
  std::vector<std::string> names = {shared.shared};
  if (shared.own) names.push_back(*shared.own);
  const std::vector<std::optional<std::string>> values = options_.shared->Get(names);
  for (size_t i = 0; i < values.size(); ++i) {
    if (!values[i]) continue;
    std::optional<DecodedAnswer> decoded = DecodeAnswer(*values[i], question.call);
    if (!decoded) continue;  // another format version, or another kind of answer: a miss
    // A public answer only under the public key: a value that says otherwise is not served.
    const bool under_public_key = i == 0;
    if (decoded->answer.ok() && question.call == HubCall::kModelInfo &&
        IsPublic(*std::get<std::shared_ptr<const ModelInfo>>(*decoded->answer)) !=
            under_public_key) {
      continue;
    }
    if (!decoded->answer.ok() && under_public_key) continue;  // errors are never shared
    // Freshness counts from the fetch, wherever it was made (a clock ahead: from now).
    const absl::Time fetched = std::min(decoded->fetched, options_.now());
    absl::MutexLock lock(&mutex_);
    ++stats_.shared_hits;
    Store(under_public_key ? keys.shared : keys.own, decoded->answer,
          question.call == HubCall::kModelInfo, fetched);
    if (!decoded->answer.ok()) return decoded->answer.status();
    return absl::StatusOr<Found>(Found{*std::move(decoded->answer), AnswerSource::kCache});
  }
  return std::nullopt;
}

void HubCache::PutShared(const SharedKeys& shared, const absl::StatusOr<Value>& fetched,
                         bool is_public, HubCall call, absl::Time when) {
  const std::string* key = nullptr;
  absl::Duration ttl = options_.negative_ttl;
  if (fetched.ok()) {
    key = is_public ? &shared.shared : (shared.own ? &*shared.own : nullptr);
    ttl = call == HubCall::kModelInfo ? options_.model_info_ttl : options_.shared_immutable_ttl;
  } else if (absl::IsNotFound(fetched.status()) && shared.own) {
    key = &*shared.own;
  }
  if (key != nullptr && ttl > absl::ZeroDuration()) {
    options_.shared->Put(*key, EncodeAnswer(fetched, when), ttl);
  }
  // Written or not, waiters look again now: for the answer, or to take the lease and ask.
  if (shared.lease) options_.shared->ReleaseLease(LeaseKey(shared));
}

std::string HubCache::LeaseKey(const SharedKeys& shared) {
  return absl::StrCat("lease|", *shared.own);
}

void HubCache::Store(const std::string& key, absl::StatusOr<Value> answer, bool expires,
                     absl::Time fetched) {
  const size_t bytes =
      answer.ok() ? std::visit([](const auto& value) { return ValueBytes(value); }, *answer) : 0;
  if (store_.Insert(key, Stored{std::move(answer), expires}, sizeof(Stored) + bytes, fetched) >
      0) {
    evicted_since_release_ = true;
  }
}

bool HubCache::TakeReleaseTurn() {
  if (!evicted_since_release_ || options_.now() - last_release_ < options_.release_interval) {
    return false;
  }
  evicted_since_release_ = false;
  last_release_ = options_.now();
  return true;
}

HubCacheStats HubCache::Stats() const {
  HubCacheStats stats;
  {
    absl::MutexLock lock(&mutex_);
    stats = stats_;
    stats.evictions = store_.evictions();
    stats.entries = static_cast<int64_t>(store_.size());
    stats.bytes = static_cast<int64_t>(store_.bytes());
  }
  stats.coalesced = flights_.joined();
  if (options_.shared != nullptr) stats.shared = options_.shared->Stats();
  return stats;
}

}  // namespace tasks::hub
