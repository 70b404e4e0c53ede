// camrelay command: `camrelay [--config DIR] setup ARGS...` runs the relay
// setup program (tools/setup/camrelay-setup) with ARGS, and --config DIR
// when it was given. $CAMRELAY_SETUP_PROGRAM names another program (tests
// of an uninstalled build).
#include "cli.hpp"

#ifndef CAMRELAY_SETUP_PROGRAM
#define CAMRELAY_SETUP_PROGRAM "/usr/libexec/camrelay/camrelay-setup"
#endif

namespace camrelay::cli {

int run_setup(const std::optional<std::string>& config_dir, std::span<const std::string> args) {
    static constexpr ExternalProgram kSetup{CAMRELAY_SETUP_PROGRAM, "CAMRELAY_SETUP_PROGRAM", "camrelay", true};
    exec_external(kSetup, config_dir, args);
}

}  // namespace camrelay::cli
