// camrelay-bench: the demo camera's picture source.
#include "demo_feed.hpp"

#include <time.h>

#include <algorithm>
#include <cstdio>

#include "../io/clock.hpp"
#include "demo_frame.hpp"
#include "demo_picture.hpp"

namespace camrelay::bench {

namespace {

struct WallClock {
    std::uint64_t unix_us = 0;
    char text[16] = {};  // "HH:MM:SS.cc", local time
};

WallClock wall_clock() {
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    WallClock clock;
    clock.unix_us =
        static_cast<std::uint64_t>(now.tv_sec) * 1'000'000u + static_cast<std::uint64_t>(now.tv_nsec) / 1000u;
    tm local{};
    localtime_r(&now.tv_sec, &local);
    std::snprintf(clock.text, sizeof clock.text, "%02d:%02d:%02d.%02d", local.tm_hour, local.tm_min, local.tm_sec,
                  static_cast<int>(now.tv_nsec / 10'000'000));
    return clock;
}

}  // namespace

DemoFeed::DemoFeed(EventLoop& loop, std::uint64_t interval_ns)
    : loop_(loop),
      interval_ns_(interval_ns),
      start_ns_(monotonic_ns()),
      indices_(kDemoPixels),
      message_(kDemoFrameSize) {}

DemoFeed::~DemoFeed() {
    if (timer_) loop_.cancel(*timer_);
}

void DemoFeed::add(WsConnection& connection) {
    viewers_.emplace(&connection, DemoViewerTally{});
    if (timer_) return;
    // The first viewer: the next frame is the one due next.
    next_frame_ = (monotonic_ns() - start_ns_) / interval_ns_ + 1;
    timer_ = loop_.at(start_ns_ + next_frame_ * interval_ns_, [this] { on_timer(); });
}

DemoViewerTally DemoFeed::remove(WsConnection& connection) {
    DemoViewerTally tally;
    if (auto found = viewers_.find(&connection); found != viewers_.end()) {
        tally = found->second;
        viewers_.erase(found);
    }
    if (viewers_.empty() && timer_) {
        loop_.cancel(*timer_);
        timer_.reset();
    }
    return tally;
}

void DemoFeed::on_timer() {
    timer_.reset();
    if (viewers_.empty()) return;
    // The newest frame due: frames whose time passed while the camera was
    // not scheduled are left out, as a camera's encoder drops them.
    const std::uint64_t due = (monotonic_ns() - start_ns_) / interval_ns_;
    send_frame(std::max(due, next_frame_));
    next_frame_ = std::max(due, next_frame_) + 1;
    timer_ = loop_.at(start_ns_ + next_frame_ * interval_ns_, [this] { on_timer(); });
}

void DemoFeed::send_frame(std::uint64_t frame) {
    const WallClock clock = wall_clock();
    const double seconds = static_cast<double>(frame) * static_cast<double>(interval_ns_) / 1e9;
    draw_demo_picture(indices_, DemoScene{frame, clock.text, seconds});
    write_demo_frame(message_, frame, clock.unix_us, indices_);
    for (auto& [connection, tally] : viewers_) {
        if (!connection->can_send() || connection->buffered() >= kDemoFrameSize) {
            ++tally.skipped;
            continue;
        }
        connection->send(ws::Opcode::binary, message_);
        ++tally.sent;
    }
}

}  // namespace camrelay::bench
