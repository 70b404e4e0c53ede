// camrelay command: commands carried out by another program of the package
// (`camrelay setup` → camrelay-setup, `camrelay tunnel` → camrelay-tunnel).
// They are shell programs because they must also run where the camrelay
// binary does not (a camera board), or drive system tools step by step.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "cli.hpp"

namespace camrelay::cli {

void exec_external(const ExternalProgram& external, const std::optional<std::string>& config_dir,
                   std::span<const std::string> args) {
    // An environment variable may name another program: tests of an
    // uninstalled build point it at the source tree.
    const char* override_program = std::getenv(external.override_env);
    const std::string program =
        override_program != nullptr && *override_program != '\0' ? override_program : external.program;

    std::vector<std::string> words{program};
    if (config_dir && external.passes_config) {
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
            (error == ENOENT ? std::string(" (is the ") + external.package + " package installed?)" : ""));
}

}  // namespace camrelay::cli
