// TLS and mutual TLS end to end: an in-process server on 127.0.0.1:0 with certificates the
// openssl command-line tool makes for this run in a temp folder: a CA, a server certificate for
// localhost and 127.0.0.1 and a client certificate it signed, and an unrelated CA with a client
// certificate of its own.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
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
    return TasksServer::Start(options, testing::SharedEmbeddedTasksManager(), nullptr);
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
  auto server = TasksServer::Start(options, testing::SharedEmbeddedTasksManager(), nullptr);
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(server.status().message(), HasSubstr("unix socket"));
}

}  // namespace
}  // namespace tasks::service
