// camrelay-bench: epoll loop with timerfd timers.
#include "event_loop.hpp"

#include <sys/timerfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "clock.hpp"

namespace camrelay::bench {

namespace {

[[noreturn]] void system_failure(const char* what) {
    throw std::runtime_error(std::string(what) + ": " + std::strerror(errno));
}

// Marks the timerfd in epoll_event.data.ptr.
IoHandler* const kTimerMark = nullptr;

}  // namespace

EventLoop::EventLoop() {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) system_failure("epoll_create1");
    timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (timer_fd_ < 0) system_failure("timerfd_create");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = kTimerMark;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, timer_fd_, &ev) != 0) system_failure("epoll_ctl(timerfd)");
}

EventLoop::~EventLoop() {
    close(timer_fd_);
    close(epoll_fd_);
}

void EventLoop::watch(int fd, std::uint32_t events, IoHandler& handler) {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = &handler;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) system_failure("epoll_ctl(ADD)");
}

void EventLoop::rewatch(int fd, std::uint32_t events, IoHandler& handler) {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = &handler;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) != 0) system_failure("epoll_ctl(MOD)");
}

void EventLoop::unwatch(int fd) { epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr); }

EventLoop::TimerId EventLoop::at(std::uint64_t deadline_ns, std::function<void()> fn) {
    TimerId id = next_id_++;
    timers_.emplace(std::make_pair(deadline_ns, id), std::move(fn));
    timer_deadlines_.emplace(id, deadline_ns);
    if (armed_for_ == 0 || deadline_ns < armed_for_) arm_timerfd();
    return id;
}

void EventLoop::cancel(TimerId id) {
    auto it = timer_deadlines_.find(id);
    if (it == timer_deadlines_.end()) return;
    timers_.erase(std::make_pair(it->second, id));
    timer_deadlines_.erase(it);
}

void EventLoop::defer(std::function<void()> fn) { deferred_.push_back(std::move(fn)); }

void EventLoop::arm_timerfd() {
    itimerspec spec{};  // all zero: disarmed
    armed_for_ = timers_.empty() ? 0 : timers_.begin()->first.first;
    if (armed_for_ != 0) {
        spec.it_value.tv_sec = static_cast<time_t>(armed_for_ / 1'000'000'000ull);
        spec.it_value.tv_nsec = static_cast<long>(armed_for_ % 1'000'000'000ull);
    }
    if (timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr) != 0) system_failure("timerfd_settime");
}

void EventLoop::run_due_timers() {
    std::uint64_t expirations;
    while (read(timer_fd_, &expirations, sizeof expirations) > 0) {}
    const std::uint64_t now = monotonic_ns();
    while (!timers_.empty() && timers_.begin()->first.first <= now && !stopped_) {
        auto node = timers_.extract(timers_.begin());
        timer_deadlines_.erase(node.key().second);
        node.mapped()();
    }
    arm_timerfd();
}

void EventLoop::run_deferred() {
    while (!deferred_.empty()) {
        auto batch = std::move(deferred_);
        deferred_.clear();
        for (auto& fn : batch) fn();
    }
}

bool EventLoop::run(std::uint64_t deadline_ns) {
    stopped_ = false;
    bool deadline_passed = false;
    TimerId deadline_timer = at(deadline_ns, [&deadline_passed] { deadline_passed = true; });
    std::array<epoll_event, 256> events{};
    while (!stopped_ && !deadline_passed) {
        run_deferred();
        if (stopped_) break;
        int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            system_failure("epoll_wait");
        }
        bool timer_fired = false;
        for (int i = 0; i < n && !stopped_; ++i) {
            auto* handler = static_cast<IoHandler*>(events[i].data.ptr);
            if (handler == kTimerMark) {
                timer_fired = true;
                continue;
            }
            handler->on_io(events[i].events);
        }
        if (timer_fired || (!timers_.empty() && timers_.begin()->first.first <= monotonic_ns())) run_due_timers();
        run_deferred();
    }
    cancel(deadline_timer);
    run_deferred();
    return stopped_;
}

}  // namespace camrelay::bench
