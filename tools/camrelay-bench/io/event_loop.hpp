// camrelay-bench: a single-threaded epoll loop with nanosecond timers
// (timerfd). Everything of one process runs on it: no locks anywhere.
//
// Handlers are destroyed only through defer(), which runs after the events
// of the current round, so no event is delivered to a destroyed handler.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <map>
#include <utility>
#include <vector>

namespace camrelay::bench {

class IoHandler {
public:
    virtual ~IoHandler() = default;
    virtual void on_io(std::uint32_t events) = 0;
};

class EventLoop {
public:
    using TimerId = std::uint64_t;

    EventLoop();
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    void watch(int fd, std::uint32_t events, IoHandler& handler);
    void rewatch(int fd, std::uint32_t events, IoHandler& handler);
    void unwatch(int fd);

    // Calls `fn` once at `deadline_ns` (CLOCK_MONOTONIC) or soon after.
    TimerId at(std::uint64_t deadline_ns, std::function<void()> fn);
    void cancel(TimerId id);

    // Runs `fn` after the events of the current round.
    void defer(std::function<void()> fn);

    // Dispatches events until stop() or until `deadline_ns`. Returns true if
    // stopped, false if the deadline came first.
    bool run(std::uint64_t deadline_ns);
    void stop() { stopped_ = true; }

private:
    void arm_timerfd();
    void run_due_timers();
    void run_deferred();

    int epoll_fd_ = -1;
    int timer_fd_ = -1;
    bool stopped_ = false;
    TimerId next_id_ = 1;
    std::map<std::pair<std::uint64_t, TimerId>, std::function<void()>> timers_;
    std::map<TimerId, std::uint64_t> timer_deadlines_;
    std::uint64_t armed_for_ = 0;
    std::vector<std::function<void()>> deferred_;
};

}  // namespace camrelay::bench
