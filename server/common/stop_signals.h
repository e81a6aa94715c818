// StopSignals: the signals a server process waits for (stop, and for tasks-server reload) taken
// synchronously with sigwait instead of by handlers.
//
// Construct it first thing in main, before any thread starts: it blocks the signals in the
// calling thread, and threads created afterwards inherit that mask, so the signals stay pending
// until Wait() takes them. A thread started earlier with them unblocked would receive a SIGTERM
// and the process would die of it instead of shutting down.
//
// Wait() may be called from one thread at a time; the mask is never restored (the process ends
// after its last Wait()).
#ifndef TASKS_SERVER_COMMON_STOP_SIGNALS_H_
#define TASKS_SERVER_COMMON_STOP_SIGNALS_H_

#include <signal.h>

#include <initializer_list>

namespace tasks {

class StopSignals {
 public:
  // Blocks `signals` (e.g. {SIGINT, SIGTERM}) in the calling thread and in threads it starts.
  explicit StopSignals(std::initializer_list<int> signals);

  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Blocks until one of the signals arrives; returns its number, or 0 if sigwait failed (it
  // fails only for an invalid set), which callers treat as a stop.
  int Wait() const;

 private:
  sigset_t set_;
};

}  // namespace tasks

#endif  // TASKS_SERVER_COMMON_STOP_SIGNALS_H_
