// The floor for the MMIO benchmark (bench/mmio.ts): N-API calls that do nothing, built with the same
// node-addon-api version and flags as the real addon (../../binding.gyp), loaded into the same process.
// Not part of the package: bench-only, built into bench/native/build by bench/build-noop.mjs.
//   noop()                      plain function, no arguments, returns undefined (the brief's floor)
//   rawNoop()                   the same through the bare C N-API (no node-addon-api wrapper)
//   new Target().noop()         ObjectWrap instance method, no arguments (what a region method costs
//                               before it does any work: `this` unwrap)
//   new Target().read32(off)    ObjectWrap method taking one number and returning one: the shape of
//                               Region.read32 with no bounds check and no memory access
//   new Target().write32(o, v)  the shape of Region.write32, no store
//   tagged().read32(off)        the dispatch the real addon uses (native/addon.h Method/Dispatch: a
//                               prototype function that checks `this` with napi_check_object_type_tag,
//                               then napi_unwrap), then reads one number and returns it: everything
//                               Region.read32 does except its range checks and the load itself
//   tagged().check(off)         only the type-tag check of `this`, no unwrap
#include <napi.h>

namespace {

Napi::Value Noop(const Napi::CallbackInfo& info) { return info.Env().Undefined(); }

napi_value RawNoop(napi_env, napi_callback_info) { return nullptr; }

class Target : public Napi::ObjectWrap<Target> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Target",
                       {InstanceMethod<&Target::NoopM>("noop"), InstanceMethod<&Target::Read32>("read32"),
                        InstanceMethod<&Target::Write32>("write32")});
  }
  explicit Target(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Target>(info) {}

 private:
  Napi::Value NoopM(const Napi::CallbackInfo& info) { return info.Env().Undefined(); }
  Napi::Value Read32(const Napi::CallbackInfo& info) {
    double off = info[0].As<Napi::Number>().DoubleValue();
    return Napi::Number::New(info.Env(), static_cast<uint32_t>(off));
  }
  Napi::Value Write32(const Napi::CallbackInfo& info) {
    sink_ += info[0].As<Napi::Number>().DoubleValue() + info[1].As<Napi::Number>().DoubleValue();
    return info.Env().Undefined();
  }
  double sink_ = 0;
};

const napi_type_tag kTag = {0x6e6f6f7062656e63ULL, 0x68746167676564ULL};

class Tagged : public Napi::ObjectWrap<Tagged> {
 public:
  explicit Tagged(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Tagged>(info) {
    info.This().As<Napi::Object>().TypeTag(&kTag);
  }
};

Napi::Value TaggedRead32(const Napi::CallbackInfo& info) {
  Napi::Value self = info.This();
  if (!self.IsObject() || !self.As<Napi::Object>().CheckTypeTag(&kTag))
    throw Napi::TypeError::New(info.Env(), "not a Tagged");
  Tagged* t = Napi::ObjectWrap<Tagged>::Unwrap(self.As<Napi::Object>());
  (void)t;
  double off = info[0].As<Napi::Number>().DoubleValue();
  return Napi::Number::New(info.Env(), static_cast<uint32_t>(off));
}

Napi::Value TaggedCheck(const Napi::CallbackInfo& info) {
  Napi::Value self = info.This();
  if (!self.IsObject() || !self.As<Napi::Object>().CheckTypeTag(&kTag))
    throw Napi::TypeError::New(info.Env(), "not a Tagged");
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Napi::Function tagged = Tagged::DefineClass(env, "Tagged", {});
  Napi::Object proto = tagged.Get("prototype").As<Napi::Object>();
  proto.DefineProperties({
      Napi::PropertyDescriptor::Value("read32", Napi::Function::New<TaggedRead32>(env, "read32"), napi_default_method),
      Napi::PropertyDescriptor::Value("check", Napi::Function::New<TaggedCheck>(env, "check"), napi_default_method),
  });
  exports.Set("Tagged", tagged);
  exports.Set("noop", Napi::Function::New(env, Noop, "noop"));
  napi_value raw;
  NAPI_THROW_IF_FAILED(env, napi_create_function(env, "rawNoop", NAPI_AUTO_LENGTH, RawNoop, nullptr, &raw), exports);
  exports.Set("rawNoop", Napi::Value(env, raw));
  exports.Set("Target", Target::Init(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(bench_noop, Init)
