#include "lock.h"

#include <sys/file.h>
#include <cerrno>

#include "errors.h"

namespace ixv {

Napi::Value LockExclusive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int fd = static_cast<int>(ArgInteger(info, 0, "fd", 0, 2147483647));
  for (;;) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) return Napi::Boolean::New(env, true);
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) return Napi::Boolean::New(env, false);
    ThrowErrno(env, errno, "flock");
  }
}

}  // namespace ixv
