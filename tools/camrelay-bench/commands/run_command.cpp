// camrelay-bench run: parse, measure, report.
#include <signal.h>

#include <iostream>

#include "../measure/report.hpp"
#include "commands.hpp"
#include "run_modes.hpp"

namespace camrelay::bench {

namespace {

template <typename Result>
int report(const Result& result, bool json) {
    std::cout << (json ? format_json(result) : format_table(result));
    return result.failed() ? kExitFailed : kExitOk;
}

// A connection-level failure (no upgrade, unreachable host) as one line on
// stderr, besides the report.
void say_error(const std::string& url, const std::string& error) {
    if (!error.empty()) std::cerr << "camrelay-bench: " << url << ": " << error << "\n";
}

}  // namespace

int run_command(const std::vector<std::string>& args) {
    RunOptions options;
    std::vector<ws::Url> urls;
    try {
        options = parse_run_options(args);
        for (const auto& text : options.urls) {
            auto parsed = ws::parse_url(text);
            if (auto* error = std::get_if<std::string>(&parsed)) {
                throw UsageError("bad URL \"" + text + "\": " + *error);
            }
            urls.push_back(std::get<ws::Url>(parsed));
        }
    } catch (const UsageError& e) {
        std::cerr << "camrelay-bench: " << e.what() << "\n";
        if (std::string_view(e.what()).rfind("bad URL", 0) != 0) std::cerr << usage_text();
        return kExitUsage;
    }
    signal(SIGPIPE, SIG_IGN);
    switch (options.mode) {
        case RunOptions::Mode::rtt: {
            RttResult r = run_rtt(options, urls.front());
            say_error(r.url, r.error);
            return report(r, options.json);
        }
        case RunOptions::Mode::stream: {
            StreamResult r = run_stream(options, urls.front());
            say_error(r.url, r.error);
            return report(r, options.json);
        }
        case RunOptions::Mode::load: {
            LoadResult r = run_load(options, urls);
            for (const auto& e : r.errors) std::cerr << "camrelay-bench: " << e << "\n";
            return report(r, options.json);
        }
    }
    return kExitUsage;
}

}  // namespace camrelay::bench
