// Watcher: a uv_poll on an eventfd, on the environment's own loop, delivering cb(err, count) after
// reading (and so resetting) the eventfd counter. EventFd: an eventfd owned by JS (createEventFd())
// or by a Device (one per interrupt vector); it owns its watchers and stops them before closing.
#pragma once

#include <napi.h>
#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "addon.h"

namespace ixv {

class Watcher : public Napi::ObjectWrap<Watcher>, public Closeable {
 public:
  static constexpr const char* kClassName = "Watcher";
  static const napi_type_tag kTypeTag;
  static Napi::Function Init(Napi::Env env);
  explicit Watcher(const Napi::CallbackInfo& info);
  ~Watcher() override;

  // Starts polling `fd` (not owned). Ref'd (keeps the loop alive) until unref() or close().
  static Napi::Object Create(Napi::Env env, int fd, Napi::Function cb, const std::string& label);

  void Teardown() override;  // stop + close the uv handle; release the callback
  Rank rank() const override { return kWatcher; }
  bool closed() const { return closed_; }

  Napi::Value RefM(const Napi::CallbackInfo& info);
  Napi::Value UnrefM(const Napi::CallbackInfo& info);
  Napi::Value HasRef(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value GetClosed(const Napi::CallbackInfo& info);

 private:
  static void OnPoll(uv_poll_t* handle, int status, int events);
  void Deliver(int status);
  void StopHandle();

  uv_poll_t* poll_ = nullptr;
  int fd_ = -1;
  bool closed_ = true;
  bool refed_ = true;
  bool selfRef_ = false;    // ObjectWrap::Ref() held while polling, so a dropped watcher keeps working
  bool inCallback_ = false;
  bool destroying_ = false;
  Napi::FunctionReference cb_;
  std::unique_ptr<Napi::AsyncContext> ctx_;
};

class EventFd : public Napi::ObjectWrap<EventFd>, public Closeable {
 public:
  static constexpr const char* kClassName = "EventFd";
  static const napi_type_tag kTypeTag;
  static Napi::Function Init(Napi::Env env);
  explicit EventFd(const Napi::CallbackInfo& info);
  ~EventFd() override;

  // A new non-blocking, close-on-exec eventfd wrapped in an EventFd object. Throws on failure.
  static Napi::Object Create(Napi::Env env);
  int fd() const { return fd_; }

  void StopWatchers();    // step 1 of the teardown order
  void Teardown() override;  // stop watchers, close the fd
  Rank rank() const override { return kEventFd; }

  Napi::Value Signal(const Napi::CallbackInfo& info);
  Napi::Value Watch(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value GetFd(const Napi::CallbackInfo& info);
  Napi::Value GetClosed(const Napi::CallbackInfo& info);

 private:
  int fd_ = -1;
  std::vector<Owned<Watcher>> watchers_;
};

Napi::Value CreateEventFd(const Napi::CallbackInfo& info);

}  // namespace ixv
