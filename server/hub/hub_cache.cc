#include "server/hub/hub_cache.h"

#include <openssl/hmac.h>
#include <openssl/rand.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "server/common/cancellation.h"
#include "server/common/memory_only.h"

namespace tasks::hub {

struct HubCache::Entry {
  absl::StatusOr<Value> answer;
  size_t bytes = 0;
  bool expires = true;
  absl::Time fetched;
  std::list<std::string>::iterator lru_position;
  std::weak_ptr<const void> derived_from;  // a derived answer's model info; else empty
};

// One upstream request and the callers waiting for it, its owner (who makes the request) among
// them. As a Cancellation it tells the HTTP client when every one of them has gone (cancelled, or
// past its deadline): then nobody wants the answer and the request is abandoned.
struct HubCache::Flight final : Cancellation {
  struct Waiter {
    const Cancellation* cancellation;  // null: the caller cannot cancel
    absl::Time deadline;
  };

  std::list<Waiter>::iterator Join(const Cancellation* cancellation, absl::Time deadline) {
    absl::MutexLock lock(&waiters_mutex);
    return waiters.insert(waiters.end(), {cancellation, deadline});
  }
  void Leave(std::list<Waiter>::iterator waiter) {
    absl::MutexLock lock(&waiters_mutex);
    waiters.erase(waiter);
  }
  bool cancelled() const override {
    const absl::Time now = absl::Now();
    absl::MutexLock lock(&waiters_mutex);
    return std::all_of(waiters.begin(), waiters.end(), [now](const Waiter& waiter) {
      return now >= waiter.deadline ||
             (waiter.cancellation != nullptr && waiter.cancellation->cancelled());
    });
  }

  // Guarded by HubCache::mutex_.
  bool done = false;
  absl::StatusOr<CachedAnswer<void>> answer = absl::UnknownError("in flight");

  // Apart from the cache's mutex: the HTTP client asks cancelled() many times per request.
  mutable absl::Mutex waiters_mutex;
  std::list<Waiter> waiters ABSL_GUARDED_BY(waiters_mutex);
};

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

// What the byte bound counts is what the heap holds, allocator overhead included, so that RSS
// follows the bound: a string's buffer beyond its small-string capacity, a node per container
// element, and the 16 bytes glibc's malloc adds to each block.
constexpr size_t kMallocOverhead = 16;

size_t StringBytes(const std::string& text) { return sizeof(std::string) + StringHeapBytes(text); }

// A parsed JSON value: nlohmann::json keeps objects as std::map (a node per member) and strings
// and arrays on the heap.
size_t JsonBytes(const nlohmann::json& value) {
  constexpr size_t kMapNode = 32 + kMallocOverhead;  // red-black tree links and colour
  size_t bytes = sizeof(nlohmann::json);
  switch (value.type()) {
    case nlohmann::json::value_t::object:
      bytes += sizeof(nlohmann::json::object_t) + kMallocOverhead;
      for (const auto& [key, member] : value.items()) {
        bytes += kMapNode + StringBytes(key) + JsonBytes(member);
      }
      break;
    case nlohmann::json::value_t::array:
      bytes += sizeof(nlohmann::json::array_t) + kMallocOverhead;
      for (const nlohmann::json& element : value) bytes += JsonBytes(element);
      break;
    case nlohmann::json::value_t::string:
      bytes += StringBytes(value.get_ref<const std::string&>()) + kMallocOverhead;
      break;
    default:
      break;
  }
  return bytes;
}

size_t SizeOf(const ModelInfo& info) {
  size_t bytes = sizeof(ModelInfo) + StringHeapBytes(info.id) + StringHeapBytes(info.sha) +
                 JsonBytes(info.config) + JsonBytes(info.transformers_info);
  for (const std::string& sibling : info.siblings) bytes += StringBytes(sibling);
  return bytes;
}

std::string RandomKey() {
  unsigned char key[32];
  RAND_bytes(key, sizeof(key));
  return std::string(reinterpret_cast<const char*>(key), sizeof(key));
}

}  // namespace

const char* AnswerSourceName(AnswerSource source) {
  switch (source) {
    case AnswerSource::kHub:
      return "hub";
    case AnswerSource::kCache:
      return "cache";
    case AnswerSource::kStaleCache:
      return "stale-cache";
  }
  return "hub";
}

size_t StringHeapBytes(const std::string& text) {
  constexpr size_t kSmallString = 15;  // libstdc++ keeps up to this many characters inline
  return text.capacity() <= kSmallString ? 0 : text.capacity() + 1 + kMallocOverhead;
}

void ReleaseFreedMemory() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

HubCache::HubCache(HubClient* client, HubCacheOptions options)
    : client_(client), options_(std::move(options)), partition_key_(RandomKey()) {}

HubCache::~HubCache() = default;

std::pair<std::string, std::string> HubCache::Keys(absl::string_view what,
                                                   const Credentials& credentials) const {
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
  return {absl::StrCat("shared|", what), absl::StrCat(partition, "|", what)};
}

// The typed face of Lookup: `fetch` gets a T, `is_shared` and `size_of` look at one.
template <typename T, typename Fetch, typename IsShared, typename SizeOf>
absl::StatusOr<CachedAnswer<T>> HubCache::Get(const std::string& what,
                                              const Credentials& credentials, absl::Time deadline,
                                              const char* endpoint, bool expires, Fetch fetch,
                                              IsShared is_shared, SizeOf size_of) {
  Fetcher fetcher{endpoint, expires,
                  [&]() -> absl::StatusOr<Value> {
                    absl::StatusOr<T> value = fetch();
                    if (!value.ok()) return value.status();
                    return std::make_shared<const T>(*std::move(value));
                  },
                  [&](const void* value) { return is_shared(*static_cast<const T*>(value)); },
                  [&](const void* value) { return size_of(*static_cast<const T*>(value)); }};
  absl::StatusOr<CachedAnswer<void>> answer = Lookup(Keys(what, credentials), deadline, fetcher);
  if (!answer.ok()) return answer.status();
  return CachedAnswer<T>{std::static_pointer_cast<const T>(answer->value), answer->source};
}

absl::StatusOr<CachedAnswer<ModelInfo>> HubCache::GetModelInfo(absl::string_view repo_id,
                                                               absl::string_view revision,
                                                               const Credentials& credentials,
                                                               absl::Time deadline) {
  return Get<ModelInfo>(
      absl::StrCat("info|", repo_id, "@", revision), credentials, deadline, "model_info",
      /*expires=*/true,
      [&] { return client_->GetModelInfo(repo_id, revision, credentials, deadline); },
      [](const ModelInfo& info) { return !info.is_private && !info.gated; },
      [](const ModelInfo& info) { return SizeOf(info); });
}

absl::StatusOr<CachedAnswer<nlohmann::json>> HubCache::GetJsonFile(
    absl::string_view repo_id, absl::string_view sha, absl::string_view path, bool shared,
    const Credentials& credentials, absl::Time deadline, const JsonParser& parse) {
  return Get<nlohmann::json>(
      absl::StrCat("file|", repo_id, "@", sha, "/", path), credentials, deadline, "resolve",
      /*expires=*/false,
      [&]() -> absl::StatusOr<nlohmann::json> {
        absl::StatusOr<std::string> text =
            client_->GetFile(repo_id, sha, path, credentials, deadline);
        if (!text.ok()) return text.status();
        return parse(*text);
      },
      [shared](const nlohmann::json&) { return shared; }, JsonBytes);
}

absl::StatusOr<CachedAnswer<std::vector<std::string>>> HubCache::ListRepoFiles(
    absl::string_view repo_id, absl::string_view sha, bool shared, const Credentials& credentials,
    absl::Time deadline) {
  return Get<std::vector<std::string>>(
      absl::StrCat("tree|", repo_id, "@", sha), credentials, deadline, "tree",
      /*expires=*/false,
      [&]() -> absl::StatusOr<std::vector<std::string>> {
        absl::StatusOr<std::vector<std::string>> files =
            client_->ListRepoFiles(repo_id, sha, credentials, deadline);
        if (files.ok()) std::sort(files->begin(), files->end());  // once, not per opening
        return files;
      },
      [shared](const std::vector<std::string>&) { return shared; },
      [](const std::vector<std::string>& files) {
        size_t bytes = 0;
        for (const std::string& file : files) bytes += sizeof(std::string) + file.size();
        return bytes;
      });
}

namespace {

// A derived answer's key: by the address of its model info, which the entry's `derived_from`
// then confirms (an address can be reused once its object is gone).
std::string DerivedKey(const ModelInfo* info, absl::string_view what) {
  return absl::StrCat("derived|", absl::Hex(reinterpret_cast<uintptr_t>(info)), "|", what);
}

}  // namespace

std::shared_ptr<const void> HubCache::FindDerivedValue(const std::shared_ptr<const ModelInfo>& info,
                                                       absl::string_view what) {
  const std::string key = DerivedKey(info.get(), what);
  absl::MutexLock lock(&mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  const std::weak_ptr<const void>& from = it->second->derived_from;
  if (from.owner_before(info) || info.owner_before(from)) return nullptr;
  ++stats_.derived_hits;
  lru_.splice(lru_.begin(), lru_, it->second->lru_position);
  return *it->second->answer;
}

void HubCache::StoreDerivedValue(const std::shared_ptr<const ModelInfo>& info,
                                 absl::string_view what, std::shared_ptr<const void> answer,
                                 size_t bytes) {
  const std::string key = DerivedKey(info.get(), what);
  // The answer's own block, shared with its control block (make_shared); and the model info's
  // allocation (not what its members hold), which the weak reference keeps after the model info
  // itself is evicted.
  constexpr size_t kControlBlock = 16;
  bytes += kControlBlock + kMallocOverhead + sizeof(ModelInfo);
  bool release_memory = false;
  {
    absl::MutexLock lock(&mutex_);
    Store(key, std::move(answer), bytes, /*expires=*/false, info);
    release_memory = TakeReleaseTurn();
  }
  if (release_memory) options_.release_freed_memory();
}

bool HubCache::TakeReleaseTurn() {
  if (!evicted_since_release_ || options_.now() - last_release_ < options_.release_interval) {
    return false;
  }
  evicted_since_release_ = false;
  last_release_ = options_.now();
  return true;
}

bool HubCache::IsFresh(const Entry& entry, absl::Time now) const {
  if (!entry.answer.ok()) return now - entry.fetched < options_.negative_ttl;
  return !entry.expires || now - entry.fetched < options_.model_info_ttl;
}

absl::StatusOr<CachedAnswer<void>> HubCache::Lookup(const std::pair<std::string, std::string>& keys,
                                                    absl::Time deadline, const Fetcher& fetcher) {
  const Cancellation* const caller = CancellationScope::Current();
  for (;;) {
    std::shared_ptr<Flight> flight;
    bool owner = false;
    std::list<Flight::Waiter>::iterator waiter;
    {
      absl::MutexLock lock(&mutex_);
      const absl::Time now = options_.now();
      for (const std::string* key : {&keys.first, &keys.second}) {
        auto it = entries_.find(*key);
        if (it == entries_.end() || !IsFresh(*it->second, now)) continue;
        ++stats_.hits;
        lru_.splice(lru_.begin(), lru_, it->second->lru_position);
        if (!it->second->answer.ok()) return it->second->answer.status();
        return CachedAnswer<void>{*it->second->answer, AnswerSource::kCache};
      }
      // Not in memory: fetching it, or waiting for whoever is, blocks.
      if (MemoryOnlyScope::RefuseToBlock()) return WouldBlockError();
      // Callers with different credentials never share a request: until the answer arrives,
      // nobody knows whether it may be shared.
      auto [it, inserted] = flights_.try_emplace(keys.second);
      if (inserted) {
        it->second = std::make_shared<Flight>();
        ++stats_.misses;
        owner = true;
      } else {
        ++stats_.coalesced;
      }
      flight = it->second;
      waiter = flight->Join(caller, deadline);  // before the request starts: it is wanted
    }
    absl::StatusOr<CachedAnswer<void>> answer =
        owner ? MakeRequest(keys, *flight, fetcher) : AwaitRequest(*flight, caller, deadline);
    flight->Leave(waiter);
    // A request cut short by its owner's deadline or cancellation says nothing about the Hub: a
    // caller with time left asks again, and makes the request itself if nobody else is.
    const bool cut_short =
        absl::IsDeadlineExceeded(answer.status()) || absl::IsCancelled(answer.status());
    if (owner || !cut_short || absl::Now() >= deadline ||
        (caller != nullptr && caller->cancelled())) {
      return answer;
    }
  }
}

absl::StatusOr<CachedAnswer<void>> HubCache::MakeRequest(
    const std::pair<std::string, std::string>& keys, Flight& flight, const Fetcher& fetcher) {
  const auto& [shared_key, private_key] = keys;
  absl::StatusOr<Value> fetched = absl::UnknownError("unset");
  {
    CancellationScope upstream(&flight);  // the HTTP client gives up when every waiter has gone
    fetched = fetcher.fetch();
  }
  absl::StatusOr<CachedAnswer<void>> answer = absl::UnknownError("unset");
  bool release_memory = false;
  {
    absl::MutexLock lock(&mutex_);
    ++stats_.upstream[absl::StrCat(fetcher.endpoint, " ",
                                   absl::StatusCodeToString(fetched.status().code()))];
    if (fetched.ok()) {
      const bool shared = fetcher.is_shared(fetched->get());
      Store(shared ? shared_key : private_key, *fetched, fetcher.size_of(fetched->get()),
            fetcher.expires);
      answer = CachedAnswer<void>{*fetched, AnswerSource::kHub};
    } else {
      answer = fetched.status();
    }
    if (absl::IsNotFound(fetched.status())) {
      Store(private_key, fetched.status(), 0, true);
    } else if (IsTransient(fetched.status())) {
      // Stale-if-error: an expired answer this caller could see.
      for (const std::string* key : {&shared_key, &private_key}) {
        auto it = entries_.find(*key);
        if (it == entries_.end() || !it->second->answer.ok()) continue;
        if (options_.now() - it->second->fetched > options_.max_stale) continue;
        ++stats_.stale_served;
        answer = CachedAnswer<void>{*it->second->answer, AnswerSource::kStaleCache};
        break;
      }
    }
    flight.answer = answer;
    flight.done = true;
    flights_.erase(private_key);
    release_memory = TakeReleaseTurn();
  }
  // Outside the lock: giving pages back walks the allocator's free lists.
  if (release_memory) options_.release_freed_memory();
  return answer;
}

absl::StatusOr<CachedAnswer<void>> HubCache::AwaitRequest(Flight& flight,
                                                          const Cancellation* caller,
                                                          absl::Time deadline) {
  // A caller that may cancel wakes now and then to see whether it has; waking is cheap, and an
  // abandoned call would otherwise hold its thread until the request ends.
  constexpr absl::Duration kCancellationPoll = absl::Milliseconds(100);
  absl::MutexLock lock(&mutex_);
  auto done = [&flight]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return flight.done; };
  for (;;) {
    const absl::Time wake =
        caller == nullptr ? deadline : std::min(deadline, absl::Now() + kCancellationPoll);
    if (mutex_.AwaitWithDeadline(absl::Condition(&done), wake)) return flight.answer;
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          "deadline exceeded while waiting for another caller's Hub request");
    }
    if (caller != nullptr && caller->cancelled()) {
      return absl::CancelledError("the call was cancelled while waiting for a Hub request");
    }
  }
}

void HubCache::Store(const std::string& key, absl::StatusOr<Value> answer, size_t bytes,
                     bool expires, std::weak_ptr<const void> derived_from) {
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    stats_.bytes -= static_cast<int64_t>(it->second->bytes);
    lru_.erase(it->second->lru_position);
    entries_.erase(it);
  }
  // The key is held twice (index and LRU list), each entry has its index slot, list node and
  // the answer's shared_ptr control block.
  constexpr size_t kEntryOverhead = 64 + 3 * kMallocOverhead;
  bytes += 2 * StringBytes(key) + sizeof(Entry) + kEntryOverhead;
  if (bytes > options_.max_bytes) return;  // would evict everything else; not worth keeping
  lru_.push_front(key);
  auto entry = std::make_unique<Entry>();
  entry->answer = std::move(answer);
  entry->bytes = bytes;
  entry->expires = expires;
  entry->fetched = options_.now();
  entry->lru_position = lru_.begin();
  entry->derived_from = std::move(derived_from);
  entries_[key] = std::move(entry);
  stats_.bytes += static_cast<int64_t>(bytes);
  while (static_cast<size_t>(stats_.bytes) > options_.max_bytes && !lru_.empty()) {
    auto victim = entries_.find(lru_.back());
    stats_.bytes -= static_cast<int64_t>(victim->second->bytes);
    entries_.erase(victim);
    lru_.pop_back();
    ++stats_.evictions;
    evicted_since_release_ = true;
  }
  stats_.entries = static_cast<int64_t>(entries_.size());
}

HubCacheStats HubCache::Stats() const {
  absl::MutexLock lock(&mutex_);
  return stats_;
}

}  // namespace tasks::hub
