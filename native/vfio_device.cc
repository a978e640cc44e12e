#include "vfio_device.h"

#include <endian.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <memory>

#include "region.h"
#include "watcher.h"

namespace ixv {

const napi_type_tag Device::kTypeTag = {0xc7e2a95f41b03d68ULL, 0x1d6b8f0e3a92c547ULL};

namespace {

// Closes the fds collected so far if open() fails half-way.
struct FdGuard {
  int* fds[3];
  bool armed = true;
  ~FdGuard() {
    if (!armed) return;
    for (int* fd : fds)
      if (*fd >= 0) {
        close(*fd);
        *fd = -1;
      }
  }
};

std::string Join(const std::string& a, const std::string& b) {
  if (!a.empty() && a.back() == '/') return a + b;
  return a + "/" + b;
}

}  // namespace

Napi::Function Device::Init(Napi::Env env) {
  return DefineWithPrototype<Device>(env, {
      Getter<Device, &Device::GetInfo>("info"),
      Getter<Device, &Device::GetClosed>("closed"),
      Method<Device, &Device::RegionInfo>(env, "regionInfo"),
      Method<Device, &Device::MapRegion>(env, "mapRegion"),
      Method<Device, &Device::ConfigRead>(env, "configRead"),
      Method<Device, &Device::ConfigWrite>(env, "configWrite"),
      Method<Device, &Device::IrqInfo>(env, "irqInfo"),
      Method<Device, &Device::EnableIrqs>(env, "enableIrqs"),
      Method<Device, &Device::DisableIrqs>(env, "disableIrqs"),
      Method<Device, &Device::Reset>(env, "reset"),
      Method<Device, &Device::Close>(env, "close"),
  });
}

Device::Device(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Device>(info) {
  if (!IsInternalConstruct(info)) ThrowType(info.Env(), "Device cannot be constructed directly; use openDevice()");
  info.This().As<Napi::Object>().TypeTag(&kTypeTag);
  AddonData::Get(info.Env())->Add(this);
}

Device::~Device() {
  destroying_ = true;
  Teardown();
  if (AddonData* d = AddonData::Get(Env())) d->Remove(this);
}

void Device::TeardownIrqs(uint32_t index, bool disableInKernel) {
  auto it = irqs_.find(index);
  if (it == irqs_.end()) return;
  for (auto& e : it->second) e.ptr->StopWatchers();  // 1. stop watchers
  if (disableInKernel && device_ >= 0) {                                    // 2. disable in VFIO
    vfio_irq_set set = {};
    set.argsz = sizeof set;
    set.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
    set.index = index;
    set.start = 0;
    set.count = 0;
    HANDLE_EINTR(ioctl(device_, VFIO_DEVICE_SET_IRQS, &set));
  }
  for (auto& e : it->second) e.ptr->Teardown();  // 3. close eventfds
  irqs_.erase(it);
}

void Device::Teardown() {
  if (closed_) return;
  closed_ = true;
  if (!destroying_) {
    // Children are alive (we hold strong references) unless the environment is being torn down,
    // in which case the cleanup hook already ran this before any finalizer.
    for (auto& [index, fds] : irqs_)
      for (auto& e : fds) e.ptr->StopWatchers();
    while (!irqs_.empty()) TeardownIrqs(irqs_.begin()->first, true);
    for (auto& r : regions_) r.ptr->Teardown();  // 4. munmap
  }
  irqs_.clear();
  regions_.clear();
  if (device_ >= 0) close(device_);  // 5. device, group, container
  if (group_ >= 0) close(group_);
  if (container_ >= 0) close(container_);
  device_ = group_ = container_ = -1;
  if (selfRef_ && !destroying_) {
    selfRef_ = false;
    try {
      Unref();
    } catch (...) {  // environment shutting down
    }
  }
}

void Device::CheckOpen(Napi::Env env, const char* method) {
  if (closed_) ThrowCoded(env, "ERR_CLOSED", std::string("Device.") + method + ": device " + bdf_ + " is closed");
}

uint32_t Device::ArgIndex(const Napi::CallbackInfo& info, const char* method) {
  uint32_t index = static_cast<uint32_t>(ArgInteger(info, 0, "index", 0, 0xffffffff));
  CheckOpen(info.Env(), method);
  return index;
}

Napi::Value Device::GetInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("bdf", bdf_);
  o.Set("groupId", groupId_);
  o.Set("groupPath", groupPath_);
  o.Set("noiommu", noiommu_);
  o.Set("iommuType", iommuType_);
  o.Set("numRegions", numRegions_);
  o.Set("numIrqs", numIrqs_);
  o.Set("flags", flags_);
  o.Set("resetSupported", (flags_ & VFIO_DEVICE_FLAGS_RESET) != 0);
  o.Set("pci", (flags_ & VFIO_DEVICE_FLAGS_PCI) != 0);
  return o;
}

Napi::Value Device::GetClosed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), closed_); }

static bool QueryRegion(int fd, uint32_t index, std::vector<uint8_t>& buf) {
  buf.assign(sizeof(vfio_region_info), 0);
  auto* ri = reinterpret_cast<vfio_region_info*>(buf.data());
  ri->argsz = sizeof(vfio_region_info);
  ri->index = index;
  if (HANDLE_EINTR(ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, ri)) != 0) return false;
  if (ri->argsz > sizeof(vfio_region_info) && ri->argsz < 65536) {  // capability chain follows
    uint32_t want = ri->argsz;
    buf.assign(want, 0);
    ri = reinterpret_cast<vfio_region_info*>(buf.data());
    ri->argsz = want;
    ri->index = index;
    if (HANDLE_EINTR(ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, ri)) != 0) return false;
  }
  return true;
}

Napi::Value Device::RegionInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t index = ArgIndex(info, "regionInfo");
  std::vector<uint8_t> buf;
  if (!QueryRegion(device_, index, buf))
    ThrowErrno(env, errno, "ioctl(VFIO_DEVICE_GET_REGION_INFO)", bdf_, "region " + std::to_string(index));
  auto* ri = reinterpret_cast<vfio_region_info*>(buf.data());
  Napi::Object o = Napi::Object::New(env);
  o.Set("index", index);
  o.Set("size", static_cast<double>(ri->size));
  o.Set("offset", static_cast<double>(ri->offset));
  o.Set("flags", ri->flags);
  o.Set("readable", (ri->flags & VFIO_REGION_INFO_FLAG_READ) != 0);
  o.Set("writable", (ri->flags & VFIO_REGION_INFO_FLAG_WRITE) != 0);
  o.Set("mmap", (ri->flags & VFIO_REGION_INFO_FLAG_MMAP) != 0);
  bool msixMappable = false;
  Napi::Array sparse = Napi::Array::New(env);
  if ((ri->flags & VFIO_REGION_INFO_FLAG_CAPS) && ri->cap_offset >= sizeof(vfio_region_info)) {
    uint32_t off = ri->cap_offset;
    for (int guard = 0; off != 0 && off + sizeof(vfio_info_cap_header) <= buf.size() && guard < 64; ++guard) {
      auto* hdr = reinterpret_cast<vfio_info_cap_header*>(buf.data() + off);
      if (hdr->id == VFIO_REGION_INFO_CAP_MSIX_MAPPABLE) msixMappable = true;
      if (hdr->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP &&
          off + sizeof(vfio_region_info_cap_sparse_mmap) <= buf.size()) {
        auto* sp = reinterpret_cast<vfio_region_info_cap_sparse_mmap*>(hdr);
        for (uint32_t i = 0; i < sp->nr_areas; ++i) {
          size_t at = off + sizeof(*sp) + i * sizeof(vfio_region_sparse_mmap_area);
          if (at + sizeof(vfio_region_sparse_mmap_area) > buf.size()) break;
          auto* a = reinterpret_cast<vfio_region_sparse_mmap_area*>(buf.data() + at);
          Napi::Object area = Napi::Object::New(env);
          area.Set("offset", static_cast<double>(a->offset));
          area.Set("size", static_cast<double>(a->size));
          sparse.Set(i, area);
        }
      }
      if (hdr->next <= off) break;  // the chain only moves forward
      off = hdr->next;
    }
  }
  o.Set("msixMappable", msixMappable);
  o.Set("sparseMmap", sparse);
  return o;
}

Napi::Value Device::MapRegion(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t index = ArgIndex(info, "mapRegion");
  Napi::Object opts = ArgOptions(info, 1, "options");
  bool wantMap = true;
  Napi::Value m = opts.Get("mmap");
  if (!m.IsUndefined()) {
    if (!m.IsBoolean()) ThrowType(env, "options.mmap must be a boolean");
    wantMap = m.As<Napi::Boolean>().Value();
  }
  std::vector<uint8_t> buf;
  if (!QueryRegion(device_, index, buf))
    ThrowErrno(env, errno, "ioctl(VFIO_DEVICE_GET_REGION_INFO)", bdf_, "region " + std::to_string(index));
  auto* ri = reinterpret_cast<vfio_region_info*>(buf.data());
  if (ri->size == 0) ThrowCoded(env, "ERR_REGION_EMPTY", "region " + std::to_string(index) + " of " + bdf_ + " is empty (no such BAR?)");
  bool canMap = wantMap && (ri->flags & VFIO_REGION_INFO_FLAG_MMAP) != 0;
  Napi::Object r = Region::Create(env, device_, false, ri->offset, ri->size, canMap,
                                  (ri->flags & VFIO_REGION_INFO_FLAG_READ) != 0,
                                  (ri->flags & VFIO_REGION_INFO_FLAG_WRITE) != 0,
                                  bdf_ + " region " + std::to_string(index));
  regions_.emplace_back(r, Region::Unwrap(r));
  return r;
}

Napi::Value Device::ConfigRead(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t off = static_cast<uint64_t>(ArgInteger(info, 0, "offset", 0, 65535));
  int width = static_cast<int>(ArgInteger(info, 1, "width", 1, 4));
  if (width == 3) ThrowRange(env, "configRead: width must be 1, 2 or 4");
  CheckOpen(env, "configRead");
  if (off % width != 0 || off + width > cfgSize_) ThrowRange(env, "configRead: offset " + std::to_string(off) + " is unaligned or outside config space");
  uint8_t b[4] = {0, 0, 0, 0};
  ssize_t n = HANDLE_EINTR(pread(device_, b, width, static_cast<off_t>(cfgOffset_ + off)));
  if (n < 0) ThrowErrno(env, errno, "pread", bdf_, "config space read");
  if (n != width) ThrowErrno(env, EIO, "pread", bdf_, "short config space read");
  uint32_t v = b[0] | (uint32_t(b[1]) << 8) | (uint32_t(b[2]) << 16) | (uint32_t(b[3]) << 24);  // PCI is little-endian
  return Napi::Number::New(env, v);
}

Napi::Value Device::ConfigWrite(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t off = static_cast<uint64_t>(ArgInteger(info, 0, "offset", 0, 65535));
  int width = static_cast<int>(ArgInteger(info, 1, "width", 1, 4));
  if (width == 3) ThrowRange(env, "configWrite: width must be 1, 2 or 4");
  double max = width == 4 ? 4294967295.0 : width == 2 ? 65535.0 : 255.0;
  uint32_t v = static_cast<uint32_t>(ArgInteger(info, 2, "value", 0, max));
  CheckOpen(env, "configWrite");
  if (off % width != 0 || off + width > cfgSize_) ThrowRange(env, "configWrite: offset " + std::to_string(off) + " is unaligned or outside config space");
  uint8_t b[4] = {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)};
  ssize_t n = HANDLE_EINTR(pwrite(device_, b, width, static_cast<off_t>(cfgOffset_ + off)));
  if (n < 0) ThrowErrno(env, errno, "pwrite", bdf_, "config space write");
  if (n != width) ThrowErrno(env, EIO, "pwrite", bdf_, "short config space write");
  return env.Undefined();
}

Napi::Value Device::IrqInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t index = ArgIndex(info, "irqInfo");
  vfio_irq_info ii = {};
  ii.argsz = sizeof ii;
  ii.index = index;
  if (HANDLE_EINTR(ioctl(device_, VFIO_DEVICE_GET_IRQ_INFO, &ii)) != 0)
    ThrowErrno(env, errno, "ioctl(VFIO_DEVICE_GET_IRQ_INFO)", bdf_, "irq index " + std::to_string(index));
  Napi::Object o = Napi::Object::New(env);
  o.Set("index", index);
  o.Set("count", ii.count);
  o.Set("flags", ii.flags);
  o.Set("eventfd", (ii.flags & VFIO_IRQ_INFO_EVENTFD) != 0);
  o.Set("maskable", (ii.flags & VFIO_IRQ_INFO_MASKABLE) != 0);
  o.Set("automasked", (ii.flags & VFIO_IRQ_INFO_AUTOMASKED) != 0);
  o.Set("noresize", (ii.flags & VFIO_IRQ_INFO_NORESIZE) != 0);
  return o;
}

Napi::Value Device::EnableIrqs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t index = static_cast<uint32_t>(ArgInteger(info, 0, "index", 0, 0xffffffff));
  uint32_t count = static_cast<uint32_t>(ArgInteger(info, 1, "count", 1, 2048));
  CheckOpen(env, "enableIrqs");
  // Re-enabling replaces the previous set (needed anyway when the kernel reports NORESIZE).
  TeardownIrqs(index, true);
  std::vector<Owned<EventFd>> fds;
  size_t bytes = sizeof(vfio_irq_set) + sizeof(int32_t) * count;
  std::unique_ptr<uint8_t[]> mem(new uint8_t[bytes]());
  auto* set = reinterpret_cast<vfio_irq_set*>(mem.get());
  set->argsz = static_cast<uint32_t>(bytes);
  set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
  set->index = index;
  set->start = 0;
  set->count = count;
  auto* data = reinterpret_cast<int32_t*>(set->data);
  try {
    for (uint32_t i = 0; i < count; ++i) {
      Napi::Object efd = EventFd::Create(env);
      EventFd* p = EventFd::Unwrap(efd);
      data[i] = p->fd();
      fds.emplace_back(efd, p);
    }
  } catch (...) {
    for (auto& e : fds) e.ptr->Teardown();
    throw;
  }
  if (HANDLE_EINTR(ioctl(device_, VFIO_DEVICE_SET_IRQS, set)) != 0) {
    int e = errno;
    for (auto& e : fds) e.ptr->Teardown();
    ThrowErrno(env, e, "ioctl(VFIO_DEVICE_SET_IRQS)", bdf_,
               "cannot enable " + std::to_string(count) + " interrupt(s) on irq index " + std::to_string(index));
  }
  Napi::Array out = Napi::Array::New(env, count);
  for (uint32_t i = 0; i < count; ++i) out.Set(i, fds[i].ref.Value());
  irqs_[index] = std::move(fds);
  return out;
}

Napi::Value Device::DisableIrqs(const Napi::CallbackInfo& info) {
  uint32_t index = ArgIndex(info, "disableIrqs");
  TeardownIrqs(index, true);
  return info.Env().Undefined();
}

Napi::Value Device::Reset(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env, "reset");
  Napi::Object o = Napi::Object::New(env);
  if (HANDLE_EINTR(ioctl(device_, VFIO_DEVICE_RESET)) == 0) {
    o.Set("reset", true);
    return o;
  }
  int e = errno;
  if (e == EINVAL || e == ENOTTY) {  // the device has no reset method: not an error
    o.Set("reset", false);
    o.Set("code", ErrnoName(e));
    return o;
  }
  ThrowErrno(env, e, "ioctl(VFIO_DEVICE_RESET)", bdf_, "device reset failed");
}

Napi::Value Device::Close(const Napi::CallbackInfo& info) {
  Teardown();
  return info.Env().Undefined();
}

Napi::Value OpenDevice(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string bdf = ArgString(info, 0, "pciAddress");
  if (bdf.empty() || bdf.find('/') != std::string::npos || bdf.find(' ') != std::string::npos || bdf[0] == '.')
    ThrowRange(env, "openDevice: invalid PCI address '" + bdf + "'");
  Napi::Object opts = ArgOptions(info, 1, "options");
  std::string sysfs = OptString(opts, "sysfsRoot", "/sys");
  std::string devVfio = OptString(opts, "devVfioRoot", "/dev/vfio");
  std::string vfToken = OptString(opts, "vfToken", "");

  // 1. The device and its IOMMU group, from sysfs.
  std::string devDir = Join(sysfs, "bus/pci/devices/" + bdf);
  struct stat st;
  if (stat(devDir.c_str(), &st) != 0) ThrowErrno(env, errno, "stat", devDir, "no PCI device " + bdf);
  std::string link = devDir + "/iommu_group";
  char target[PATH_MAX];
  ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
  if (n < 0) ThrowErrno(env, errno, "readlink", link, "PCI device " + bdf + " has no IOMMU group");
  target[n] = '\0';
  std::string t(target);
  std::string groupName = t.substr(t.find_last_of('/') + 1);
  if (groupName.empty() || groupName.size() > 9 || groupName.find_first_not_of("0123456789") != std::string::npos)
    ThrowErrno(env, EINVAL, "readlink", link, "cannot parse IOMMU group from '" + t + "'");
  int groupId = std::atoi(groupName.c_str());

  int container = -1, group = -1, device = -1;
  FdGuard guard{{&container, &group, &device}};

  // 2. The group node: /dev/vfio/N, else /dev/vfio/noiommu-N.
  std::string groupPath = Join(devVfio, groupName);
  bool noiommu = false;
  group = HANDLE_EINTR(open(groupPath.c_str(), O_RDWR | O_CLOEXEC));
  if (group < 0 && errno == ENOENT) {
    std::string alt = Join(devVfio, "noiommu-" + groupName);
    int g = HANDLE_EINTR(open(alt.c_str(), O_RDWR | O_CLOEXEC));
    if (g >= 0) {
      group = g;
      groupPath = alt;
      noiommu = true;
    } else if (errno != ENOENT) {
      ThrowErrno(env, errno, "open", alt, "cannot open VFIO group");
    } else {
      errno = ENOENT;
    }
  }
  if (group < 0) ThrowErrno(env, errno, "open", groupPath, "cannot open VFIO group");

  // 3. A container, API version check, viability, attach, IOMMU model.
  std::string containerPath = Join(devVfio, "vfio");
  container = HANDLE_EINTR(open(containerPath.c_str(), O_RDWR | O_CLOEXEC));
  if (container < 0) ThrowErrno(env, errno, "open", containerPath, "cannot open the VFIO container");
  int api = HANDLE_EINTR(ioctl(container, VFIO_GET_API_VERSION));
  if (api < 0) ThrowErrno(env, errno, "ioctl(VFIO_GET_API_VERSION)", containerPath, "not a VFIO container");
  if (api != VFIO_API_VERSION)
    ThrowCoded(env, "ERR_VFIO_API_VERSION", "unsupported VFIO API version " + std::to_string(api),
               "ioctl(VFIO_GET_API_VERSION)", containerPath);
  vfio_group_status status = {};
  status.argsz = sizeof status;
  if (HANDLE_EINTR(ioctl(group, VFIO_GROUP_GET_STATUS, &status)) != 0)
    ThrowErrno(env, errno, "ioctl(VFIO_GROUP_GET_STATUS)", groupPath, "cannot query VFIO group");
  if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE))
    ThrowCoded(env, "ERR_GROUP_NOT_VIABLE",
               "VFIO group " + groupName + " is not viable: not every device in it is bound to vfio-pci or unbound",
               "ioctl(VFIO_GROUP_GET_STATUS)", groupPath);
  if (HANDLE_EINTR(ioctl(group, VFIO_GROUP_SET_CONTAINER, &container)) != 0)
    ThrowErrno(env, errno, "ioctl(VFIO_GROUP_SET_CONTAINER)", groupPath, "cannot attach group to container");
  std::string iommuType;
  unsigned long type;
  if (noiommu) {
    type = VFIO_NOIOMMU_IOMMU;
    iommuType = "noiommu";
  } else if (HANDLE_EINTR(ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU)) > 0) {
    type = VFIO_TYPE1v2_IOMMU;
    iommuType = "type1v2";
  } else {
    type = VFIO_TYPE1_IOMMU;
    iommuType = "type1";
  }
  if (HANDLE_EINTR(ioctl(container, VFIO_SET_IOMMU, type)) != 0)
    ThrowErrno(env, errno, "ioctl(VFIO_SET_IOMMU)", containerPath, "cannot set IOMMU model " + iommuType);

  // 4. The device fd and its info.
  std::string name = vfToken.empty() ? bdf : bdf + " vf_token=" + vfToken;
  device = HANDLE_EINTR(ioctl(group, VFIO_GROUP_GET_DEVICE_FD, name.c_str()));
  if (device < 0) ThrowErrno(env, errno, "ioctl(VFIO_GROUP_GET_DEVICE_FD)", groupPath, "cannot get device " + bdf);
  vfio_device_info di = {};
  di.argsz = sizeof di;
  if (HANDLE_EINTR(ioctl(device, VFIO_DEVICE_GET_INFO, &di)) != 0)
    ThrowErrno(env, errno, "ioctl(VFIO_DEVICE_GET_INFO)", bdf, "cannot query device");
  uint64_t cfgOffset = 0, cfgSize = 0;
  if (di.flags & VFIO_DEVICE_FLAGS_PCI) {
    vfio_region_info ri = {};
    ri.argsz = sizeof ri;
    ri.index = VFIO_PCI_CONFIG_REGION_INDEX;
    if (HANDLE_EINTR(ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &ri)) == 0) {
      cfgOffset = ri.offset;
      cfgSize = ri.size;
    }
  }

  Napi::Object obj = NewInternal(AddonData::Get(env)->deviceCtor);
  Device* d = Device::Unwrap(obj);
  guard.armed = false;
  d->container_ = container;
  d->group_ = group;
  d->device_ = device;
  d->bdf_ = bdf;
  d->groupPath_ = groupPath;
  d->groupId_ = groupId;
  d->noiommu_ = noiommu;
  d->iommuType_ = iommuType;
  d->numRegions_ = di.num_regions;
  d->numIrqs_ = di.num_irqs;
  d->flags_ = di.flags;
  d->cfgOffset_ = cfgOffset;
  d->cfgSize_ = cfgSize;
  d->closed_ = false;
  d->Ref();  // an open device stays alive (and open) until close() or environment teardown
  d->selfRef_ = true;
  return obj;
}

Napi::Object VfioConstants(Napi::Env env) {
  Napi::Object c = Napi::Object::New(env);
  c.Set("VFIO_PCI_BAR0_REGION_INDEX", static_cast<uint32_t>(VFIO_PCI_BAR0_REGION_INDEX));
  c.Set("VFIO_PCI_CONFIG_REGION_INDEX", static_cast<uint32_t>(VFIO_PCI_CONFIG_REGION_INDEX));
  c.Set("VFIO_PCI_INTX_IRQ_INDEX", static_cast<uint32_t>(VFIO_PCI_INTX_IRQ_INDEX));
  c.Set("VFIO_PCI_MSI_IRQ_INDEX", static_cast<uint32_t>(VFIO_PCI_MSI_IRQ_INDEX));
  c.Set("VFIO_PCI_MSIX_IRQ_INDEX", static_cast<uint32_t>(VFIO_PCI_MSIX_IRQ_INDEX));
  c.Set("VFIO_PCI_ERR_IRQ_INDEX", static_cast<uint32_t>(VFIO_PCI_ERR_IRQ_INDEX));
  c.Set("VFIO_PCI_REQ_IRQ_INDEX", static_cast<uint32_t>(VFIO_PCI_REQ_IRQ_INDEX));
  c.Set("VFIO_API_VERSION", VFIO_API_VERSION);
  return c;
}

}  // namespace ixv
