// Command-line parsing of serve and run.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "commands/options.hpp"

namespace camrelay::bench {
namespace {

TEST(Options, ServeDefaults) {
    ServeOptions o = parse_serve_options({"--listen", "127.0.0.1:0"});
    EXPECT_EQ(o.mode, ServeOptions::Mode::echo);
    EXPECT_EQ(o.size, 16384u);
    EXPECT_FALSE(o.duration_s);
    // 4 Mbit/s of 16 KiB messages: 30.5 a second.
    EXPECT_EQ(o.pace.interval_ns, 32'768'000u);
}

TEST(Options, ServeStream) {
    ServeOptions o = parse_serve_options(
        {"--listen", "[::1]:9001", "--mode", "stream", "--size", "64K", "--rate", "max", "--duration", "2.5"});
    EXPECT_EQ(o.mode, ServeOptions::Mode::stream);
    EXPECT_EQ(o.size, 65536u);
    EXPECT_TRUE(o.pace.as_fast_as_possible());
    EXPECT_DOUBLE_EQ(*o.duration_s, 2.5);
    EXPECT_EQ(parse_serve_options({"--listen", "h:1", "--rate", "100"}).pace.interval_ns, 10'000'000u);
}

TEST(Options, ServeErrors) {
    EXPECT_THROW(parse_serve_options({}), UsageError);
    EXPECT_THROW(parse_serve_options({"--listen"}), UsageError);
    EXPECT_THROW(parse_serve_options({"--listen", "h:1", "--mode", "mirror"}), UsageError);
    EXPECT_THROW(parse_serve_options({"--listen", "h:1", "--size", "10"}), UsageError);
    EXPECT_THROW(parse_serve_options({"--listen", "h:1", "--rate", "5", "--mbps", "2"}), UsageError);
    EXPECT_THROW(parse_serve_options({"--listen", "h:1", "--bogus"}), UsageError);
}

TEST(Options, RunDefaultsPerMode) {
    RunOptions rtt = parse_run_options({"ws://h/", "--mode", "rtt"});
    EXPECT_EQ(rtt.count, 1000u);
    EXPECT_EQ(rtt.size, 16384u);
    EXPECT_FALSE(rtt.json);
    RunOptions stream = parse_run_options({"ws://h/", "--mode", "stream", "--json"});
    EXPECT_EQ(stream.size, 65536u);
    EXPECT_TRUE(stream.pace.as_fast_as_possible());
    EXPECT_DOUBLE_EQ(stream.duration_s, 5);
    EXPECT_TRUE(stream.json);
    RunOptions load = parse_run_options({"ws://h/", "--mode", "load", "--cameras", "4", "--mbps", "1"});
    EXPECT_EQ(load.urls.size(), 4u);
    EXPECT_EQ(load.viewers, 2u);
    EXPECT_EQ(load.pace.interval_ns, 131'072'000u);
    EXPECT_GT(load.timeout_s, load.duration_s);
}

TEST(Options, RunLoadOptions) {
    RunOptions o = parse_run_options({"--mode", "load", "ws://a/", "ws://b/", "--viewers", "3", "--relay-pid", "10,20",
                                      "--relay-pid", "30", "--upstream-hz", "0", "--rate", "max"});
    EXPECT_EQ(o.urls, (std::vector<std::string>{"ws://a/", "ws://b/"}));
    EXPECT_EQ(o.viewers, 3u);
    EXPECT_EQ(o.relay_pids, (std::vector<int>{10, 20, 30}));
    EXPECT_DOUBLE_EQ(o.upstream_hz, 0);
    EXPECT_TRUE(o.pace.as_fast_as_possible());
}

TEST(Options, RunUrlsFile) {
    const std::string path = ::testing::TempDir() + "camrelay_bench_urls.txt";
    {
        std::ofstream out(path);
        out << "# cameras\nws://a/cam1\n\n  ws://a/cam2  \n";
    }
    RunOptions o = parse_run_options({"--mode", "load", "--urls-file", path});
    std::remove(path.c_str());
    EXPECT_EQ(o.urls, (std::vector<std::string>{"ws://a/cam1", "ws://a/cam2"}));
}

TEST(Options, RunTls) {
    RunOptions o = parse_run_options({"wss://h/", "--mode", "rtt", "--insecure"});
    EXPECT_TRUE(o.insecure);
    EXPECT_EQ(o.ca_file, "");
    const std::string ca = ::testing::TempDir() + "camrelay_bench_ca.pem";
    std::ofstream(ca) << "-----BEGIN CERTIFICATE-----\n";
    RunOptions c = parse_run_options({"wss://h/", "--mode", "rtt", "--ca", ca});
    EXPECT_EQ(c.ca_file, ca);
    EXPECT_FALSE(c.insecure);
    EXPECT_THROW(parse_run_options({"wss://h/", "--mode", "rtt", "--ca", ca, "--insecure"}), UsageError);
    std::remove(ca.c_str());
    EXPECT_THROW(parse_run_options({"wss://h/", "--mode", "rtt", "--ca", ca}), UsageError);  // unreadable
    EXPECT_THROW(parse_run_options({"wss://h/", "--mode", "rtt", "--ca"}), UsageError);
}

TEST(Options, RunErrors) {
    EXPECT_THROW(parse_run_options({"ws://h/"}), UsageError);                              // no mode
    EXPECT_THROW(parse_run_options({"--mode", "rtt"}), UsageError);                        // no URL
    EXPECT_THROW(parse_run_options({"ws://a/", "ws://b/", "--mode", "rtt"}), UsageError);  // two URLs
    EXPECT_THROW(parse_run_options({"ws://a/", "--mode", "rtt", "--cameras", "2"}), UsageError);
    EXPECT_THROW(parse_run_options({"ws://a/", "ws://b/", "--mode", "load", "--cameras", "3"}), UsageError);
    EXPECT_THROW(parse_run_options({"ws://a/", "--mode", "load", "--count", "-1"}), UsageError);
    EXPECT_THROW(parse_run_options({"ws://a/", "--mode", "load", "--count", "1.5"}), UsageError);
    EXPECT_THROW(parse_run_options({"ws://a/", "--mode", "load", "--relay-pid", "1,,2"}), UsageError);
    EXPECT_THROW(parse_run_options({"ws://a/", "--mode", "load", "--mbps", "2", "--rate", "3"}), UsageError);
    EXPECT_THROW(parse_run_options({"ws://a/", "--mode", "load", "--urls-file", "/nonexistent/x"}), UsageError);
}

TEST(Options, Sizes) {
    EXPECT_EQ(parse_size("--size", "100"), 100u);
    EXPECT_EQ(parse_size("--size", "16K"), 16384u);
    EXPECT_EQ(parse_size("--size", "1m"), 1048576u);
    EXPECT_THROW(parse_size("--size", "K"), UsageError);
    EXPECT_THROW(parse_size("--size", "12Q"), UsageError);
}

TEST(Options, ServeLiveCamera) {
    ServeOptions o = parse_serve_options({"--listen", "h:1", "--max-queue", "64K", "--adapt", "0.5:4"});
    EXPECT_EQ(o.max_queue, 65536u);
    ASSERT_TRUE(o.adapt);
    EXPECT_DOUBLE_EQ(o.adapt->min_bps, 500'000);
    EXPECT_DOUBLE_EQ(o.adapt->max_bps, 4'000'000);
    ServeOptions plain = parse_serve_options({"--listen", "h:1"});
    EXPECT_EQ(plain.max_queue, 0u);
    EXPECT_FALSE(plain.adapt);
    EXPECT_THROW(parse_serve_options({"--listen", "h:1", "--adapt", "4:0.5"}), UsageError);
    EXPECT_THROW(parse_serve_options({"--listen", "h:1", "--adapt", "4"}), UsageError);
    EXPECT_THROW(parse_serve_options({"--listen", "h:1", "--max-queue", "0"}), UsageError);
    EXPECT_EQ(parse_serve_options({"--listen", "h:1", "--clock-skew", "-1.5"}).clock_skew_ns, -1'500'000);
    EXPECT_EQ(plain.clock_skew_ns, 0);
    EXPECT_THROW(parse_serve_options({"--listen", "h:1", "--mode", "demo", "--adapt", "1:2"}), UsageError);
}

TEST(Options, RunLiveViewer) {
    RunOptions o = parse_run_options({"ws://h/", "--mode", "stream", "--mbps", "8", "--size", "16K", "--read-mbps", "2",
                                      "--probe-hz", "0", "--clock", "estimate"});
    EXPECT_DOUBLE_EQ(o.read_mbps, 2);
    EXPECT_DOUBLE_EQ(o.probe_hz, 0);
    EXPECT_EQ(o.clock, ClockUse::estimate);
    EXPECT_EQ(o.pace.interval_ns, 16'384'000u);  // --mbps paces a stream too
    RunOptions d = parse_run_options({"ws://h/", "--mode", "stream"});
    EXPECT_TRUE(d.pace.as_fast_as_possible());
    EXPECT_EQ(d.clock, ClockUse::automatic);
    EXPECT_DOUBLE_EQ(d.probe_hz, 5);
    EXPECT_DOUBLE_EQ(d.read_mbps, 0);
    EXPECT_THROW(parse_run_options({"ws://h/", "--mode", "stream", "--clock", "sometimes"}), UsageError);
}

}  // namespace
}  // namespace camrelay::bench
