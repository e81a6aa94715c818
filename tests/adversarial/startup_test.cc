// Start-up regressions against the real tasks-server binary (issue 19, items 4, 6 and 11):
// a second server on a port in use, a port past 65535, every flag given a bad value, and a FIFO
// in a --registry_dir at SIGHUP. Servers listen on 127.0.0.1:0; bad values must end start-up
// before anything listens.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/adversarial/server_process.h"

namespace tasks::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::Duration kStartBound = absl::Seconds(20);  // generous: ASan, shared cores

// A fresh temp folder, removed afterwards.
class TempDir {
 public:
  TempDir() {
    path_ =
        fs::temp_directory_path() / absl::StrCat("tasks-startup-test-", getpid(), "-", counter_++);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

// A server started on a free port, with metrics; its ports read from the start-up line.
struct RunningServer {
  explicit RunningServer(std::vector<std::string> extra = {})
      : process([&] {
          std::vector<std::string> args = {"--listen_address=127.0.0.1:0",
                                           "--metrics_address=127.0.0.1:0", "--offline"};
          args.insert(args.end(), extra.begin(), extra.end());
          return args;
        }()) {}
  ServerProcess process;
};

TEST(StartupTest, ASecondServerOnAPortInUseFailsInsteadOfSharingIt) {
  RunningServer first;
  ASSERT_TRUE(first.process.WaitForOutput("at /metrics", kStartBound)) << first.process.output();
  const int port = first.process.NumberAfter("(port ");
  const int metrics_port = first.process.NumberAfter("metrics on port ");
  ASSERT_GT(port, 0);
  ASSERT_GT(metrics_port, 0);

  const std::string taken = absl::StrCat("127.0.0.1:", port);
  ServerProcess same_port({"--listen_address=" + taken, "--offline"});
  EXPECT_THAT(same_port.WaitForFailedStart(kStartBound), ::testing::Optional(::testing::Ne(0)))
      << same_port.output();
  EXPECT_THAT(same_port.output(), HasSubstr("cannot listen on " + taken));

  const std::string taken_metrics = absl::StrCat("127.0.0.1:", metrics_port);
  ServerProcess same_metrics_port(
      {"--listen_address=127.0.0.1:0", "--metrics_address=" + taken_metrics, "--offline"});
  EXPECT_THAT(same_metrics_port.WaitForFailedStart(kStartBound),
              ::testing::Optional(::testing::Ne(0)))
      << same_metrics_port.output();
  EXPECT_THAT(same_metrics_port.output(), HasSubstr("cannot listen on " + taken_metrics));

  first.process.Signal(SIGTERM);
  EXPECT_EQ(first.process.WaitForExit(kStartBound), 0) << first.process.output();
}

// A FIFO named like a registry file used to block the SIGHUP reload in open() on the thread
// taking signals, so the SIGTERM after it was never taken.
TEST(StartupTest, AFifoInTheRegistryDirIsSkippedAndSigtermStillStopsTheServer) {
  TempDir registry;
  RunningServer server({"--registry_dir=" + registry.path().string()});
  ASSERT_TRUE(server.process.WaitForOutput("serving", kStartBound)) << server.process.output();
  const fs::path fifo = registry.path() / "50-pipe.txtpb";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);

  server.process.Signal(SIGHUP);
  EXPECT_TRUE(server.process.WaitForOutput("registry reloaded", kStartBound))
      << server.process.output();
  EXPECT_THAT(server.process.output(), HasSubstr(fifo.string() + ": skipped, not a regular file"));
  server.process.Signal(SIGTERM);
  EXPECT_EQ(server.process.WaitForExit(kStartBound), 0) << server.process.output();
}

// A worker of another uid sharing the socket's group can connect only if the group may write to
// the socket: gRPC binds it with the umask's mode (0755 under the usual 022).
TEST(StartupTest, UnixSocketModeIsSetOnTheSocketFile) {
  TempDir folder;
  const fs::path socket = folder.path() / "tasks.sock";
  for (const std::string address : {"unix:" + socket.string(), "unix://" + socket.string()}) {
    SCOPED_TRACE(address);
    ServerProcess server({"--listen_address=" + address, "--unix_socket_mode=0660", "--offline"});
    ASSERT_TRUE(server.WaitForOutput("serving", kStartBound)) << server.output();
    struct stat info {};
    ASSERT_EQ(stat(socket.c_str(), &info), 0);
    EXPECT_TRUE(S_ISSOCK(info.st_mode));
    EXPECT_EQ(info.st_mode & 07777, 0660);
    server.Signal(SIGTERM);
    EXPECT_EQ(server.WaitForExit(kStartBound), 0) << server.output();
  }
}

// A flag given a bad value: the arguments (or environment) and what the one line must say.
struct BadValue {
  std::string flag;  // as --help lists it, without "--"
  std::vector<std::string> args;
  std::string accepted;  // a phrase of the error saying what the flag accepts
  std::vector<std::string> env = {};
};

// Every flag of tasks-server --help has at least one case here (checked below): a flag added
// without validation has no case and fails EveryFlagOfHelpHasABadValueCase.
std::vector<BadValue> BadValues(const fs::path& file, const fs::path& folder) {
  const std::string missing = (folder / "missing").string();
  return {
      {"listen_address", {"--listen_address=127.0.0.1:99999"}, "ports are 0 to 65535"},
      {"listen_address", {"--listen_address=127.0.0.1:-1"}, "ports are 0 to 65535"},
      {"listen_address", {"--listen_address=127.0.0.1"}, "not host:port"},
      {"listen_address", {"--listen_address=unix:"}, "no socket path"},
      {"unix_socket_mode", {"--unix_socket_mode=0999"}, "an octal file mode from 0 to 0777"},
      {"unix_socket_mode", {"--unix_socket_mode=rw-rw----"}, "an octal file mode"},
      {"unix_socket_mode", {"--unix_socket_mode=01777"}, "an octal file mode"},
      // BadFlagTest listens on 127.0.0.1:0: no socket file to set the mode of.
      {"unix_socket_mode", {"--unix_socket_mode=0660"}, "applies to a unix:/path --listen_address"},
      {"registry_dir", {"--registry_dir=" + missing}, "Directory does not exist"},
      {"default_optimum_version", {"--default_optimum_version=1.26"},
       "no shipped generation is '1.26'; valid: 1.23, 1.27, 2.1, latest"},
      {"tls_cert", {"--tls_cert=" + missing}, "File does not exist"},
      {"tls_key", {"--tls_key=" + missing}, "File does not exist"},
      {"tls_client_ca", {"--tls_client_ca=" + missing}, "File does not exist"},
      {"tls_refresh_interval", {"--tls_refresh_interval=0"}, "not in range"},
      {"health_listen_address", {"--health_listen_address=127.0.0.1:99999"},
       "ports are 0 to 65535"},
      {"metrics_address", {"--metrics_address=127.0.0.1:70000"}, "ports are 0 to 65535"},
      {"metrics_address", {"--metrics_address=unix:/tmp/x"}, "not host:port"},
      {"log_level", {"--log_level=loud"}, "not one of trace, debug"},
      {"log_format", {"--log_format=xml"}, "not one of text, json"},
      {"call_log", {"--call_log=some"}, "all"},
      {"shutdown_grace_period", {"--shutdown_grace_period=-1"}, "seconds, a number from 0 to"},
      {"shutdown_grace_period", {"--shutdown_grace_period=1e400"}, "seconds, a number from 0 to"},
      {"shutdown_grace_period", {"--shutdown_grace_period=inf"}, "seconds, a number from 0 to"},
      {"hf_endpoint", {"--hf_endpoint=not a url"}, "expected an http:// or https:// URL"},
      {"hf_endpoint", {"--hf_endpoint=ftp://mirror.internal"}, "is not an http(s) URL"},
      {"hf_endpoint", {"--hf_endpoint=https://user:secret@mirror"}, "user info"},
      {"hf_endpoint", {}, "expected an http:// or https:// URL", {"HF_ENDPOINT=not a url"}},
      {"ca_bundle", {"--ca_bundle=" + missing}, "File does not exist"},
      {"token_file", {"--token_file=" + folder.string()}, "is not a regular file"},
      {"anonymous_uses_server_token",
       {"--anonymous_uses_server_token=maybe"},
       "expected true or false"},
      {"model_root", {"--model_root=" + missing}, "Directory does not exist"},
      {"hf_cache_dir", {"--hf_cache_dir=" + file.string()}, "is not a folder"},
      {"offline", {"--offline=maybe"}, "expected true or false"},
      {"cache_max_bytes", {"--cache_max_bytes=-5"}, "an integer from 0 to 1099511627776"},
      {"cache_max_bytes", {}, "an integer from 0 to", {"TASKS_CACHE_MAX_BYTES=-5"}},
      {"cache_max_bytes", {"--cache_max_bytes=lots"}, "an integer from 0 to"},
      {"model_info_ttl", {"--model_info_ttl=-1"}, "seconds, a number from 0 to 604800"},
      {"hub_timeout", {"--hub_timeout=0"}, "seconds, a number above 0 to 604800"},
      {"hub_timeout", {"--hub_timeout=nan"}, "seconds, a number above 0"},
      {"hub_threads", {"--hub_threads=0"}, "an integer from 1 to 1024"},
      {"hub_threads", {"--hub_threads=100000"}, "an integer from 1 to 1024"},
      {"hub_threads", {"--hub_threads=1.5"}, "an integer from 1 to 1024"},
      {"batch_max_in_flight", {"--batch_max_in_flight=0"}, "an integer from 1 to 65536"},
      {"stats_log_interval", {"--stats_log_interval=-1"}, "seconds, a number from 0"},
      {"keepalive_time", {"--keepalive_time=-1"}, "seconds, a number from 0"},
      {"keepalive_timeout", {"--keepalive_timeout=0"}, "seconds, a number above 0"},
      {"max_connection_age", {"--max_connection_age=1e999"}, "seconds, a number from 0"},
      {"max_connection_age_grace", {"--max_connection_age_grace=-1"}, "seconds, a number from 0"},
      {"max_receive_message_bytes", {"--max_receive_message_bytes=0"}, "an integer from 1 to"},
      {"max_send_message_bytes", {"--max_send_message_bytes=99999999999"}, "an integer from 1 to"},
      {"redis_address", {"--redis_address=redis"}, "expected host:port or unix:/path"},
      {"redis_address", {"--redis_address=unix:"}, "no socket path"},
      {"redis_address", {"--redis_address=127.0.0.1:0"}, "names no port to connect to"},
      {"redis_address", {"--redis_address=127.0.0.1:6379"}, "needs a secret"},
      {"redis_password_file", {"--redis_password_file=" + missing}, "File does not exist"},
      {"redis_key_prefix", {"--redis_key_prefix=a b"}, "1 to 64 printable characters"},
      {"redis_timeout", {"--redis_timeout=0"}, "seconds, a number above 0"},
      {"redis_lease_ttl", {"--redis_lease_ttl=-1"}, "seconds, a number above 0"},
      {"cache_key_file", {"--cache_key_file=" + file.string()}, "secret shorter than 16 bytes"},
      {"cache_key_file", {"--cache_key_file=" + folder.string()}, "is not a regular file"},
      {"redis_value_key_file", {"--redis_value_key_file=" + missing}, "is not a regular file"},
  };
}

class BadFlagTest : public ::testing::Test {
 protected:
  void SetUp() override { std::ofstream(dir_.path() / "a-file") << "not a folder\n"; }
  std::vector<BadValue> Cases() const { return BadValues(dir_.path() / "a-file", dir_.path()); }
  TempDir dir_;
};

TEST_F(BadFlagTest, EachBadValueStopsStartUpWithOneLineNamingTheFlag) {
  for (const BadValue& bad : Cases()) {
    SCOPED_TRACE(absl::StrCat(absl::StrJoin(bad.args, " "), " ", absl::StrJoin(bad.env, " ")));
    // Any port it would serve on is a free one: a value wrongly accepted must not take 50051.
    std::vector<std::string> args;
    if (bad.flag != "listen_address") args.push_back("--listen_address=127.0.0.1:0");
    args.insert(args.end(), bad.args.begin(), bad.args.end());
    ServerProcess server(args, bad.env);
    EXPECT_THAT(server.WaitForFailedStart(kStartBound), ::testing::Optional(::testing::Ne(0)));
    const std::string& out = server.output();
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
    EXPECT_THAT(out, HasSubstr("--" + bad.flag)) << out;
    EXPECT_THAT(out, HasSubstr(bad.accepted)) << out;
    EXPECT_THAT(out, Not(ContainsRegex("[0-9]{20}"))) << out;  // no 309-digit bound
  }
}

TEST_F(BadFlagTest, EveryFlagOfHelpHasABadValueCase) {
  ServerProcess help({"--help"});
  ASSERT_EQ(help.WaitForExit(kStartBound), 0);
  std::set<std::string> covered = {"help", "version"};  // they take no value
  for (const BadValue& bad : Cases()) covered.insert(bad.flag);
  const std::string& text = help.output();
  const std::regex flag("\\n +--([a-z_]+)");
  int flags = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), flag); it != std::sregex_iterator();
       ++it) {
    ++flags;
    EXPECT_TRUE(covered.contains((*it)[1])) << "--" << (*it)[1] << " has no bad-value case";
  }
  EXPECT_GT(flags, 25) << text;
}

}  // namespace
}  // namespace tasks::testing
