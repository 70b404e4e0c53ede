// camrelay-bench: a WebSocket benchmark for camera relays. `serve` plays the
// camera, `run` plays the viewers and measures.
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "commands/commands.hpp"
#include "commands/options.hpp"

int main(int argc, char** argv) {
    using namespace camrelay::bench;
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        (args.empty() ? std::cerr : std::cout) << usage_text();
        return args.empty() ? kExitUsage : kExitOk;
    }
    const std::string command = args.front();
    args.erase(args.begin());
    try {
        if (command == "serve") return serve_command(args);
        if (command == "run") return run_command(args);
    } catch (const std::exception& e) {
        std::cerr << "camrelay-bench: " << e.what() << "\n";
        return kExitFailed;
    }
    std::cerr << "camrelay-bench: unknown command \"" << command << "\"\n" << usage_text();
    return kExitUsage;
}
