// The metrics endpoint against clients that connect and never finish a request (issue 19,
// item 12), and against a second endpoint on its port (item 4).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "server/service/bounded_http_server.h"
#include "server/service/metrics_endpoint.h"

namespace tasks::service {
namespace {

using ::testing::HasSubstr;

// A TCP connection to 127.0.0.1:`port` (-1 on failure).
int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Whether the server has closed `fd`: end of file or a reset, without waiting.
bool ClosedByServer(int fd) {
  char byte;
  const ssize_t got = recv(fd, &byte, 1, MSG_DONTWAIT);
  return got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

// Connections that send the start of a request and then, when trickled, one more header byte
// at a time, as a slow-loris client does; closed (client side) when destroyed.
class SlowClients {
 public:
  SlowClients(int port, int count) {
    for (int i = 0; i < count; ++i) {
      const int fd = Connect(port);
      if (fd < 0) continue;
      const std::string start = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ";
      send(fd, start.data(), start.size(), MSG_NOSIGNAL);
      fds_.push_back(fd);
    }
  }
  ~SlowClients() {
    for (int fd : fds_) close(fd);
  }
  size_t size() const { return fds_.size(); }

  // Sends one more byte on each connection still open; returns how many the server has closed.
  size_t TrickleAndCountClosed() {
    size_t closed = 0;
    for (int fd : fds_) {
      if (ClosedByServer(fd) || send(fd, "a", 1, MSG_NOSIGNAL) < 0) ++closed;
    }
    return closed;
  }

 private:
  std::vector<int> fds_;
};

// The time a GET /metrics takes to answer 200, or InfiniteDuration if it fails.
absl::Duration TimeScrape(int port) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(15);
  client.set_read_timeout(15);
  const absl::Time start = absl::Now();
  httplib::Result result = client.Get("/metrics");
  if (!result || result->status != 200) return absl::InfiniteDuration();
  return absl::Now() - start;
}

TEST(MetricsEndpointTest, SlowHeaderConnectionsNeitherStallAScrapeNorStayOpen) {
  auto endpoint = MetricsEndpoint::Start("127.0.0.1:0", [] { return std::string("up 1\n"); });
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  const int port = (*endpoint)->port();

  SlowClients slow(port, 20);
  ASSERT_EQ(slow.size(), 20u);
  // Before: the scrape waited behind them for 5 s and more (8 threads, 5 s per read).
  const absl::Duration scrape = TimeScrape(port);
  std::cout << "scrape behind 20 slow connections: " << absl::FormatDuration(scrape) << "\n";
  EXPECT_LT(scrape, absl::Seconds(1));

  // Before: a byte every 100 ms kept every one of them open for good.
  const absl::Time start = absl::Now();
  size_t closed = 0;
  while ((closed = slow.TrickleAndCountClosed()) < slow.size() &&
         absl::Now() - start < absl::Seconds(8)) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  std::cout << closed << " slow connections closed after "
            << absl::FormatDuration(absl::Now() - start) << "\n";
  EXPECT_EQ(closed, slow.size());
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(MetricsEndpointTest, ASecondEndpointOnTheSamePortFailsToStart) {
  auto first = MetricsEndpoint::Start("127.0.0.1:0", [] { return std::string(); });
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string taken = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = MetricsEndpoint::Start(taken, [] { return std::string(); });
  ASSERT_FALSE(second.ok()) << "a second endpoint bound " << taken;
  EXPECT_THAT(second.status().message(), HasSubstr("cannot listen on " + taken));
}

TEST(MetricsEndpointTest, APortPast65535IsRefused) {
  auto endpoint = MetricsEndpoint::Start("127.0.0.1:99999", [] { return std::string(); });
  ASSERT_FALSE(endpoint.ok());
  EXPECT_THAT(endpoint.status().message(), HasSubstr("ports are 0 to 65535"));
}

TEST(BoundedHttpServerTest, ConnectionsBeyondTheBoundAreClosedAtOnce) {
  BoundedHttpOptions options;
  options.max_connections = 4;
  options.request_timeout = absl::Seconds(30);  // the first four hold their slots meanwhile
  BoundedHttpServer server(options);
  server.Get("/metrics", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("up 1\n", "text/plain");
  });
  const int port = server.Bind("127.0.0.1", 0);
  ASSERT_GT(port, 0);
  std::thread listener([&] { server.listen_after_bind(); });

  {
    SlowClients holding(port, 4);
    SlowClients beyond(port, 3);
    const absl::Time start = absl::Now();
    size_t closed = 0;
    while ((closed = beyond.TrickleAndCountClosed()) < beyond.size() &&
           absl::Now() - start < absl::Seconds(10)) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    EXPECT_EQ(closed, beyond.size());
    EXPECT_LT(absl::Now() - start, absl::Seconds(2));
    EXPECT_EQ(holding.TrickleAndCountClosed(), 0u);
  }
  // The holders have hung up: their slots come free and scrapes are served again.
  absl::Duration scrape = absl::InfiniteDuration();
  for (int attempt = 0; attempt < 100 && scrape == absl::InfiniteDuration(); ++attempt) {
    if (attempt > 0) absl::SleepFor(absl::Milliseconds(10));
    scrape = TimeScrape(port);
  }
  EXPECT_LT(scrape, absl::Seconds(1));

  server.stop();
  listener.join();
}

}  // namespace
}  // namespace tasks::service
