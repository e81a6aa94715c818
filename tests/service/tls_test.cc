// TLS and mutual TLS end to end: an in-process server on 127.0.0.1:0 with certificates the
// openssl command-line tool makes for this run in a temp folder: a CA, a server certificate for
// localhost and 127.0.0.1 and a client certificate it signed, an unrelated CA with a client
// certificate of its own, and a second CA with the server certificate a rotation installs.
// Also the plaintext health-only listener that probes use while the main port speaks TLS.
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "optimum/tasks/v1/tasks_manager.grpc.pb.h"
#include "server/service/server.h"
#include "tests/test_support.h"

namespace tasks::service {
namespace {

namespace fs = std::filesystem;
namespace v1 = optimum::tasks::v1;
using ::testing::HasSubstr;

std::string Slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ =
        new fs::path(fs::temp_directory_path() / ("tasks-tls-test-" + std::to_string(::getpid())));
    fs::create_directories(*dir_);
    MakeCa("ca");
    MakeLeaf("server", "ca",
             "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
             "extendedKeyUsage=serverAuth");
    MakeLeaf("client", "ca", "extendedKeyUsage=clientAuth");
    MakeCa("other-ca");
    MakeLeaf("other-client", "other-ca", "extendedKeyUsage=clientAuth");
    MakeCa("next-ca");
    MakeLeaf("next-server", "next-ca",
             "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
             "extendedKeyUsage=serverAuth");
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }

  static std::string File(const std::string& name) { return (*dir_ / name).string(); }

  // Runs the openssl tool in the temp folder; its chatter goes to the test log.
  static void OpenSsl(const std::string& arguments) {
    const std::string command = "cd '" + dir_->string() + "' && openssl " + arguments;
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }
  static constexpr char kNewKey[] =
      "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1";
  static void MakeCa(const std::string& name) {
    OpenSsl(std::string("req -x509 ") + kNewKey + " -keyout " + name + ".key -out " + name +
            ".pem -subj /CN=" + name);
  }
  static void MakeLeaf(const std::string& name, const std::string& ca,
                       const std::string& extensions) {
    std::ofstream(File(name + ".ext")) << extensions << "\n";
    OpenSsl(std::string("req -new ") + kNewKey + " -keyout " + name + ".key -out " + name +
            ".csr -subj /CN=" + name);
    OpenSsl("x509 -req -days 1 -in " + name + ".csr -CA " + ca + ".pem -CAkey " + ca +
            ".key -CAcreateserial -out " + name + ".pem -extfile " + name + ".ext");
  }

  static absl::StatusOr<std::unique_ptr<TasksServer>> Start(const TlsOptions& tls) {
    ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.tls = tls;
    return TasksServer::Start(options, testing::SharedEmbeddedGenerations(), nullptr);
  }
  static TlsOptions ServerTls(bool require_client_certificate = false) {
    return {File("server.pem"), File("server.key"),
            require_client_certificate ? File("ca.pem") : ""};
  }

  // Credentials trusting `ca`, presenting `client` ("": none) as the client certificate.
  static std::shared_ptr<grpc::ChannelCredentials> Tls(const std::string& ca,
                                                       const std::string& client = "") {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = Slurp(File(ca + ".pem"));
    if (!client.empty()) {
      options.pem_cert_chain = Slurp(File(client + ".pem"));
      options.pem_private_key = Slurp(File(client + ".key"));
    }
    return grpc::SslCredentials(options);
  }

  // A GetAllTasks call over a fresh channel to `server`.
  static grpc::Status Call(const TasksServer& server,
                           std::shared_ptr<grpc::ChannelCredentials> credentials) {
    auto stub = v1::TasksManager::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(server.port()), std::move(credentials)));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::GetAllTasksResponse response;
    grpc::Status status = stub->GetAllTasks(&context, v1::GetAllTasksRequest(), &response);
    if (status.ok()) {
      EXPECT_EQ(response.tasks_size(), 27);
    }
    return status;
  }

  // A folder of its own for the files a test's server watches.
  static fs::path LiveFolder(const std::string& name) {
    const fs::path folder = *dir_ / name;
    fs::create_directories(folder);
    return folder;
  }
  // Replaces `to` by a copy of the generated file `from` in one step (a rename), as cert-manager's
  // and the kubelet's updates do.
  static void Install(const std::string& from, const fs::path& to) {
    const fs::path staged = to.string() + ".new";
    fs::copy_file(File(from), staged, fs::copy_options::overwrite_existing);
    fs::rename(staged, to);
  }

  // Polls `done` every 50 ms until it holds or `timeout` has passed; whether it held.
  template <typename Predicate>
  static bool WaitUntil(Predicate done, absl::Duration timeout) {
    for (const absl::Time give_up = absl::Now() + timeout; absl::Now() < give_up;) {
      if (done()) return true;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return done();
  }

  static void Stop(TasksServer& server) {
    server.Shutdown(std::chrono::system_clock::now());
    server.Wait();
  }

  static inline fs::path* dir_ = nullptr;
};

TEST_F(TlsTest, TlsServerAnswersClientsTrustingItsCaOnly) {
  auto server = Start(ServerTls());
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_TRUE(Call(**server, Tls("ca")).ok());
  EXPECT_EQ(Call(**server, grpc::InsecureChannelCredentials()).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Call(**server, Tls("other-ca")).error_code(), grpc::StatusCode::UNAVAILABLE);
  Stop(**server);
}

TEST_F(TlsTest, MutualTlsRequiresAClientCertificateFromTheClientCa) {
  auto server = Start(ServerTls(/*require_client_certificate=*/true));
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(Call(**server, Tls("ca")).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Call(**server, Tls("ca", "other-client")).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(Call(**server, Tls("ca", "client")).ok());
  Stop(**server);
}

TEST_F(TlsTest, WithoutClientCaAClientCertificateIsNotNeeded) {
  auto server = Start(ServerTls());
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_TRUE(Call(**server, Tls("ca", "other-client")).ok());
  Stop(**server);
}

TEST_F(TlsTest, StartFailsNamingAMissingOrWrongFile) {
  const std::string missing = File("no-such.pem");
  auto server = Start({missing, File("server.key"), ""});
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(server.status().message(), HasSubstr(missing));

  // A key where the certificate belongs.
  server = Start({File("server.key"), File("server.key"), ""});
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(server.status().message(),
              HasSubstr(File("server.key") + " holds no PEM certificate"));

  server = Start({File("server.pem"), File("client.key"), ""});
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(server.status().message(), HasSubstr("does not match certificate"));

  server = Start({File("server.pem"), File("server.key"), File("server.ext")});
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(server.status().message(), HasSubstr(File("server.ext")));

  server = Start({File("server.pem"), "", ""});
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(server.status().message(), HasSubstr("both a certificate and a key"));
}

TEST_F(TlsTest, TlsOnAUnixSocketIsRefused) {
  ServerOptions options;
  options.listen_address = "unix:" + File("socket");
  options.tls = ServerTls();
  auto server = TasksServer::Start(options, testing::SharedEmbeddedGenerations(), nullptr);
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(server.status().message(), HasSubstr("unix socket"));
}

// Certificates rotate every few weeks (cert-manager, a kubelet-updated Secret): the running
// server must present the new one to new connections without a restart.
TEST_F(TlsTest, RotatedCertificateServesNewHandshakesWithoutARestart) {
  const fs::path live = LiveFolder("rotation");
  Install("server.pem", live / "tls.crt");
  Install("server.key", live / "tls.key");
  TlsOptions tls{(live / "tls.crt").string(), (live / "tls.key").string(), ""};
  tls.refresh_interval = absl::Seconds(1);
  auto server = Start(tls);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE(Call(**server, Tls("ca")).ok());

  Install("next-server.key", live / "tls.key");
  Install("next-server.pem", live / "tls.crt");
  // Only the new certificate satisfies a client trusting next-ca alone.
  EXPECT_TRUE(WaitUntil([&] { return Call(**server, Tls("next-ca")).ok(); }, absl::Seconds(20)));
  EXPECT_EQ(Call(**server, Tls("ca")).error_code(), grpc::StatusCode::UNAVAILABLE);
  Stop(**server);
}

// A rotated client CA decides which client certificates new connections accept.
TEST_F(TlsTest, RotatedClientCaTakesEffectWithoutARestart) {
  const fs::path live = LiveFolder("client-ca-rotation");
  Install("ca.pem", live / "ca.crt");
  TlsOptions tls = ServerTls(/*require_client_certificate=*/true);
  tls.client_ca_file = (live / "ca.crt").string();
  tls.refresh_interval = absl::Seconds(1);
  auto server = Start(tls);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE(Call(**server, Tls("ca", "client")).ok());

  Install("other-ca.pem", live / "ca.crt");
  EXPECT_TRUE(
      WaitUntil([&] { return Call(**server, Tls("ca", "other-client")).ok(); }, absl::Seconds(20)));
  EXPECT_EQ(Call(**server, Tls("ca", "client")).error_code(), grpc::StatusCode::UNAVAILABLE);
  Stop(**server);
}

// A rotation caught half-way: a key and certificate of different generations, then a truncated
// certificate. gRPC's provider alone would hand them to the handshaker and fail every new
// connection; the previous certificate must keep serving, while the client CA, rotated meanwhile
// and valid, applies.
TEST_F(TlsTest, BrokenRotationKeepsServingThePreviousCertificate) {
  const fs::path live = LiveFolder("broken-rotation");
  Install("server.pem", live / "tls.crt");
  Install("server.key", live / "tls.key");
  Install("ca.pem", live / "ca.crt");
  TlsOptions tls{(live / "tls.crt").string(), (live / "tls.key").string(),
                 (live / "ca.crt").string()};
  tls.refresh_interval = absl::Seconds(1);
  auto server = Start(tls);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE(Call(**server, Tls("ca", "client")).ok());

  // The new key beside the old certificate; the client CA's change shows both were read.
  Install("next-server.key", live / "tls.key");
  Install("other-ca.pem", live / "ca.crt");
  EXPECT_TRUE(
      WaitUntil([&] { return Call(**server, Tls("ca", "other-client")).ok(); }, absl::Seconds(20)));

  // Half of the new certificate; the client CA back.
  const std::string next = Slurp(File("next-server.pem"));
  std::ofstream(live / "tls.crt.half") << next.substr(0, next.size() / 2);
  fs::rename(live / "tls.crt.half", live / "tls.crt");
  Install("ca.pem", live / "ca.crt");
  EXPECT_TRUE(
      WaitUntil([&] { return Call(**server, Tls("ca", "client")).ok(); }, absl::Seconds(20)));

  // Whole again: the new certificate serves.
  Install("next-server.pem", live / "tls.crt");
  EXPECT_TRUE(
      WaitUntil([&] { return Call(**server, Tls("next-ca", "client")).ok(); }, absl::Seconds(20)));
  Stop(**server);
}

// Options of a TLS server with a plaintext health-only listener on 127.0.0.1:0.
ServerOptions WithHealthListener(const TlsOptions& tls) {
  ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.health_listen_address = "127.0.0.1:0";
  options.tls = tls;
  return options;
}

std::shared_ptr<grpc::Channel> HealthChannel(const TasksServer& server) {
  return grpc::CreateChannel("127.0.0.1:" + std::to_string(server.health_port()),
                             grpc::InsecureChannelCredentials());
}

// The health status `service` has on `channel`; none when the call fails.
std::optional<grpc::health::v1::HealthCheckResponse::ServingStatus> CheckHealth(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& service = "") {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status =
      grpc::health::v1::Health::NewStub(channel)->Check(&context, request, &response);
  if (!status.ok()) return std::nullopt;
  return response.status();
}

// A unary call of `method` (any path) with an empty message; its status code.
grpc::StatusCode CallMethod(const std::shared_ptr<grpc::Channel>& channel,
                            const std::string& method) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status status) { done.set_value(std::move(status)); });
  return done.get_future().get().error_code();
}

using Serving = grpc::health::v1::HealthCheckResponse;

TEST_F(TlsTest, HealthListenerAnswersProbesInPlaintextAndServesNothingElse) {
  auto server = TasksServer::Start(WithHealthListener(ServerTls()),
                                   testing::SharedEmbeddedGenerations(), nullptr);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->health_port(), 0);
  EXPECT_NE((*server)->health_port(), (*server)->port());
  const std::shared_ptr<grpc::Channel> health = HealthChannel(**server);
  EXPECT_THAT(CheckHealth(health), ::testing::Optional(Serving::SERVING));
  EXPECT_THAT(CheckHealth(health, "optimum.tasks.v1.TasksManager"),
              ::testing::Optional(Serving::SERVING));
  // The main port still refuses plaintext.
  EXPECT_EQ(Call(**server, grpc::InsecureChannelCredentials()).error_code(),
            grpc::StatusCode::UNAVAILABLE);

  // The service, reflection and channelz answer on the main port only.
  auto main_channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string((*server)->port()), Tls("ca"));
  for (const std::string method : {"/optimum.tasks.v1.TasksManager/GetAllTasks",
                                   "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                                   "/grpc.channelz.v1.Channelz/GetTopChannels"}) {
    EXPECT_EQ(CallMethod(health, method), grpc::StatusCode::UNIMPLEMENTED) << method;
    EXPECT_NE(CallMethod(main_channel, method), grpc::StatusCode::UNIMPLEMENTED) << method;
  }
  Stop(**server);
}

TEST_F(TlsTest, HealthListenerTurnsNotServingForTheWholeDrain) {
  auto server = TasksServer::Start(WithHealthListener(ServerTls()),
                                   testing::SharedEmbeddedGenerations(), nullptr);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::shared_ptr<grpc::Channel> health = HealthChannel(**server);
  grpc::ClientContext watch_context;
  auto watch = grpc::health::v1::Health::NewStub(health)->Watch(
      &watch_context, grpc::health::v1::HealthCheckRequest());
  Serving update;
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), Serving::SERVING);

  // An open stream on the main port keeps the drain going until the test ends it.
  auto main_channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string((*server)->port()), Tls("ca"));
  grpc::ClientContext in_flight_context;
  auto in_flight = grpc::health::v1::Health::NewStub(main_channel)
                       ->Watch(&in_flight_context, grpc::health::v1::HealthCheckRequest());
  ASSERT_TRUE(in_flight->Read(&update));

  std::atomic<bool> drained{false};
  std::thread shutdown([&] {
    (*server)->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(20));
    drained = true;
  });
  EXPECT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), Serving::NOT_SERVING);
  EXPECT_THAT(CheckHealth(health), ::testing::Optional(Serving::NOT_SERVING));
  EXPECT_THAT(CheckHealth(health, "optimum.tasks.v1.TasksManager"),
              ::testing::Optional(Serving::NOT_SERVING));
  EXPECT_FALSE(drained);  // still draining: the health listener outlives the drain

  in_flight_context.TryCancel();
  watch_context.TryCancel();
  shutdown.join();
  (*server)->Wait();
  EXPECT_EQ(CheckHealth(health), std::nullopt);  // closed once the drain is over
}

TEST_F(TlsTest, HealthListenerThatCannotListenFailsStart) {
  ServerOptions options = WithHealthListener(ServerTls());
  options.health_listen_address = "unix:" + File("no-such-folder/health.sock");
  auto server = TasksServer::Start(options, testing::SharedEmbeddedGenerations(), nullptr);
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(server.status().message(),
              HasSubstr("cannot listen on " + options.health_listen_address));
}

}  // namespace
}  // namespace tasks::service
