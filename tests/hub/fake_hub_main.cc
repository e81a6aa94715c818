// fake-hub: serves the fixture repos like the Hugging Face Hub until SIGINT or SIGTERM, for
// end-to-end scripts. Prints "listening on 127.0.0.1:<port>" once it accepts connections.
//
//   fake-hub --fixtures tests/hub/fixtures [--port N] [--copies N]
#include <pthread.h>
#include <signal.h>

#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
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

  // Blocked before the server's threads start (they inherit the mask), so only sigwait below
  // receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  tasks::testing::fake_hub::HubServer server(fixtures, copies);
  if (!server.Start(port)) return 1;
  std::cout << "listening on 127.0.0.1:" << server.port() << std::endl;
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  return 0;
}
