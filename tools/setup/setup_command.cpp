// camrelay command: `camrelay [--config DIR] setup ARGS...` runs the relay
// setup program (tools/setup/camrelay-setup) with ARGS, and --config DIR
// when it was given. $CAMRELAY_SETUP_PROGRAM names another program (tests
// of an uninstalled build).
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "../camrelay/cli.hpp"

#ifndef CAMRELAY_SETUP_PROGRAM
#define CAMRELAY_SETUP_PROGRAM "/usr/libexec/camrelay/camrelay-setup"
#endif

namespace camrelay::cli {

int run_setup(const std::optional<std::string>& config_dir, std::span<const std::string> args) {
    const char* override_program = std::getenv("CAMRELAY_SETUP_PROGRAM");
    const std::string program =
        override_program != nullptr && *override_program != '\0' ? override_program : CAMRELAY_SETUP_PROGRAM;

    std::vector<std::string> words{program};
    if (config_dir) {
        words.push_back("--config");
        words.push_back(*config_dir);
    }
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> argv;
    argv.reserve(words.size() + 1);
    for (std::string& word : words) argv.push_back(word.data());
    argv.push_back(nullptr);

    std::cout.flush();
    ::execv(program.c_str(), argv.data());
    const int error = errno;
    fail_io("cannot run " + program + ": " + std::strerror(error) +
            (error == ENOENT ? " (is the camrelay package installed?)" : ""));
}

}  // namespace camrelay::cli
