// tasks-server: loads the registries, serves optimum.tasks.v1.TasksManager until SIGTERM/SIGINT;
// SIGHUP reloads the registries.
// Every flag can also be set by an environment variable TASKS_<FLAG> (e.g. TASKS_LISTEN_ADDRESS);
// the Hugging Face variables (HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, HF_HUB_CACHE, ...) give the
// Hub flags their defaults, as huggingface_hub reads them. A flag on the command line wins.
#include <malloc.h>

#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/common/memory_limit.h"
#include "server/common/version.h"
#include "server/common/coalesced_runner.h"
#include "server/common/stop_signals.h"
#include "server/fleet_cache/redis_cache.h"
#include "server/flag_checks.h"
#include "server/hub/curl_hub_client.h"
#include "server/hub/hub_urls.h"
#include "server/hub/server_token.h"
#include "server/registry/registry_loader.h"
#include "server/service/host_port.h"
#include "server/service/logging.h"
#include "server/service/server.h"
#include "spdlog/spdlog.h"

namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

bool EnvTrue(const char* name) {
  const std::string value = absl::AsciiStrToLower(Env(name));
  return value == "1" || value == "true" || value == "yes" || value == "on";
}

// huggingface_hub's default cache folder (HF_HUB_CACHE, HUGGINGFACE_HUB_CACHE, HF_HOME/hub,
// XDG_CACHE_HOME/huggingface/hub, ~/.cache/huggingface/hub).
std::string DefaultHfCacheDir() {
  for (const char* name : {"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"}) {
    if (!Env(name).empty()) return Env(name);
  }
  if (!Env("HF_HOME").empty()) return Env("HF_HOME") + "/hub";
  if (!Env("XDG_CACHE_HOME").empty()) return Env("XDG_CACHE_HOME") + "/huggingface/hub";
  return Env("HOME").empty() ? "" : Env("HOME") + "/.cache/huggingface/hub";
}

std::string DefaultTokenFile() {
  if (!Env("HF_TOKEN_PATH").empty()) return Env("HF_TOKEN_PATH");
  if (!Env("HF_HOME").empty()) return Env("HF_HOME") + "/token";
  return Env("HOME").empty() ? "" : Env("HOME") + "/.cache/huggingface/token";
}

struct Flags {
  tasks::service::ServerOptions server;
  tasks::hub::CurlHubClientOptions hub;
  std::string log_level = "info";
  std::string log_format = "text";
  std::string call_log = "hub";
  std::string unix_socket_mode;  // octal; empty: as the umask leaves it
  double shutdown_grace_seconds = 10;
  std::string token_file = DefaultTokenFile();
  bool anonymous_uses_server_token = false;
  double model_info_ttl_seconds = 300;
  double hub_timeout_seconds = 30;
  size_t cache_max_bytes = 256 << 20;
  double stats_log_interval_seconds = 300;
  double keepalive_time_seconds = 60;
  double keepalive_timeout_seconds = 20;
  double max_connection_age_seconds = 300;
  double max_connection_age_grace_seconds = 30;
  double tls_refresh_interval_seconds = 60;
  // The fleet cache (Redis).
  std::string redis_address;
  std::string redis_password_file;
  std::string redis_key_prefix = "tasks:";
  double redis_timeout_seconds = 0.05;
  double redis_lease_ttl_seconds = 5;
  std::string cache_key_file;
  std::string redis_value_key_file;
};

// An option (a flag for booleans) readable from TASKS_<NAME> as well.
template <typename T>
CLI::Option* Add(CLI::App& app, const std::string& name, T& value, const std::string& help) {
  std::string env = "TASKS_" + absl::AsciiStrToUpper(name);
  if constexpr (std::is_same_v<T, bool>) {
    return app.add_flag("--" + name, value, help)->envname(env);
  } else {
    return app.add_option("--" + name, value, help)->envname(env)->capture_default_str();
  }
}

// Connections: see ServerOptions for why (headless Services, client-side round-robin).
void AddConnectionFlags(CLI::App& app, Flags& flags) {
  Add(app, "keepalive_time", flags.keepalive_time_seconds,
      "seconds of idleness before the server pings a connection (0: never)")
      ->check(tasks::flags::Seconds(/*zero_allowed=*/true));
  Add(app, "keepalive_timeout", flags.keepalive_timeout_seconds,
      "seconds a keepalive ping may go unanswered before the connection is closed")
      ->check(tasks::flags::Seconds(/*zero_allowed=*/false));
  Add(app, "max_connection_age", flags.max_connection_age_seconds,
      "seconds after which a connection is asked to go away, so clients re-resolve and reach new "
      "replicas (0: unlimited)")
      ->check(tasks::flags::Seconds(/*zero_allowed=*/true));
  Add(app, "max_connection_age_grace", flags.max_connection_age_grace_seconds,
      "seconds calls on an aged connection may still take before it is closed (0: unlimited)")
      ->check(tasks::flags::Seconds(/*zero_allowed=*/true));
  Add(app, "max_receive_message_bytes", flags.server.max_receive_message_bytes,
      "largest request message accepted")
      ->check(tasks::flags::Integer(1, INT_MAX));
  Add(app, "max_send_message_bytes", flags.server.max_send_message_bytes,
      "largest response message sent")
      ->check(tasks::flags::Integer(1, INT_MAX));
}

// The fleet cache: the Hub cache's second level, on Redis, shared by replicas and sidecars.
void AddFleetCacheFlags(CLI::App& app, Flags& flags) {
  Add(app, "redis_address", flags.redis_address,
      "host:port or unix:/path of a Redis (or Valkey) shared by the fleet as a second-level Hub "
      "cache (empty: none). Needs --cache_key_file or --redis_value_key_file. No TLS: see README")
      ->check(tasks::flags::RedisAddress());
  Add(app, "redis_password_file", flags.redis_password_file,
      "file holding the Redis password (AUTH); empty: none")
      ->check(CLI::ExistingFile);
  Add(app, "redis_key_prefix", flags.redis_key_prefix,
      "prefix of every key the fleet cache writes (one per fleet sharing a Redis)")
      ->check(tasks::flags::KeyPrefix());
  Add(app, "redis_timeout", flags.redis_timeout_seconds,
      "seconds a Redis command may take; past it Redis is skipped for a second")
      ->check(tasks::flags::Seconds(/*zero_allowed=*/false));
  Add(app, "redis_lease_ttl", flags.redis_lease_ttl_seconds,
      "seconds one server asks the Hub for the fleet before another may ask in its place")
      ->check(tasks::flags::Seconds(/*zero_allowed=*/false));
  Add(app, "cache_key_file", flags.cache_key_file,
      "fleet-wide secret (>= 16 bytes, e.g. a Kubernetes Secret): authenticates fleet cache "
      "values and names the partitions of private answers (without it they stay in memory)")
      ->check(tasks::flags::SecretFile());
  Add(app, "redis_value_key_file", flags.redis_value_key_file,
      "secret authenticating fleet cache values instead of --cache_key_file's")
      ->check(tasks::flags::SecretFile());
}

void AddFlags(CLI::App& app, Flags& flags) {
  Add(app, "listen_address", flags.server.listen_address,
      "host:port to serve on, or unix:/path/to/socket (a sidecar sharing a volume)")
      ->check(tasks::flags::ListenAddress());
  Add(app, "unix_socket_mode", flags.unix_socket_mode,
      "octal permissions of the unix: socket file, e.g. 0660: clients of another uid in its group "
      "may connect (default: as the umask leaves them, usually 0755: the owner only)")
      ->check(tasks::flags::FileMode());
  Add(app, "registry_dir", flags.server.registry_dirs,
      "extra folder of exporter registry files (*.txtpb), loaded into every generation after its "
      "embedded registry, in name order, again on SIGHUP; repeat or comma-separate for several")
      ->delimiter(',')
      ->check(CLI::ExistingDirectory);
  Add(app, "default_optimum_version", flags.server.default_optimum_version,
      "the Optimum generation answering calls without `optimum-version` metadata: a generation "
      "name (1.23, 1.27, 2.1), a full version of one (1.23.3) or latest");
  Add(app, "tls_cert", flags.server.tls.cert_file,
      "PEM certificate chain: serve TLS (with --tls_key) instead of plaintext")
      ->check(CLI::ExistingFile);
  Add(app, "tls_key", flags.server.tls.key_file, "PEM private key of --tls_cert")
      ->check(CLI::ExistingFile);
  Add(app, "tls_client_ca", flags.server.tls.client_ca_file,
      "PEM CA bundle: clients must present a certificate it signed (mutual TLS)")
      ->check(CLI::ExistingFile);
  Add(app, "tls_refresh_interval", flags.tls_refresh_interval_seconds,
      "seconds between re-reads of the TLS files: a rotated certificate, key or client CA serves "
      "new connections without a restart")
      ->check(CLI::Range(1.0, 86400.0));
  Add(app, "health_listen_address", flags.server.health_listen_address,
      "host:port of a plaintext listener serving only grpc.health.v1, for probes that speak no "
      "TLS (e.g. 0.0.0.0:8081; empty: none)")
      ->check(tasks::flags::HostPort());
  Add(app, "metrics_address", flags.server.metrics_address,
      "host:port serving Prometheus metrics at /metrics (e.g. 0.0.0.0:9090; empty: none)")
      ->check(tasks::flags::HostPort());
  Add(app, "log_level", flags.log_level, "trace|debug|info|warn|error|critical|off");
  Add(app, "log_format", flags.log_format, "text|json");
  Add(app, "call_log", flags.call_log,
      "calls logged with their request id: all | hub (the inference calls) | off")
      ->check(CLI::IsMember({"all", "hub", "off"}));
  Add(app, "shutdown_grace_period", flags.shutdown_grace_seconds,
      "seconds in-flight calls may take to finish after SIGTERM/SIGINT")
      ->check(tasks::flags::Seconds(/*zero_allowed=*/true));

  flags.hub.endpoint = Env("HF_ENDPOINT").empty() ? flags.hub.endpoint : Env("HF_ENDPOINT");
  flags.server.locator.hf_cache_dir = DefaultHfCacheDir();
  flags.server.locator.offline = EnvTrue("HF_HUB_OFFLINE") || EnvTrue("TRANSFORMERS_OFFLINE");
  Add(app, "hf_endpoint", flags.hub.endpoint, "Hub endpoint (default: HF_ENDPOINT)");
  Add(app, "ca_bundle", flags.hub.ca_bundle, "CA certificates for the Hub (internal mirrors)")
      ->check(CLI::ExistingFile);
  Add(app, "token_file", flags.token_file,
      "file holding the server's Hub token, re-read when it changes (HF_TOKEN wins)")
      ->check(tasks::flags::RegularFileIfPresent());
  Add(app, "anonymous_uses_server_token", flags.anonymous_uses_server_token,
      "callers sending no token use the server's (off: they stay anonymous)");
  Add(app, "model_root", flags.server.locator.model_roots,
      "local folder whose models may be read; repeat for several (none: local paths refused)")
      ->delimiter(',')
      ->check(CLI::ExistingDirectory);
  Add(app, "hf_cache_dir", flags.server.locator.hf_cache_dir,
      "Hugging Face cache folder: offline source and fallback (default as huggingface_hub)")
      ->check(tasks::flags::FolderIfPresent());
  Add(app, "offline", flags.server.locator.offline,
      "never call the Hub; answer from the cache folder (default: HF_HUB_OFFLINE)");
  Add(app, "cache_max_bytes", flags.cache_max_bytes,
      "bound of the in-memory cache (3/4 Hub answers, 1/4 kept inference answers); default: "
      "256 MiB, or under a cgroup memory limit half of what the limit leaves after 64 MiB")
      ->check(tasks::flags::Integer(0, int64_t{1} << 40));
  Add(app, "model_info_ttl", flags.model_info_ttl_seconds,
      "seconds a revision's model info stays fresh")
      ->check(tasks::flags::Seconds(/*zero_allowed=*/true));
  Add(app, "hub_timeout", flags.hub_timeout_seconds,
      "longest a call waits on the Hub (a shorter caller deadline wins)")
      ->check(tasks::flags::Seconds(/*zero_allowed=*/false));
  Add(app, "hub_threads", flags.server.hub_threads, "calls waiting on the Hub at once")
      ->check(tasks::flags::Integer(1, 1024));
  Add(app, "batch_max_in_flight", flags.server.service.batch_max_in_flight,
      "items of one BatchResolveExport stream worked on at once; the stream reads no further")
      ->check(tasks::flags::Integer(1, 65536));
  Add(app, "stats_log_interval", flags.stats_log_interval_seconds,
      "seconds between cache statistics log lines (0: never)")
      ->check(tasks::flags::Seconds(/*zero_allowed=*/true));
  AddConnectionFlags(app, flags);
  AddFleetCacheFlags(app, flags);
  app.set_version_flag("--version", tasks::VersionLine("tasks-server"));
}

// Parses and checks the flags: nullopt to go on, else the exit code (0 after --help or
// --version). A bad value is one line on stderr naming the flag and what it accepts.
std::optional<int> ParseFlags(CLI::App& app, int argc, char** argv, const Flags& flags) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) return app.exit(error);  // --help, --version
    // Validators see every value but a boolean flag's, which CLI11 converts first.
    const bool boolean = dynamic_cast<const CLI::ConversionError*>(&error) != nullptr;
    std::fprintf(stderr, "tasks-server: %s%s\n", error.what(),
                 boolean ? " (expected true or false)" : "");
    return error.get_exit_code();
  }
  if (!flags.unix_socket_mode.empty() &&
      tasks::service::UnixSocketPath(flags.server.listen_address).empty()) {
    std::fprintf(stderr,
                 "tasks-server: --unix_socket_mode: applies to a unix:/path --listen_address, "
                 "not %s\n",
                 flags.server.listen_address.c_str());
    return EXIT_FAILURE;
  }
  // The endpoint may come from HF_ENDPOINT, which no validator sees.
  if (absl::Status endpoint = tasks::hub::CheckEndpoint(flags.hub.endpoint); !endpoint.ok()) {
    std::fprintf(stderr, "tasks-server: --hf_endpoint (default HF_ENDPOINT): %s\n",
                 std::string(endpoint.message()).c_str());
    return EXIT_FAILURE;
  }
  // Values a Redis hands back are trusted only with a MAC, which needs a secret.
  if (!flags.redis_address.empty() && flags.cache_key_file.empty() &&
      flags.redis_value_key_file.empty()) {
    std::fprintf(stderr,
                 "tasks-server: --redis_address needs a secret to authenticate what the fleet "
                 "shares: --cache_key_file (or --redis_value_key_file)\n");
    return EXIT_FAILURE;
  }
  return std::nullopt;
}

// Process-wide settings, made before any thread starts.
void TuneProcess() {
  // Debian's Abseil is built with absl::Mutex's deadlock detector on: it keeps a lock graph on
  // every Lock, work on every call. The tests run with it; production need not.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  // glibc gives threads their own malloc arenas, up to 8 per core, and each keeps the memory
  // freed in it: under cache churn the worker threads' arenas hold more memory than two arenas
  // do. An operator's MALLOC_ARENA_MAX still decides.
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, 2);

  // hiredis writes to its sockets with write(2): a Redis that went away (the fleet cache's) would
  // end the process with SIGPIPE instead of failing one command.
  std::signal(SIGPIPE, SIG_IGN);
}

// The loaded generations and how long loading them took, for the start-up line.
struct TimedRegistry {
  tasks::registry::LoadedGenerations loaded;
  absl::Duration load_time;
};

// Loads every embedded generation and `registry_dirs`, logging the loader's findings.
absl::StatusOr<TimedRegistry> LoadRegistry(const tasks::service::ServerOptions& options) {
  const absl::Time load_start = absl::Now();
  absl::StatusOr<tasks::registry::LoadedGenerations> loaded =
      tasks::registry::LoadGenerations(options.registry_dirs, options.default_optimum_version);
  if (!loaded.ok()) return loaded.status();
  tasks::service::LogLoaderFindings(*loaded);
  return TimedRegistry{*std::move(loaded), absl::Now() - load_start};
}

// The server options the flags give in other units or forms: seconds as durations, the call
// log level by name, the server's Hub token.
void FillServerOptions(Flags& flags) {
  flags.server.call_log = *tasks::service::ParseCallLogLevel(flags.call_log);  // checked by CLI11
  if (!flags.unix_socket_mode.empty()) {
    flags.server.unix_socket_mode = std::stoi(flags.unix_socket_mode, nullptr, 8);  // checked
  }
  flags.server.cache.max_bytes = flags.cache_max_bytes;
  flags.server.cache.model_info_ttl = absl::Seconds(flags.model_info_ttl_seconds);
  flags.server.service.max_hub_wait = absl::Seconds(flags.hub_timeout_seconds);
  flags.server.stats_log_interval = absl::Seconds(flags.stats_log_interval_seconds);
  flags.server.keepalive_time = absl::Seconds(flags.keepalive_time_seconds);
  flags.server.keepalive_timeout = absl::Seconds(flags.keepalive_timeout_seconds);
  flags.server.max_connection_age = absl::Seconds(flags.max_connection_age_seconds);
  flags.server.max_connection_age_grace = absl::Seconds(flags.max_connection_age_grace_seconds);
  flags.server.tls.refresh_interval = absl::Seconds(flags.tls_refresh_interval_seconds);
  auto server_token = std::make_shared<tasks::hub::ServerToken>(Env("HF_TOKEN"), flags.token_file);
  if (flags.anonymous_uses_server_token) {
    flags.server.service.anonymous_token = [server_token] { return server_token->Get(); };
  }
}

// A file's contents without surrounding whitespace (a secret mounted from a Kubernetes Secret
// often ends with a newline); "" for no file.
absl::StatusOr<std::string> ReadSecret(const std::string& path) {
  if (path.empty()) return std::string();
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return absl::UnavailableError(absl::StrCat("cannot read ", path));
  return std::string(absl::StripAsciiWhitespace(text));
}

// The fleet cache the flags ask for, in the cache options: none without --redis_address, nor
// offline (no Hub, no Hub cache).
absl::Status ConfigureFleetCache(Flags& flags) {
  if (flags.redis_address.empty() || flags.server.locator.offline) return absl::OkStatus();
  tasks::fleet_cache::RedisCacheOptions options;
  options.address = flags.redis_address;
  options.key_prefix = flags.redis_key_prefix;
  options.timeout = absl::Seconds(flags.redis_timeout_seconds);
  absl::StatusOr<std::string> password = ReadSecret(flags.redis_password_file);
  absl::StatusOr<std::string> partition = ReadSecret(flags.cache_key_file);
  absl::StatusOr<std::string> value = ReadSecret(flags.redis_value_key_file);
  for (const auto* secret : {&password, &partition, &value}) {
    if (!secret->ok()) return secret->status();
  }
  options.password = *password;
  options.partition_secret = *partition;
  options.value_secret = value->empty() ? *partition : *value;
  absl::StatusOr<std::unique_ptr<tasks::fleet_cache::RedisCache>> cache =
      tasks::fleet_cache::RedisCache::Create(std::move(options));
  if (!cache.ok()) return cache.status();
  flags.server.cache.shared = *std::move(cache);
  flags.server.cache.lease_ttl = absl::Seconds(flags.redis_lease_ttl_seconds);
  return absl::OkStatus();
}

// The libcurl Hub client, or none when offline.
std::unique_ptr<tasks::hub::HubClient> MakeHubClient(const Flags& flags) {
  if (flags.server.locator.offline) return nullptr;
  return std::make_unique<tasks::hub::CurlHubClient>(flags.hub);
}

void LogServing(const Flags& flags, const tasks::service::TasksServer& server,
                const TimedRegistry& registry) {
  spdlog::info(
      "serving optimum.tasks.v1.TasksManager on {}{}{}; {} loaded in {}; hub: {}; model roots: "
      "{}{}{}",
      flags.server.listen_address,
      server.port() > 0 ? absl::StrCat(" (port ", server.port(), ")") : "",
      flags.server.tls.enabled()
          ? (flags.server.tls.client_ca_file.empty() ? " with TLS" : " with mutual TLS")
          : "",
      tasks::registry::DescribeGenerations(registry.loaded),
      absl::FormatDuration(registry.load_time),
      flags.server.locator.offline
          ? "offline (cache folder " + flags.server.locator.hf_cache_dir + ")"
          : flags.hub.endpoint,
      flags.server.locator.model_roots.empty()
          ? std::string("none")
          : absl::StrJoin(flags.server.locator.model_roots, ", "),
      server.metrics_port() > 0
          ? absl::StrCat("; metrics on port ", server.metrics_port(), " at /metrics")
          : "",
      flags.server.health_listen_address.empty()
          ? ""
          : "; health only on " + flags.server.health_listen_address);
  if (flags.server.cache.shared != nullptr) {
    spdlog::info("fleet cache: Redis at {}, keys {}*, private answers {}", flags.redis_address,
                 flags.redis_key_prefix,
                 flags.cache_key_file.empty() ? "in memory only (no --cache_key_file)"
                                              : "partitioned by token");
  }
}

// Serves until SIGTERM or SIGINT, reloading the registry at each SIGHUP; then lets calls in
// flight finish for up to `grace_seconds`, waits for the server to stop and for a reload in
// progress to end.
void ServeUntilStopped(const tasks::StopSignals& signals, tasks::service::TasksServer& server,
                       double grace_seconds) {
  // Reloads run on their own thread, so this one never waits on the registry's files and takes
  // a SIGTERM at once whatever a reload is doing. A failed reload is logged and leaves the
  // running registry in place.
  tasks::CoalescedRunner reloader([&server] { server.ReloadRegistry().IgnoreError(); });
  int signal = 0;
  while ((signal = signals.Wait()) == SIGHUP) {
    spdlog::info("received {}, reloading the registry", strsignal(signal));
    reloader.Request();
  }
  spdlog::info("received {}, draining for up to {}s", strsignal(signal), grace_seconds);
  server.Shutdown(std::chrono::system_clock::now() +
                  std::chrono::duration_cast<std::chrono::system_clock::duration>(
                      std::chrono::duration<double>(grace_seconds)));
  server.Wait();
}

}  // namespace

int main(int argc, char** argv) {
  // First thing, before any thread exists: SIGTERM/SIGINT stop, SIGHUP reloads (stop_signals.h).
  const tasks::StopSignals signals({SIGTERM, SIGINT, SIGHUP});
  TuneProcess();

  CLI::App app{"Hugging Face Optimum's TasksManager as a gRPC service"};
  Flags flags;
  AddFlags(app, flags);
  if (std::optional<int> exit_code = ParseFlags(app, argc, argv, flags)) return *exit_code;
  if (absl::Status status = tasks::service::ConfigureLogging(flags.log_level, flags.log_format);
      !status.ok()) {
    std::fprintf(stderr, "tasks-server: %s\n", std::string(status.message()).c_str());
    return EXIT_FAILURE;
  }

  absl::StatusOr<TimedRegistry> registry = LoadRegistry(flags.server);
  if (!registry.ok()) {
    spdlog::critical("registry not loaded, not starting: {}",
                     std::string(registry.status().message()));
    return EXIT_FAILURE;
  }

  if (app.count("--cache_max_bytes") == 0) {
    const tasks::CacheBound bound = tasks::DefaultCacheBound(tasks::CgroupMemoryLimit());
    flags.cache_max_bytes = bound.bytes;
    spdlog::info("cache bound {} MiB: {}", bound.bytes >> 20, bound.reason);
  }
  FillServerOptions(flags);
  if (absl::Status fleet = ConfigureFleetCache(flags); !fleet.ok()) {
    spdlog::critical("fleet cache: {}", std::string(fleet.message()));
    return EXIT_FAILURE;
  }
  absl::StatusOr<std::unique_ptr<tasks::service::TasksServer>> server =
      tasks::service::TasksServer::Start(flags.server, registry->loaded.generations,
                                         MakeHubClient(flags));
  if (!server.ok()) {
    spdlog::critical("{}", std::string(server.status().message()));
    return EXIT_FAILURE;
  }
  LogServing(flags, **server, *registry);

  ServeUntilStopped(signals, **server, flags.shutdown_grace_seconds);
  tasks::service::CallLogger()->flush();
  spdlog::info("stopped");
  spdlog::shutdown();
  return EXIT_SUCCESS;
}
