// camrelay-bench run: parse, measure, report.
#include <signal.h>

#include <algorithm>
#include <iostream>
#include <memory>

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
    bool secure = false;  // a wss:// URL among them
    try {
        options = parse_run_options(args);
        for (const auto& text : options.urls) {
            auto parsed = ws::parse_url(text);
            if (auto* error = std::get_if<std::string>(&parsed)) {
                throw UsageError("bad URL \"" + text + "\": " + *error);
            }
            urls.push_back(std::get<ws::Url>(parsed));
        }
        secure = std::any_of(urls.begin(), urls.end(), [](const ws::Url& u) { return u.secure; });
        if (!secure && (options.insecure || !options.ca_file.empty())) {
            throw UsageError("--ca and --insecure are for wss:// URLs");
        }
    } catch (const UsageError& e) {
        std::cerr << "camrelay-bench: " << e.what() << "\n";
        if (std::string_view(e.what()).rfind("bad URL", 0) != 0) std::cerr << usage_text();
        return kExitUsage;
    }
    signal(SIGPIPE, SIG_IGN);
    std::unique_ptr<TlsClient> tls;
    if (secure) {
        auto made = TlsClient::create(TlsSettings{options.ca_file, options.insecure});
        if (auto* error = std::get_if<std::string>(&made)) {
            std::cerr << "camrelay-bench: " << *error << "\n";
            return options.ca_file.empty() ? kExitFailed : kExitUsage;
        }
        tls = std::move(std::get<std::unique_ptr<TlsClient>>(made));
        if (options.insecure)
            std::cerr << "camrelay-bench: warning: --insecure: the server's certificate is not verified\n";
    }
    switch (options.mode) {
        case RunOptions::Mode::rtt: {
            RttResult r = run_rtt(options, urls.front(), tls.get());
            say_error(r.url, r.error);
            return report(r, options.json);
        }
        case RunOptions::Mode::stream: {
            StreamResult r = run_stream(options, urls.front(), tls.get());
            say_error(r.url, r.error);
            return report(r, options.json);
        }
        case RunOptions::Mode::demo: {
            DemoResult r = run_demo(options, urls.front(), tls.get());
            say_error(r.url, r.error);
            return report(r, options.json);
        }
        case RunOptions::Mode::load: {
            LoadResult r = run_load(options, urls, tls.get());
            for (const auto& e : r.errors) std::cerr << "camrelay-bench: " << e << "\n";
            return report(r, options.json);
        }
    }
    return kExitUsage;
}

}  // namespace camrelay::bench
