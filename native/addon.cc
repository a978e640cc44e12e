// Module entry: per-environment instance data, the cleanup hook, error helpers, exports.
#include <napi.h>

#include <cmath>
#include <cstring>
#include <vector>
#include <algorithm>

#include "addon.h"
#include "durable.h"
#include "errors.h"
#include "notify.h"
#include "lock.h"
#include "peercred.h"
#include "region.h"
#include "vfio_device.h"
#include "watcher.h"

namespace ixv {

int kConstructToken = 0;

const char* ErrnoName(int err) {
  switch (err) {
#define X(e) case e: return #e;
    X(EPERM) X(ENOENT) X(ESRCH) X(EINTR) X(EIO) X(ENXIO) X(E2BIG) X(EBADF) X(EAGAIN) X(ENOMEM)
    X(EACCES) X(EFAULT) X(EBUSY) X(EEXIST) X(ENODEV) X(ENOTDIR) X(EISDIR) X(EINVAL) X(ENFILE)
    X(EMFILE) X(ENOTTY) X(EFBIG) X(ENOSPC) X(ESPIPE) X(EROFS) X(ERANGE) X(ENOSYS) X(ELOOP)
    X(ENAMETOOLONG) X(ENOTSOCK) X(EOPNOTSUPP) X(ETIMEDOUT) X(EOVERFLOW) X(EPIPE) X(ENOTEMPTY) X(EXDEV) X(ECANCELED)
    X(ECONNREFUSED) X(EAFNOSUPPORT) X(EPROTOTYPE) X(EMSGSIZE) X(ENOBUFS) X(EDESTADDRREQ)
    X(EDQUOT) X(EMLINK) X(ETXTBSY) X(ESTALE)
#undef X
    default: {
      static thread_local char buf[16];
      snprintf(buf, sizeof buf, "E%d", err);
      return buf;
    }
  }
}

Napi::Error ErrnoError(Napi::Env env, int err, const std::string& syscall, const std::string& path,
                       const std::string& what) {
  std::string msg = std::string(ErrnoName(err)) + ": ";
  if (!what.empty()) msg += what + ": ";
  msg += std::strerror(err);
  msg += ", " + syscall;
  if (!path.empty()) msg += " '" + path + "'";
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", ErrnoName(err));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", syscall);
  if (!path.empty()) e.Set("path", path);
  return e;
}

void ThrowErrno(Napi::Env env, int err, const std::string& syscall, const std::string& path,
                const std::string& what) {
  throw ErrnoError(env, err, syscall, path, what);
}

void ThrowCoded(Napi::Env env, const char* code, const std::string& message, const std::string& syscall,
                const std::string& path) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", code);
  if (!syscall.empty()) e.Set("syscall", syscall);
  if (!path.empty()) e.Set("path", path);
  throw e;
}

void ThrowType(Napi::Env env, const std::string& message) {
  Napi::TypeError e = Napi::TypeError::New(env, message);
  e.Set("code", "ERR_INVALID_ARG_TYPE");
  throw e;
}

void ThrowRange(Napi::Env env, const std::string& message) {
  Napi::RangeError e = Napi::RangeError::New(env, message);
  e.Set("code", "ERR_OUT_OF_RANGE");
  throw e;
}

static const char* Describe(const Napi::Value& v) {
  switch (v.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "a boolean";
    case napi_number: return "a number";
    case napi_string: return "a string";
    case napi_symbol: return "a symbol";
    case napi_object: return "an object";
    case napi_function: return "a function";
    case napi_external: return "an external";
    case napi_bigint: return "a bigint";
  }
  return "unknown";
}

double ArgInteger(const Napi::CallbackInfo& info, size_t i, const char* name, double min, double max) {
  Napi::Env env = info.Env();
  Napi::Value v = i < info.Length() ? info[i] : env.Undefined();
  if (!v.IsNumber())
    ThrowType(env, std::string("The \"") + name + "\" argument must be of type number. Received " + Describe(v));
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::trunc(d) != d) {
    char got[40];
    if (std::isnan(d)) snprintf(got, sizeof got, "NaN");
    else if (std::isinf(d)) snprintf(got, sizeof got, d > 0 ? "Infinity" : "-Infinity");
    else snprintf(got, sizeof got, "%.17g", d);
    ThrowRange(env, std::string("The value of \"") + name + "\" is out of range. It must be an integer. Received " + got);
  }
  if (d < min || d > max) {
    char buf[160];
    snprintf(buf, sizeof buf, "The value of \"%s\" is out of range. It must be >= %.0f and <= %.0f. Received %.0f",
             name, min, max, d);
    ThrowRange(env, buf);
  }
  return d;
}

std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Env env = info.Env();
  Napi::Value v = i < info.Length() ? info[i] : env.Undefined();
  if (!v.IsString())
    ThrowType(env, std::string("The \"") + name + "\" argument must be of type string. Received " + Describe(v));
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s.find('\0') != std::string::npos) ThrowType(env, std::string("The \"") + name + "\" argument must not contain NUL");
  return s;
}

Napi::Function ArgFunction(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Env env = info.Env();
  Napi::Value v = i < info.Length() ? info[i] : env.Undefined();
  if (!v.IsFunction())
    ThrowType(env, std::string("The \"") + name + "\" argument must be of type function. Received " + Describe(v));
  return v.As<Napi::Function>();
}

Napi::Object ArgOptions(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Env env = info.Env();
  Napi::Value v = i < info.Length() ? info[i] : env.Undefined();
  if (v.IsUndefined()) return Napi::Object::New(env);
  if (v.Type() != napi_object)
    ThrowType(env, std::string("The \"") + name + "\" argument must be of type object. Received " + Describe(v));
  return v.As<Napi::Object>();
}

std::string OptString(Napi::Object opts, const char* key, const std::string& fallback) {
  Napi::Value v = opts.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsString()) ThrowType(opts.Env(), std::string("options.") + key + " must be a string");
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s.find('\0') != std::string::npos) ThrowType(opts.Env(), std::string("options.") + key + " must not contain NUL");
  return s;
}

void AddonData::TeardownAll() {
  tearingDown = true;
  std::vector<Closeable*> all(live.begin(), live.end());
  std::stable_sort(all.begin(), all.end(), [](Closeable* a, Closeable* b) { return a->rank() < b->rank(); });
  for (Closeable* c : all) {
    try {
      c->Teardown();
    } catch (...) {
      // Teardown must not throw; never let anything escape into Node's cleanup queue.
    }
  }
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  env.SetInstanceData<AddonData>(data);  // deleted by Node after every finalizer has run
  Napi::Function region = Region::Init(env);
  Napi::Function watcher = Watcher::Init(env);
  Napi::Function eventFd = EventFd::Init(env);
  Napi::Function device = Device::Init(env);
  data->regionCtor = Napi::Persistent(region);
  data->watcherCtor = Napi::Persistent(watcher);
  data->eventFdCtor = Napi::Persistent(eventFd);
  data->deviceCtor = Napi::Persistent(device);
  // Environment teardown (process exit, Worker termination): release every fd, mapping and poll
  // handle in the documented order, before any finalizer runs.
  env.AddCleanupHook([data, env]() {
    Napi::HandleScope scope(env);
    data->TeardownAll();
  });

  exports.Set("Region", region);
  exports.Set("Watcher", watcher);
  exports.Set("EventFd", eventFd);
  exports.Set("Device", device);
  exports.Set("mapFile", Napi::Function::New<MapFile>(env, "mapFile"));
  exports.Set("createEventFd", Napi::Function::New<CreateEventFd>(env, "createEventFd"));
  exports.Set("openDevice", Napi::Function::New<OpenDevice>(env, "openDevice"));
  exports.Set("peerCredentials", Napi::Function::New<PeerCredentials>(env, "peerCredentials"));
  exports.Set("lockExclusive", Napi::Function::New<LockExclusive>(env, "lockExclusive"));
  exports.Set("sdNotify", Napi::Function::New<SdNotify>(env, "sdNotify"));
  exports.Set("replaceFileDurably", Napi::Function::New<ReplaceFileDurably>(env, "replaceFileDurably"));
  exports.Set("constants", VfioConstants(env));
  exports.Set("platformSupported", true);
  return exports;
}

}  // namespace ixv

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return ixv::Init(env, exports); }

NODE_API_MODULE(ixgbevf_vfio, InitModule)
