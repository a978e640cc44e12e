// replaceFileDurably: write a new file and rename it over the old one, durably, as one job on
// libuv's thread pool (see durable.h for the contract). Plain POSIX/Linux calls only (openat,
// write, fdatasync, renameat, fsync), so the same source builds for every Linux target.
#include "durable.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

#include "errors.h"

namespace ixv {

namespace {

// A name inside the directory: one path component, so that the fd alone decides where the file
// is (no '/' to walk elsewhere, no '.' or '..' to name the directory or its parent). Returns it.
std::string CheckedName(Napi::Env env, const Napi::Value& v, const char* what) {
  if (!v.IsString()) {
    ThrowType(env, std::string("The \"") + what + "\" argument must be of type string");
  }
  const std::string name = v.As<Napi::String>().Utf8Value();
  const char* problem = nullptr;
  if (name.empty()) problem = "must not be empty";
  else if (name == "." || name == "..") problem = "must not be '.' or '..'";
  else if (name.find('/') != std::string::npos) problem = "must be a name inside the directory (no '/')";
  else if (name.find('\0') != std::string::npos) problem = "must not contain NUL";
  if (problem != nullptr) {
    Napi::TypeError e = Napi::TypeError::New(env, std::string("The \"") + what + "\" argument " + problem);
    e.Set("code", "ERR_INVALID_ARG_VALUE");
    throw e;
  }
  return name;
}

class ReplaceWork : public Napi::AsyncWorker {
 public:
  ReplaceWork(Napi::Env env, Napi::Promise::Deferred deferred, int dirFd, std::string temp, std::string final,
              std::vector<uint8_t> data)
      : Napi::AsyncWorker(env, "replaceFileDurably"),
        deferred_(deferred),
        dirFd_(dirFd),
        temp_(std::move(temp)),
        final_(std::move(final)),
        data_(std::move(data)) {}

  // Thread pool: no JS, no napi calls. Records the first failure in err_/syscall_.
  void Execute() override {
    const int fd = HANDLE_EINTR(openat(dirFd_, temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd < 0) {
      Fail(errno, "open");  // nothing created: an existing temp (EEXIST) is not ours to remove
      return;
    }
    bool ok = WriteAll(fd) && Step(HANDLE_EINTR(fdatasync(fd)), "fdatasync");
    // close(2) is not retried on EINTR: Linux has released the fd by then.
    if (close(fd) != 0 && errno != EINTR && ok) ok = Step(-1, "close");
    if (ok) ok = Step(HANDLE_EINTR(renameat(dirFd_, temp_.c_str(), dirFd_, final_.c_str())), "rename");
    if (!ok) {
      unlinkat(dirFd_, temp_.c_str(), 0);  // best effort; the error reported is the first one
      return;
    }
    Step(HANDLE_EINTR(fsync(dirFd_)), "fsync");
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (err_ == 0) {
      deferred_.Resolve(env.Undefined());
      return;
    }
    const bool namesDir = syscall_ == std::string("fsync");
    Napi::Error e = ErrnoError(env, err_, syscall_, namesDir ? "" : temp_);
    if (syscall_ == std::string("rename")) e.Set("dest", final_);
    deferred_.Reject(e.Value());
  }

 private:
  bool WriteAll(int fd) {
    size_t done = 0;
    while (done < data_.size()) {
      const ssize_t n = HANDLE_EINTR(write(fd, data_.data() + done, data_.size() - done));
      if (n < 0) return Step(-1, "write");
      if (n == 0) {  // no progress and no error: never expected for a regular file
        errno = EIO;
        return Step(-1, "write");
      }
      done += static_cast<size_t>(n);
    }
    return true;
  }

  // rc < 0: records errno and the call (the first failure wins). Returns whether it succeeded.
  bool Step(int rc, const char* syscall) {
    if (rc >= 0) return true;
    Fail(errno, syscall);
    return false;
  }

  void Fail(int err, const char* syscall) {
    if (err_ != 0) return;
    err_ = err;
    syscall_ = syscall;
  }

  Napi::Promise::Deferred deferred_;
  const int dirFd_;
  const std::string temp_;
  const std::string final_;
  const std::vector<uint8_t> data_;
  int err_ = 0;
  const char* syscall_ = "";
};

}  // namespace

Napi::Value ReplaceFileDurably(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
  try {
    const int dirFd = static_cast<int>(ArgInteger(info, 0, "dirFd", 0, 2147483647));
    std::string temp = CheckedName(env, info[1], "tempName");
    std::string final = CheckedName(env, info[2], "finalName");
    if (temp == final) {
      Napi::TypeError e = Napi::TypeError::New(env, "The \"tempName\" argument must differ from \"finalName\"");
      e.Set("code", "ERR_INVALID_ARG_VALUE");
      throw e;
    }
    Napi::Value v = info[3];
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      ThrowType(env, "The \"data\" argument must be a Uint8Array (or Buffer)");
    }
    Napi::Uint8Array bytes = v.As<Napi::Uint8Array>();
    std::vector<uint8_t> data(bytes.Data(), bytes.Data() + bytes.ByteLength());
    auto* work = new ReplaceWork(env, deferred, dirFd, std::move(temp), std::move(final), std::move(data));
    work->Queue();  // deleted by node-addon-api after OnOK
  } catch (const Napi::Error& e) {
    deferred.Reject(e.Value());
  }
  return deferred.Promise();
}

}  // namespace ixv
