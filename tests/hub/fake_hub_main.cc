// fake-hub: serves the fixture repos like the Hugging Face Hub until SIGINT or SIGTERM, for
// end-to-end scripts. Prints "listening on 127.0.0.1:<port>" once it accepts connections.
//
//   fake-hub --fixtures tests/hub/fixtures [--port N] [--copies N]
//            [--delay_path SUBSTRING [--delay SECONDS]]
#include <signal.h>

#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/time/time.h"
#include "server/common/stop_signals.h"
#include "tests/hub/fake/hub_server.h"

int main(int argc, char** argv) {
  CLI::App app{"Serves test fixture repos the way the Hugging Face Hub does."};
  std::string fixtures;
  int port = 0;
  app.add_option("--fixtures", fixtures, "Folder of <org>/<name>/ fixture repos")
      ->required()
      ->check(CLI::ExistingDirectory);
  app.add_option("--port", port, "Port on 127.0.0.1 (0: any free port)")
      ->check(CLI::Range(0, 65535));
  int copies = 0;
  app.add_option("--copies", copies,
                 "Also serve N copies of google-bert/bert-base-uncased, named "
                 "google-bert/bert-base-uncased-copy-<i> (benchmarks)")
      ->check(CLI::NonNegativeNumber);
  // A Hub request that hangs, for tests of what a fleet does when the process that asked dies
  // before the answer comes. Only the first matching request: whoever asks again is answered.
  std::string delay_path;
  app.add_option("--delay_path", delay_path,
                 "Answer the first request whose path contains SUBSTRING only after --delay")
      ->type_name("SUBSTRING");
  double delay_seconds = 60;
  app.add_option("--delay", delay_seconds, "Seconds --delay_path's request waits")
      ->check(CLI::NonNegativeNumber);
  CLI11_PARSE(app, argc, argv);

  // Before the server's threads start (stop_signals.h).
  const tasks::StopSignals stop_signals({SIGINT, SIGTERM});

  tasks::testing::fake_hub::HubServer server(fixtures, copies);
  if (!delay_path.empty()) {
    server.faults().Add({.kind = tasks::testing::Fault::Kind::kDelay,
                         .path_contains = delay_path,
                         .delay = absl::Seconds(delay_seconds)});
  }
  if (!server.Start(port)) return 1;
  std::cout << "listening on 127.0.0.1:" << server.port() << std::endl;
  stop_signals.Wait();
  return 0;
}
