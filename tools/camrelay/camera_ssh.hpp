// camrelay command: the SSH side of `camera add --ssh-key` and `camera
// remove` (camera_ssh.cpp). Each step either prepares (checks, computes new
// file text, writes nothing) or commits; camera_command.cpp calls them around its
// own edit of cameras.conf, under the configuration directory's lock.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "cli.hpp"
#include "camrelay/admin/ssh_access.hpp"

namespace camrelay::cli {

// The session program written into command= (CAMRELAY_SESSION_PROGRAM at
// build time, $CAMRELAY_SESSION_PROGRAM overrides it).
std::string session_program();

// With --ssh-key and no tunnel option: the first free port of 20000-29999
// (no camera uses it, nothing listens on it). nullopt otherwise.
std::optional<std::uint16_t> ssh_default_port(const Args& args, const CamerasFile& cameras);

struct SshAdd {
    SshPublicKey key;
    SshPublicKey host_key;
    CameraAccess access;
    std::string user;
    std::string relay_host;
    std::uint16_t relay_port = 22;
    std::uint16_t https_port = kDefaultHttpsPort;  // --https-port, else setup.conf's, else 443
    std::string path;                              // authorized_keys
    std::optional<std::string> old_text;           // nullopt: no file yet
    std::string new_text;
};

// With --ssh-key: read and check the key, the port and authorized_keys, set
// camera.ssh_key. Throws a Failure (nothing written) on any problem; nullopt
// without --ssh-key.
std::optional<SshAdd> ssh_prepare_add(const Context& context, const Args& args, const CamerasFile& cameras,
                                      Camera& camera);
// After cameras.conf was written: write authorized_keys; if that fails, put
// cameras.conf back as `cameras` had it and rethrow.
void ssh_commit_add(const SshAdd& add, const CamerasFile& cameras);
// What to install on the camera.
void ssh_print_add(const SshAdd& add, std::ostream& out);

struct SshRemove {
    std::string camera_id;
    std::string path;
    std::optional<std::string> old_text;
    std::string new_text;
    int lines = 0;
};
std::optional<SshRemove> ssh_prepare_remove(const Context& context, const Camera& camera);
// Before cameras.conf is written: drop the key lines (access ends first).
void ssh_commit_remove(const SshRemove& rm);
// After: end the camera's live connections, report.
void ssh_after_remove(const SshRemove& rm, std::ostream& out);

// camera add: refuse a port or socket path something already listens on
// (a removed camera's connection, say): its viewers would reach that.
void refuse_tunnel_in_use(const Tunnel& tunnel);
// camera remove, after the files are written: end every SSH connection that
// still holds the camera's port or socket, with or without a session
// program (`ssh -N -R`); warn about any other process listening there.
void close_tunnel(const Camera& camera, std::ostream& out);

}  // namespace camrelay::cli
