// sd_notify(3)-style service notifications: one datagram to the service manager's socket. Knows
// nothing about what the message says (READY=1, STATUS=..., STOPPING=1 are the caller's business).
#pragma once
#include <napi.h>

namespace ixv {
// sdNotify(message, socket?) -> boolean. `socket` defaults to $NOTIFY_SOCKET (getenv); false when it
// is unset or empty (not running under a service manager), true once the datagram is sent.
// TypeError on a non-string or empty message / non-string socket; errno errors (code, errno,
// syscall "socket" or "sendmsg", path = the socket address) otherwise: EAFNOSUPPORT for an address
// that is neither absolute nor abstract ("@name"), EINVAL when it does not fit sockaddr_un,
// ENOENT/ECONNREFUSED/EPROTOTYPE from sendmsg, EAGAIN when the receiver's queue is full.
Napi::Value SdNotify(const Napi::CallbackInfo& info);
}  // namespace ixv
