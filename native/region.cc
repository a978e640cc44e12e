#include "region.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ixv {

const napi_type_tag Region::kTypeTag = {0x6a1c0f3e9b4d4f21ULL, 0x8e57b2a4c3d1e0f9ULL};

static inline void CompilerBarrier() { asm volatile("" ::: "memory"); }

Napi::Function Region::Init(Napi::Env env) {
  return DefineWithPrototype<Region>(env, {
      Method<Region, &Region::Read32>(env, "read32"),
      Method<Region, &Region::Write32>(env, "write32"),
      Method<Region, &Region::Flush>(env, "flush"),
      Method<Region, &Region::Close>(env, "close"),
      Method<Region, &Region::Accessors>(env, "accessors"),
      Getter<Region, &Region::GetSize>("size"),
      Getter<Region, &Region::GetMapped>("mapped"),
      Getter<Region, &Region::GetClosed>("closed"),
  });
}

Region::Region(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Region>(info) {
  if (!IsInternalConstruct(info)) ThrowType(info.Env(), "Region cannot be constructed directly; use mapFile() or Device.mapRegion()");
  info.This().As<Napi::Object>().TypeTag(&kTypeTag);
  AddonData::Get(info.Env())->Add(this);
}

Region::~Region() {
  Teardown();
  if (AddonData* d = AddonData::Get(Env())) d->Remove(this);
}

Napi::Object Region::Create(Napi::Env env, int fd, bool ownsFd, uint64_t fileOffset, uint64_t size,
                            bool map, bool readable, bool writable, const std::string& path) {
  Napi::Object obj = NewInternal(AddonData::Get(env)->regionCtor);
  Region* r = Unwrap(obj);
  r->fd_ = fd;
  r->ownsFd_ = ownsFd;
  r->fileOffset_ = fileOffset;
  r->size_ = size;
  r->readable_ = readable;
  r->writable_ = writable;
  r->path_ = path;
  r->closed_ = false;
  if (map) {
    int prot = (readable ? PROT_READ : 0) | (writable ? PROT_WRITE : 0);
    void* p = mmap(nullptr, size, prot, MAP_SHARED, fd, static_cast<off_t>(fileOffset));
    if (p != MAP_FAILED) r->base_ = static_cast<volatile uint8_t*>(p);
    // else: stay in pread/pwrite mode; `mapped` tells the caller.
  }
  return obj;
}

void Region::Teardown() {
  if (closed_) return;
  closed_ = true;
  if (base_ != nullptr) {
    munmap(const_cast<uint8_t*>(base_), size_);
    base_ = nullptr;
  }
  if (ownsFd_ && fd_ >= 0) close(fd_);
  fd_ = -1;
}

uint64_t Region::CheckOffset(const Napi::CallbackInfo& info, const char* method) {
  Napi::Env env = info.Env();
  double d = ArgInteger(info, 0, "offset", 0, 9007199254740991.0);
  uint64_t off = static_cast<uint64_t>(d);
  if (off % 4 != 0) ThrowRange(env, std::string(method) + ": offset " + std::to_string(off) + " is not 4-byte aligned");
  if (closed_) ThrowCoded(env, "ERR_CLOSED", std::string("Region.") + method + ": region is closed");
  if (size_ < 4 || off > size_ - 4)
    ThrowRange(env, std::string(method) + ": offset " + std::to_string(off) + " is outside the region (size " +
                        std::to_string(size_) + ")");
  return off;
}

uint32_t Region::DoRead(Napi::Env env, uint64_t off) {
  if (!readable_) ThrowCoded(env, "ERR_REGION_NOT_READABLE", "region is not readable");
  uint32_t v;
  if (base_ != nullptr) {
    CompilerBarrier();
    v = *reinterpret_cast<volatile uint32_t*>(base_ + off);
    CompilerBarrier();
  } else {
    ssize_t n = HANDLE_EINTR(pread(fd_, &v, 4, static_cast<off_t>(fileOffset_ + off)));
    if (n < 0) ThrowErrno(env, errno, "pread", path_);
    if (n != 4) ThrowErrno(env, EIO, "pread", path_, "short read");
  }
  return v;
}

Napi::Value Region::Read32(const Napi::CallbackInfo& info) {
  uint64_t off = CheckOffset(info, "read32");
  return Napi::Number::New(info.Env(), DoRead(info.Env(), off));
}

Napi::Value Region::Flush(const Napi::CallbackInfo& info) {
  uint64_t off = CheckOffset(info, "flush");
  DoRead(info.Env(), off);
  return info.Env().Undefined();
}

Napi::Value Region::Write32(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t off = CheckOffset(info, "write32");
  // Accepts unsigned 32-bit values and, for the convenience of JS bitwise operators (which yield
  // signed int32), negative int32 values, stored as their two's complement.
  double d = ArgInteger(info, 1, "value", -2147483648.0, 4294967295.0);
  uint32_t v = d < 0 ? static_cast<uint32_t>(static_cast<int32_t>(d)) : static_cast<uint32_t>(d);
  if (!writable_) ThrowCoded(env, "ERR_REGION_NOT_WRITABLE", "region is not writable");
  if (base_ != nullptr) {
    CompilerBarrier();
    *reinterpret_cast<volatile uint32_t*>(base_ + off) = v;
    CompilerBarrier();
  } else {
    ssize_t n = HANDLE_EINTR(pwrite(fd_, &v, 4, static_cast<off_t>(fileOffset_ + off)));
    if (n < 0) ThrowErrno(env, errno, "pwrite", path_);
    if (n != 4) ThrowErrno(env, EIO, "pwrite", path_, "short write");
  }
  return env.Undefined();
}

// The slow path of a bound accessor: the full method, with node-addon-api's argument checks and typed
// errors (C++ exceptions turned into JS exceptions, as node-addon-api does for its own callbacks).
template <Napi::Value (Region::*M)(const Napi::CallbackInfo&)>
static napi_value SlowCall(napi_env env, napi_callback_info cbinfo) {
  return Napi::details::WrapCallback(env, [&]() -> napi_value {
    Napi::CallbackInfo info(env, cbinfo);
    return (static_cast<Region*>(info.Data())->*M)(info);
  });
}

bool Region::FastOffset(napi_env env, napi_value arg, uint64_t* off) const {
  if (closed_ || base_ == nullptr || size_ < 4) return false;
  double d;
  if (napi_get_value_double(env, arg, &d) != napi_ok) return false;  // not a number
  // In range and an exact multiple of 4 (NaN fails the first comparison).
  if (!(d >= 0) || d > static_cast<double>(size_ - 4)) return false;
  uint64_t o = static_cast<uint64_t>(d);
  if (static_cast<double>(o) != d || (o & 3) != 0) return false;
  *off = o;
  return true;
}

napi_value Region::FastRead32(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1];
  void* data = nullptr;
  if (napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, &data) == napi_ok && argc >= 1) {
    Region* r = static_cast<Region*>(data);
    uint64_t off;
    if (r->readable_ && r->FastOffset(env, argv[0], &off)) {
      CompilerBarrier();
      uint32_t v = *reinterpret_cast<volatile uint32_t*>(r->base_ + off);
      CompilerBarrier();
      napi_value out;
      if (napi_create_uint32(env, v, &out) == napi_ok) return out;
    }
  }
  return SlowCall<&Region::Read32>(env, cbinfo);
}

napi_value Region::FastWrite32(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2];
  void* data = nullptr;
  if (napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, &data) == napi_ok && argc >= 2) {
    Region* r = static_cast<Region*>(data);
    uint64_t off;
    double d;
    if (r->writable_ && r->FastOffset(env, argv[0], &off) && napi_get_value_double(env, argv[1], &d) == napi_ok &&
        d >= -2147483648.0 && d <= 4294967295.0 && static_cast<double>(static_cast<int64_t>(d)) == d) {
      uint32_t v = static_cast<uint32_t>(static_cast<int64_t>(d));
      CompilerBarrier();
      *reinterpret_cast<volatile uint32_t*>(r->base_ + off) = v;
      CompilerBarrier();
      napi_value out;
      if (napi_get_undefined(env, &out) == napi_ok) return out;
    }
  }
  return SlowCall<&Region::Write32>(env, cbinfo);
}

static Napi::Function Bound(Napi::Env env, const char* name, napi_callback cb, Region* region, Napi::Object owner) {
  napi_value fn;
  napi_status st = napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, region, &fn);
  NAPI_THROW_IF_FAILED(env, st, Napi::Function());
  Napi::Function f(env, fn);
  f.DefineProperty(Napi::PropertyDescriptor::Value("region", owner, napi_default));
  return f;
}

Napi::Value Region::Accessors(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object self = info.This().As<Napi::Object>();
  Napi::Object out = Napi::Object::New(env);
  out.Set("read32", Bound(env, "read32", &Region::FastRead32, this, self));
  out.Set("write32", Bound(env, "write32", &Region::FastWrite32, this, self));
  out.Set("flush", Bound(env, "flush", &SlowCall<&Region::Flush>, this, self));
  return out;
}

Napi::Value Region::Close(const Napi::CallbackInfo& info) {
  Teardown();
  return info.Env().Undefined();
}

Napi::Value Region::GetSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(size_));
}
Napi::Value Region::GetMapped(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), base_ != nullptr);
}
Napi::Value Region::GetClosed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), closed_);
}

Napi::Value MapFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = ArgString(info, 0, "path");
  bool haveSize = info.Length() > 1 && !info[1].IsUndefined();
  double want = haveSize ? ArgInteger(info, 1, "size", 1, 9007199254740991.0) : 0;
  Napi::Object opts = ArgOptions(info, 2, "options");
  bool map = true;
  Napi::Value m = opts.Get("mmap");
  if (!m.IsUndefined()) {
    if (!m.IsBoolean()) ThrowType(env, "options.mmap must be a boolean");
    map = m.As<Napi::Boolean>().Value();
  }
  int fd = HANDLE_EINTR(open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (fd < 0) ThrowErrno(env, errno, "open", path);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    ThrowErrno(env, e, "fstat", path);
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    ThrowCoded(env, "ERR_NOT_REGULAR_FILE", "mapFile: " + path + " is not a regular file", "open", path);
  }
  uint64_t fileSize = static_cast<uint64_t>(st.st_size);
  uint64_t size = haveSize ? static_cast<uint64_t>(want) : fileSize;
  if (size == 0 || size > fileSize) {
    close(fd);
    // Mapping past the end of the file would turn an access into SIGBUS: refuse it up front.
    ThrowRange(env, "mapFile: size " + std::to_string(size) + " must be between 1 and the file size (" +
                        std::to_string(fileSize) + ")");
  }
  try {
    return Region::Create(env, fd, true, 0, size, map, true, true, path);
  } catch (...) {
    close(fd);
    throw;
  }
}

}  // namespace ixv
