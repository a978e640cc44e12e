// Device: one VFIO device opened through the container/group API (legacy type1 or noiommu).
// Generic PCI/VFIO only: regions, config space, interrupts as eventfds, reset. Knows no NIC.
#pragma once

#include <napi.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "addon.h"

namespace ixv {

class Region;
class EventFd;

class Device : public Napi::ObjectWrap<Device>, public Closeable {
 public:
  static constexpr const char* kClassName = "Device";
  static const napi_type_tag kTypeTag;
  static Napi::Function Init(Napi::Env env);
  explicit Device(const Napi::CallbackInfo& info);
  ~Device() override;

  void Teardown() override;
  Rank rank() const override { return kDevice; }

  Napi::Value GetInfo(const Napi::CallbackInfo& info);
  Napi::Value GetClosed(const Napi::CallbackInfo& info);
  Napi::Value RegionInfo(const Napi::CallbackInfo& info);
  Napi::Value MapRegion(const Napi::CallbackInfo& info);
  Napi::Value ConfigRead(const Napi::CallbackInfo& info);
  Napi::Value ConfigWrite(const Napi::CallbackInfo& info);
  Napi::Value IrqInfo(const Napi::CallbackInfo& info);
  Napi::Value EnableIrqs(const Napi::CallbackInfo& info);
  Napi::Value DisableIrqs(const Napi::CallbackInfo& info);
  Napi::Value Reset(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  friend Napi::Value OpenDevice(const Napi::CallbackInfo& info);

 private:
  void CheckOpen(Napi::Env env, const char* method);
  void TeardownIrqs(uint32_t index, bool disableInKernel);
  uint32_t ArgIndex(const Napi::CallbackInfo& info, const char* method);

  int container_ = -1, group_ = -1, device_ = -1;
  bool closed_ = true;
  bool destroying_ = false;
  bool selfRef_ = false;
  std::string bdf_, groupPath_, iommuType_;
  int groupId_ = -1;
  bool noiommu_ = false;
  uint32_t numRegions_ = 0, numIrqs_ = 0, flags_ = 0;
  uint64_t cfgOffset_ = 0, cfgSize_ = 0;
  std::vector<Owned<Region>> regions_;
  std::map<uint32_t, std::vector<Owned<EventFd>>> irqs_;  // irq index -> eventfds
};

// openDevice(bdf, {sysfsRoot?, devVfioRoot?, vfToken?}) -> Device
Napi::Value OpenDevice(const Napi::CallbackInfo& info);
// Constants from <linux/vfio.h> the TS side needs (region/irq indices, flags).
Napi::Object VfioConstants(Napi::Env env);

}  // namespace ixv
