// Per-environment state, type-checked `this`, and the base class for objects torn down by the
// environment cleanup hook.
#pragma once

#include <napi.h>

#include <unordered_set>

#include "errors.h"

namespace ixv {

// Something holding OS resources that must be released when the environment goes away, in a fixed
// order: watchers first, then devices (which tear down their own irqs/eventfds/maps), then
// standalone eventfds, then standalone mappings.
class Closeable {
 public:
  enum Rank { kWatcher = 0, kDevice = 1, kEventFd = 2, kRegion = 3 };
  virtual ~Closeable() = default;
  virtual void Teardown() = 0;  // idempotent, never throws, never calls into JS
  virtual Rank rank() const = 0;
};

struct AddonData {
  Napi::FunctionReference regionCtor;
  Napi::FunctionReference watcherCtor;
  Napi::FunctionReference eventFdCtor;
  Napi::FunctionReference deviceCtor;
  std::unordered_set<Closeable*> live;
  bool tearingDown = false;

  static AddonData* Get(Napi::Env env) { return env.GetInstanceData<AddonData>(); }
  void Add(Closeable* c) { live.insert(c); }
  void Remove(Closeable* c) {
    if (!tearingDown) live.erase(c);
  }
  void TeardownAll();
};

// A strong reference to a child object plus its C++ pointer. Teardown paths use the pointer:
// napi_unwrap is not allowed once the environment is shutting down (cleanup hooks).
template <typename T>
struct Owned {
  Napi::ObjectReference ref;
  T* ptr;
  Owned(Napi::Object obj, T* p) : ref(Napi::Persistent(obj)), ptr(p) {}
};

// Only native code can construct our classes: the constructor wants this External as its argument.
extern int kConstructToken;
inline bool IsInternalConstruct(const Napi::CallbackInfo& info) {
  return info.Length() == 1 && info[0].IsExternal() &&
         info[0].As<Napi::External<int>>().Data() == &kConstructToken;
}
inline Napi::Object NewInternal(Napi::FunctionReference& ctor) {
  return ctor.New({Napi::External<int>::New(ctor.Env(), &kConstructToken)});
}

// `this` of a prototype method: must be an object created by class T (checked by type tag, so a
// method borrowed by another of our classes, a plain object or a prototype throws a TypeError
// instead of reinterpreting memory).
template <typename T>
T* UnwrapThis(const Napi::CallbackInfo& info, const char* method) {
  Napi::Value self = info.This();
  if (!self.IsObject() || !self.As<Napi::Object>().CheckTypeTag(&T::kTypeTag)) {
    ThrowType(info.Env(), std::string(T::kClassName) + "." + method +
                              " called on an object that is not a " + T::kClassName);
  }
  return Napi::ObjectWrap<T>::Unwrap(self.As<Napi::Object>());
}

template <typename T, Napi::Value (T::*M)(const Napi::CallbackInfo&)>
Napi::Value Dispatch(const Napi::CallbackInfo& info) {
  T* self = UnwrapThis<T>(info, static_cast<const char*>(info.Data()));
  return (self->*M)(info);
}

template <typename T, Napi::Value (T::*M)(const Napi::CallbackInfo&)>
Napi::PropertyDescriptor Method(Napi::Env env, const char* name) {
  return Napi::PropertyDescriptor::Value(name, Napi::Function::New<Dispatch<T, M>>(env, name, const_cast<char*>(name)),
                                         napi_default_method);
}
template <typename T, Napi::Value (T::*M)(const Napi::CallbackInfo&)>
Napi::PropertyDescriptor Getter(const char* name) {
  return Napi::PropertyDescriptor::Accessor<Dispatch<T, M>>(name, napi_configurable,
                                                            const_cast<char*>(name));
}

// Defines class T (empty constructor surface) and puts `props` on its prototype.
template <typename T>
Napi::Function DefineWithPrototype(Napi::Env env, const std::vector<Napi::PropertyDescriptor>& props) {
  Napi::Function ctor = Napi::ObjectWrap<T>::DefineClass(env, T::kClassName, {});
  Napi::Object proto = ctor.Get("prototype").As<Napi::Object>();
  proto.DefineProperties(props);
  return ctor;
}

}  // namespace ixv
