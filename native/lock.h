// An exclusive advisory lock on an open file (flock): one daemon per socket path and per state directory.
#pragma once
#include <napi.h>

namespace ixv {
// lockExclusive(fd) -> true when this open file now holds flock(LOCK_EX), false when another open file
// holds it (EWOULDBLOCK; never waits). TypeError/RangeError on a bad fd argument; an errno error (syscall
// "flock") otherwise (EBADF, ENOLCK, ...). The lock goes with the last close of the file, also when the
// process is killed.
Napi::Value LockExclusive(const Napi::CallbackInfo& info);
}  // namespace ixv
