// sd_notify(3) without libsystemd: the same datagram systemd's own sd_notify() sends (see systemd's
// src/libsystemd/sd-daemon/sd-daemon.c, sd_pid_notify_with_fds): an AF_UNIX SOCK_DGRAM socket with
// SOCK_CLOEXEC, the address from $NOTIFY_SOCKET ("/path", or "@name" for the abstract namespace,
// whose address length then excludes any trailing NUL), one sendmsg with MSG_NOSIGNAL. One
// difference, on purpose: the socket is non-blocking (MSG_DONTWAIT), so a service manager that stops
// reading can never block Node's event loop; the caller sees EAGAIN instead.
#include "notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include "errors.h"

namespace ixv {

namespace {

// Closes the fd on every path out of SdNotify, including a thrown error.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) close(fd);
  }
};

}  // namespace

Napi::Value SdNotify(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string message = ArgString(info, 0, "message");
  if (message.empty()) ThrowType(env, "The \"message\" argument must be a non-empty string");

  std::string socketAddress;
  if (info.Length() > 1 && !info[1].IsUndefined()) {
    socketAddress = ArgString(info, 1, "socket");
  } else {
    const char* fromEnv = std::getenv("NOTIFY_SOCKET");
    if (fromEnv != nullptr) socketAddress = fromEnv;
  }
  if (socketAddress.empty()) return Napi::Boolean::New(env, false);

  // Only file-system ("/…") and abstract ("@…") AF_UNIX addresses, as sd_notify(): anything else
  // (a relative path, systemd's vsock: form) is EAFNOSUPPORT.
  if (socketAddress[0] != '/' && socketAddress[0] != '@') {
    ThrowErrno(env, EAFNOSUPPORT, "sd_notify", socketAddress, "NOTIFY_SOCKET is neither an absolute path nor @abstract");
  }
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  // A path needs room for its NUL; an abstract name ("@" becomes the leading NUL) does not.
  const size_t room = sizeof addr.sun_path - (socketAddress[0] == '/' ? 1 : 0);
  if (socketAddress.size() > room) {
    ThrowErrno(env, EINVAL, "sd_notify", socketAddress, "NOTIFY_SOCKET does not fit a Unix socket address");
  }
  std::memcpy(addr.sun_path, socketAddress.data(), socketAddress.size());
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';
  const socklen_t addrLen = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + socketAddress.size() +
                                                   (socketAddress[0] == '/' ? 1 : 0));

  FdCloser sock{socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
  if (sock.fd < 0) ThrowErrno(env, errno, "socket", socketAddress);

  struct iovec iov {};
  iov.iov_base = const_cast<char*>(message.data());
  iov.iov_len = message.size();
  struct msghdr msg {};
  msg.msg_name = &addr;
  msg.msg_namelen = addrLen;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  const ssize_t sent = HANDLE_EINTR(sendmsg(sock.fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT));
  if (sent < 0) ThrowErrno(env, errno, "sendmsg", socketAddress);
  return Napi::Boolean::New(env, true);
}

}  // namespace ixv
