#include "server/common/stop_signals.h"

#include <pthread.h>

namespace tasks {

StopSignals::StopSignals(std::initializer_list<int> signals) {
  sigemptyset(&set_);
  for (int signal : signals) sigaddset(&set_, signal);
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);
}

int StopSignals::Wait() const {
  int signal = 0;
  return sigwait(&set_, &signal) == 0 ? signal : 0;
}

}  // namespace tasks
