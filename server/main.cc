// tasks-server: loads the registries, serves optimum.tasks.v1.TasksManager until SIGTERM/SIGINT.
// Every flag can also be set by an environment variable TASKS_<FLAG> (e.g. TASKS_LISTEN_ADDRESS);
// a flag on the command line wins.
#include <csignal>
#include <cstdlib>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/registry/registry_loader.h"
#include "server/service/logging.h"
#include "server/service/server.h"
#include "spdlog/spdlog.h"

namespace {

struct Flags {
  tasks::service::ServerOptions server;
  std::vector<std::string> registry_dirs;
  std::string log_level = "info";
  std::string log_format = "text";
  double shutdown_grace_seconds = 10;
};

void AddFlags(CLI::App& app, Flags& flags) {
  app.add_option("--listen_address", flags.server.listen_address, "host:port to serve on")
      ->envname("TASKS_LISTEN_ADDRESS")
      ->capture_default_str();
  app.add_option("--registry_dir", flags.registry_dirs,
                 "extra folder of exporter registry files (*.txtpb), loaded after the embedded "
                 "registry in name order; repeat or comma-separate for several")
      ->envname("TASKS_REGISTRY_DIR")
      ->delimiter(',');
  app.add_option("--log_level", flags.log_level, "trace|debug|info|warn|error|critical|off")
      ->envname("TASKS_LOG_LEVEL")
      ->capture_default_str();
  app.add_option("--log_format", flags.log_format, "text|json")
      ->envname("TASKS_LOG_FORMAT")
      ->capture_default_str();
  app.add_option("--shutdown_grace_period", flags.shutdown_grace_seconds,
                 "seconds in-flight calls may take to finish after SIGTERM/SIGINT")
      ->envname("TASKS_SHUTDOWN_GRACE_PERIOD")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.set_version_flag("--version", std::string("tasks-server ") + TASKS_VERSION);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Hugging Face Optimum's TasksManager as a gRPC service"};
  Flags flags;
  AddFlags(app, flags);
  CLI11_PARSE(app, argc, argv);
  if (absl::Status status = tasks::service::ConfigureLogging(flags.log_level, flags.log_format);
      !status.ok()) {
    std::fprintf(stderr, "tasks-server: %s\n", std::string(status.message()).c_str());
    return EXIT_FAILURE;
  }

  const absl::Time load_start = absl::Now();
  absl::StatusOr<tasks::registry::RegistrySources> sources =
      tasks::registry::CollectRegistrySources(flags.registry_dirs);
  absl::StatusOr<tasks::registry::LoadedRegistry> loaded =
      sources.ok() ? tasks::registry::LoadRegistry(*sources) : sources.status();
  if (!loaded.ok()) {
    spdlog::critical("registry not loaded, not starting: {}",
                     std::string(loaded.status().message()));
    return EXIT_FAILURE;
  }
  for (const std::string& warning : loaded->warnings) spdlog::warn("registry: {}", warning);
  const absl::Duration load_time = absl::Now() - load_start;

  // Signals are taken by sigwait below; block them before gRPC starts its threads, which
  // inherit the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto core = std::make_shared<const tasks::registry::TasksManager>(loaded->snapshot);
  absl::StatusOr<std::unique_ptr<tasks::service::TasksServer>> server =
      tasks::service::TasksServer::Start(flags.server, core);
  if (!server.ok()) {
    spdlog::critical("{}", std::string(server.status().message()));
    return EXIT_FAILURE;
  }
  const tasks::registry::RegistrySnapshot& snapshot = core->snapshot();
  size_t model_types = 0;
  for (const auto& library : snapshot.libraries)
    model_types += library.model_types.entries().size();
  spdlog::info(
      "serving optimum.tasks.v1.TasksManager on {} (port {}); exporters: {}; {} model types, "
      "{} tasks, {} registry files loaded in {}",
      flags.server.listen_address, (*server)->port(), absl::StrJoin(snapshot.ExporterNames(), ", "),
      model_types, snapshot.all_tasks.size(), 1 + sources->exporter_files.size(),
      absl::FormatDuration(load_time));

  int signal = 0;
  sigwait(&stop_signals, &signal);
  spdlog::info("received {}, draining for up to {}s", strsignal(signal),
               flags.shutdown_grace_seconds);
  (*server)->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::duration_cast<std::chrono::system_clock::duration>(
                          std::chrono::duration<double>(flags.shutdown_grace_seconds)));
  (*server)->Wait();
  spdlog::info("stopped");
  return EXIT_SUCCESS;
}
