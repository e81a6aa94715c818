// fake-hub: serves the fixture repos like the Hugging Face Hub until SIGINT or SIGTERM, for
// end-to-end scripts. Prints "listening on 127.0.0.1:<port>" once it accepts connections.
//
//   fake-hub --fixtures tests/hub/fixtures [--port N] [--copies N]
#include <signal.h>

#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
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
  CLI11_PARSE(app, argc, argv);

  // Before the server's threads start (stop_signals.h).
  const tasks::StopSignals stop_signals({SIGINT, SIGTERM});

  tasks::testing::fake_hub::HubServer server(fixtures, copies);
  if (!server.Start(port)) return 1;
  std::cout << "listening on 127.0.0.1:" << server.port() << std::endl;
  stop_signals.Wait();
  return 0;
}
