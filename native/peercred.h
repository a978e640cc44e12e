// Credentials of the peer of a connected Unix socket (SO_PEERCRED): the daemon's access check.
#pragma once
#include <napi.h>

namespace ixv {
// peerCredentials(fd) -> { pid, uid, gid }. TypeError/RangeError on a bad fd argument; an errno
// error (syscall "getsockopt(SO_PEERCRED)") when the fd is not a connected Unix socket.
Napi::Value PeerCredentials(const Napi::CallbackInfo& info);
}  // namespace ixv
