// A Region: a window of bytes accessed with bounds-checked 32-bit reads and writes. Backed either by
// an mmap (a VFIO BAR, or a regular file/memfd for tests) or, when the region cannot be mapped, by
// pread/pwrite on a file descriptor at a base offset (the VFIO region offset).
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

#include "addon.h"

namespace ixv {

class Region : public Napi::ObjectWrap<Region>, public Closeable {
 public:
  static constexpr const char* kClassName = "Region";
  static const napi_type_tag kTypeTag;
  static Napi::Function Init(Napi::Env env);
  explicit Region(const Napi::CallbackInfo& info);
  ~Region() override;

  // Native construction. `ownsFd`: close(fd) on teardown (file mappings); a device region borrows
  // the device fd. `map`: try mmap first; on failure keep pread/pwrite unless `requireMap`.
  static Napi::Object Create(Napi::Env env, int fd, bool ownsFd, uint64_t fileOffset, uint64_t size,
                             bool map, bool readable, bool writable, const std::string& path);

  void Teardown() override;
  Rank rank() const override { return kRegion; }
  bool closed() const { return closed_; }

  Napi::Value Read32(const Napi::CallbackInfo& info);
  Napi::Value Write32(const Napi::CallbackInfo& info);
  Napi::Value Flush(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value GetSize(const Napi::CallbackInfo& info);
  Napi::Value GetMapped(const Napi::CallbackInfo& info);
  Napi::Value GetClosed(const Napi::CallbackInfo& info);
  // accessors() -> { read32, write32, flush }: the same operations as plain functions bound to this
  // region through their N-API `data` pointer, so a call skips the type-tag check and unwrap of `this`
  // (the fast path for a driver's register I/O). Each function keeps the region object alive through a
  // non-configurable property, so the pointer it carries cannot outlive the region; a closed region
  // still throws ERR_CLOSED.
  Napi::Value Accessors(const Napi::CallbackInfo& info);

  // The bound accessors' entry points: bare C N-API callbacks. The common case (a mapped, open,
  // readable/writable region; one in-range, aligned integer offset; for write32 an integer value in
  // [-2^31, 2^32)) is served without node-addon-api's CallbackInfo; anything else goes through the
  // methods above, so every error stays the same as theirs.
  static napi_value FastRead32(napi_env env, napi_callback_info cbinfo);
  static napi_value FastWrite32(napi_env env, napi_callback_info cbinfo);

 private:
  bool FastOffset(napi_env env, napi_value arg, uint64_t* off) const;

  uint64_t CheckOffset(const Napi::CallbackInfo& info, const char* method);
  uint32_t DoRead(Napi::Env env, uint64_t off);

  volatile uint8_t* base_ = nullptr;  // mmap base, or nullptr in pread/pwrite mode
  uint64_t size_ = 0;
  int fd_ = -1;
  bool ownsFd_ = false;
  uint64_t fileOffset_ = 0;
  bool readable_ = true;
  bool writable_ = true;
  bool closed_ = true;
  std::string path_;
};

// mapFile(path, size?, {mmap?: boolean}) -> Region over a regular file or memfd (tests).
Napi::Value MapFile(const Napi::CallbackInfo& info);

}  // namespace ixv
