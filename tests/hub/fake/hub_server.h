// The fake Hub's HTTP server: loads the fixtures, answers on 127.0.0.1 from a background thread,
// logs every request and applies injected faults. FakeHub (in-process tests) and the fake-hub
// binary are thin front ends over it.
#ifndef TASKS_TESTS_HUB_FAKE_HUB_SERVER_H_
#define TASKS_TESTS_HUB_FAKE_HUB_SERVER_H_

#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "httplib.h"
#include "tests/hub/fake/faults.h"
#include "tests/hub/fake/fixture_store.h"
#include "tests/hub/fake/request_log.h"

namespace tasks::testing::fake_hub {

class HubServer {
 public:
  // `copies` > 0 also serves that many copies of google-bert/bert-base-uncased (see
  // FixtureStore::AddCopies), for benchmarks.
  explicit HubServer(std::string fixtures_dir, int copies = 0);
  ~HubServer();  // stops serving; waits for the requests in flight
  HubServer(const HubServer&) = delete;
  HubServer& operator=(const HubServer&) = delete;

  // Loads the fixtures and serves them on 127.0.0.1:`port` (0: a free port) once it returns
  // true; on false, the reason is on stderr. Call once.
  bool Start(int port);
  int port() const { return port_; }

  FaultList& faults() { return faults_; }
  RequestLog& requests() { return requests_; }
  const RequestLog& requests() const { return requests_; }

 private:
  // httplib 0.11.4 listens with a backlog of 5, fixed when the library was built: a burst of
  // more parallel connections gets SYNs dropped, retried by the kernel a second later.
  class HttpServer : public httplib::Server {
   public:
    bool RaiseListenBacklog();  // once bound
  };

  void Handle(const httplib::Request& request, httplib::Response& response);

  const std::string fixtures_dir_;
  const int copies_;
  FixtureStore store_;  // immutable once Start has loaded it
  FaultList faults_;
  RequestLog requests_;
  absl::Notification stopping_;  // ends injected waits early
  HttpServer server_;
  std::thread thread_;
  int port_ = -1;
};

}  // namespace tasks::testing::fake_hub

#endif  // TASKS_TESTS_HUB_FAKE_HUB_SERVER_H_
