// Non-Linux build: VFIO does not exist; every entry point throws ENOTSUP.
#include <napi.h>

static Napi::Value NotSupported(const Napi::CallbackInfo& info) {
  Napi::Error e = Napi::Error::New(info.Env(), "ENOTSUP: VFIO is only available on Linux");
  e.Set("code", "ENOTSUP");
  throw e;
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  for (const char* name : {"mapFile", "createEventFd", "openDevice", "peerCredentials", "lockExclusive", "sdNotify"})
    exports.Set(name, Napi::Function::New<NotSupported>(env, name));
  exports.Set("constants", Napi::Object::New(env));
  exports.Set("platformSupported", false);
  return exports;
}

NODE_API_MODULE(ixgbevf_vfio, Init)
