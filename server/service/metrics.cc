#include "server/service/metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "server/common/version.h"

namespace tasks::service {
namespace {

using grpc::experimental::InterceptionHookPoints;

std::string CodeName(int code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

// A label value: method paths and code names hold no quotes or backslashes, but be safe.
std::string Label(absl::string_view value) {
  std::string escaped;
  for (char c : value) {
    if (c == '"' || c == '\\') escaped += '\\';
    escaped += c == '\n' ? 'n' : c;
  }
  return escaped;
}

void Header(std::string& out, absl::string_view name, absl::string_view type,
            absl::string_view help) {
  absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

// The process_* metrics of Prometheus' client libraries, from /proc/self: a scrape reads a few
// small files. Missing figures (no /proc) are left out.
void AppendProcessMetrics(std::string& out) {
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  // Fields after the command name, which may hold spaces but ends at the last ')'.
  const size_t name_end = stat.rfind(')');
  const std::vector<absl::string_view> fields =
      name_end == std::string::npos
          ? std::vector<absl::string_view>()
          : absl::StrSplit(absl::string_view(stat).substr(name_end + 2), ' ');
  // Counted from field 3 (state): utime 14, stime 15, starttime 22, vsize 23, rss 24.
  const auto field = [&fields](size_t number) -> double {
    double value = 0;
    return number - 3 < fields.size() && absl::SimpleAtod(fields[number - 3], &value) ? value : -1;
  };
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  const auto gauge = [&out](const char* name, const char* type, const char* help, double value) {
    if (value < 0) return;
    Header(out, name, type, help);
    // Whole digits: StrCat's six significant ones would round a start time to 100 seconds.
    absl::StrAppend(&out, name, " ", absl::StrFormat("%.15g", value), "\n");
  };
  if (field(24) >= 0) {
    gauge("process_cpu_seconds_total", "counter", "User and system CPU time spent, in seconds.",
          (field(14) + field(15)) / ticks);
    gauge("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
          field(24) * page);
    gauge("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", field(23));
  }
  std::ifstream proc_stat("/proc/stat");
  std::string line;
  double boot_time = -1;
  while (std::getline(proc_stat, line)) {
    absl::string_view rest = line;
    if (absl::ConsumePrefix(&rest, "btime ") && !absl::SimpleAtod(rest, &boot_time)) {
      boot_time = -1;
    }
  }
  if (boot_time >= 0 && field(22) >= 0) {
    gauge("process_start_time_seconds", "gauge",
          "Start time of the process since the Unix epoch, in seconds.",
          boot_time + field(22) / ticks);
  }
  std::error_code error;
  double fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", error), end; !error && it != end;
       it.increment(error)) {
    ++fds;
  }
  gauge("process_open_fds", "gauge", "Open file descriptors.", error ? -1 : fds);
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    gauge("process_max_fds", "gauge", "Most file descriptors the process may open.",
          static_cast<double>(limit.rlim_cur));
  }
}

}  // namespace

// One per call: created when the call starts, destroyed when gRPC is done with it.
class RpcMetrics::Interceptor final : public grpc::experimental::Interceptor {
 public:
  Interceptor(RpcMetrics* metrics, int method)
      : metrics_(metrics), method_(method), start_(absl::Now()) {
    metrics_->in_flight_.fetch_add(1, std::memory_order_relaxed);
  }
  ~Interceptor() override {
    metrics_->Record(method_, code_, absl::Now() - start_);
    metrics_->in_flight_.fetch_sub(1, std::memory_order_relaxed);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      code_ = methods->GetSendStatus().error_code();
    }
    methods->Proceed();
  }

 private:
  RpcMetrics* const metrics_;
  const int method_;
  const absl::Time start_;
  // A call that ends without sending a status was cancelled (by the client or its deadline).
  grpc::StatusCode code_ = grpc::StatusCode::CANCELLED;
};

class RpcMetrics::Factory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit Factory(RpcMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new Interceptor(metrics_, metrics_->MethodIndex(info->method()));
  }

 private:
  RpcMetrics* const metrics_;
};

RpcMetrics::RpcMetrics(const std::vector<std::string>& methods) {
  for (const std::string& path : methods) {
    index_.emplace(path, static_cast<int>(methods_.size()));
    methods_.push_back(std::make_unique<Method>());
    methods_.back()->name = path;
  }
  methods_.push_back(std::make_unique<Method>());
  methods_.back()->name = "other";
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
RpcMetrics::InterceptorFactory() {
  return std::make_unique<Factory>(this);
}

int RpcMetrics::MethodIndex(absl::string_view path) const {
  auto it = index_.find(path);
  return it == index_.end() ? static_cast<int>(methods_.size()) - 1 : it->second;
}

void RpcMetrics::Record(int method, grpc::StatusCode code, absl::Duration latency) {
  Method& counters = *methods_[method];
  const int code_index = std::clamp(static_cast<int>(code), 0, kCodes - 1);
  counters.calls[code_index].fetch_add(1, std::memory_order_relaxed);
  const double seconds = absl::ToDoubleSeconds(latency);
  const size_t bucket =
      std::lower_bound(kBuckets.begin(), kBuckets.end(), seconds) - kBuckets.begin();
  counters.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  counters.latency_micros.fetch_add(absl::ToInt64Microseconds(latency), std::memory_order_relaxed);
}

std::string RpcMetrics::Render(const ServerFigures& figures) const {
  std::string out;
  Header(out, "tasks_build_info", "gauge", "The binary's version and source commit (always 1).");
  absl::StrAppend(&out, "tasks_build_info{version=\"", Label(Version()), "\",commit=\"",
                  Label(Commit()), "\"} 1\n");
  Header(out, "tasks_registry_info", "gauge",
         "The fingerprint of each generation's registry data answering calls (always 1): "
         "replicas whose fingerprints for one generation differ answer from different data.");
  for (const auto& [generation, fingerprint] : figures.registry_fingerprints) {
    absl::StrAppend(&out, "tasks_registry_info{generation=\"", Label(generation),
                    "\",fingerprint=\"", Label(fingerprint), "\"} 1\n");
  }
  const std::pair<const char*, int64_t> workers[] = {
      {"queued", static_cast<int64_t>(figures.workers.queued)},
      {"busy", figures.workers.busy},
      {"threads", figures.workers.threads}};
  for (const auto& [name, value] : workers) {
    const std::string metric = absl::StrCat("tasks_worker_", name);
    Header(out, metric, "gauge",
           absl::StrCat("Work that waits on the Hub or files: ", name,
                        " (queued: waiting for one of the threads)."));
    absl::StrAppend(&out, metric, " ", value, "\n");
  }
  AppendProcessMetrics(out);
  Header(out, "tasks_rpc_calls_total", "counter", "Calls finished, by method and status code.");
  for (const auto& method : methods_) {
    for (int code = 0; code < kCodes; ++code) {
      const int64_t calls = method->calls[code].load(std::memory_order_relaxed);
      if (calls == 0) continue;
      absl::StrAppend(&out, "tasks_rpc_calls_total{method=\"", Label(method->name), "\",code=\"",
                      CodeName(code), "\"} ", calls, "\n");
    }
  }
  Header(out, "tasks_rpc_latency_seconds", "histogram",
         "Time from a call's start to its end, by method.");
  for (const auto& method : methods_) {
    int64_t cumulative = 0;
    for (size_t i = 0; i <= kBuckets.size(); ++i) {
      cumulative += method->buckets[i].load(std::memory_order_relaxed);
      if (cumulative == 0 && i < kBuckets.size()) continue;  // leading empty buckets
      const std::string bound = i < kBuckets.size() ? absl::StrCat(kBuckets[i]) : "+Inf";
      absl::StrAppend(&out, "tasks_rpc_latency_seconds_bucket{method=\"", Label(method->name),
                      "\",le=\"", bound, "\"} ", cumulative, "\n");
    }
    if (cumulative == 0) continue;
    absl::StrAppend(&out, "tasks_rpc_latency_seconds_sum{method=\"", Label(method->name), "\"} ",
                    method->latency_micros.load(std::memory_order_relaxed) / 1e6, "\n",
                    "tasks_rpc_latency_seconds_count{method=\"", Label(method->name), "\"} ",
                    cumulative, "\n");
  }
  Header(out, "tasks_rpc_in_flight", "gauge", "Calls started and not yet finished.");
  absl::StrAppend(&out, "tasks_rpc_in_flight ", in_flight_.load(std::memory_order_relaxed), "\n");
  if (figures.hub_cache == nullptr) return out;
  const AnswerMemoStats* answers = figures.answers;
  hub::HubCacheStats totals = *figures.hub_cache;
  if (answers != nullptr) AddTo(*answers, totals);
  const hub::HubCacheStats* cache = &totals;

  const std::pair<const char*, int64_t> counters[] = {{"hits", cache->hits},
                                                      {"misses", cache->misses},
                                                      {"coalesced", cache->coalesced},
                                                      {"stale_served", cache->stale_served},
                                                      {"derived_hits", answers ? answers->hits : 0},
                                                      {"evictions", cache->evictions}};
  for (const auto& [name, value] : counters) {
    const std::string metric = absl::StrCat("tasks_hub_cache_", name, "_total");
    Header(out, metric, "counter", absl::StrCat("Hub cache ", name, "."));
    absl::StrAppend(&out, metric, " ", value, "\n");
  }
  const std::pair<const char*, int64_t> fleet_counters[] = {
      {"hits", cache->shared_hits},
      {"misses", cache->shared_misses},
      {"errors", cache->shared.errors},
      {"skipped", cache->shared.skipped},
      {"rejected", cache->shared.rejected},
      {"lease_waits", cache->lease_waits},
      {"lease_takeovers", cache->lease_takeovers}};
  for (const auto& [name, value] : fleet_counters) {
    const std::string metric = absl::StrCat("tasks_fleet_cache_", name, "_total");
    Header(out, metric, "counter", absl::StrCat("Fleet cache (Redis) ", name, "."));
    absl::StrAppend(&out, metric, " ", value, "\n");
  }
  const std::pair<const char*, int64_t> gauges[] = {{"entries", cache->entries},
                                                    {"bytes", cache->bytes}};
  for (const auto& [name, value] : gauges) {
    const std::string metric = absl::StrCat("tasks_hub_cache_", name);
    Header(out, metric, "gauge", absl::StrCat("Hub cache ", name, " held."));
    absl::StrAppend(&out, metric, " ", value, "\n");
  }
  Header(out, "tasks_hub_upstream_requests_total", "counter",
         "Requests to the Hub, by endpoint and outcome.");
  for (const auto& [key, count] : cache->upstream) {
    absl::StrAppend(&out, "tasks_hub_upstream_requests_total{endpoint=\"",
                    hub::HubCallName(key.first), "\",status=\"",
                    absl::StatusCodeToString(key.second), "\"} ", count, "\n");
  }
  return out;
}

}  // namespace tasks::service
