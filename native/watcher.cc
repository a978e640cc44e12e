#include "watcher.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace ixv {

const napi_type_tag Watcher::kTypeTag = {0x2f9d3c51a7e84b06ULL, 0x91c4e7d20b5a6f38ULL};
const napi_type_tag EventFd::kTypeTag = {0x5b08e6c4d3a14f97ULL, 0xa3f1027c6e9d4b85ULL};

// ---------------------------------------------------------------------------------------------
// Watcher

Napi::Function Watcher::Init(Napi::Env env) {
  return DefineWithPrototype<Watcher>(env, {
      Method<Watcher, &Watcher::RefM>(env, "ref"),
      Method<Watcher, &Watcher::UnrefM>(env, "unref"),
      Method<Watcher, &Watcher::HasRef>(env, "hasRef"),
      Method<Watcher, &Watcher::Close>(env, "close"),
      Getter<Watcher, &Watcher::GetClosed>("closed"),
  });
}

Watcher::Watcher(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Watcher>(info) {
  if (!IsInternalConstruct(info)) ThrowType(info.Env(), "Watcher cannot be constructed directly; use EventFd.watch()");
  info.This().As<Napi::Object>().TypeTag(&kTypeTag);
  AddonData::Get(info.Env())->Add(this);
}

Watcher::~Watcher() {
  destroying_ = true;  // no reference juggling from a finalizer
  StopHandle();
  if (AddonData* d = AddonData::Get(Env())) d->Remove(this);
}

Napi::Object Watcher::Create(Napi::Env env, int fd, Napi::Function cb, const std::string& label) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr)
    ThrowCoded(env, "ERR_NO_LOOP", "no event loop for this environment");
  Napi::Object obj = NewInternal(AddonData::Get(env)->watcherCtor);
  Watcher* w = Unwrap(obj);
  auto* poll = new uv_poll_t;
  int rc = uv_poll_init(loop, poll, fd);
  if (rc != 0) {
    delete poll;
    ThrowErrno(env, -rc, "uv_poll_init", "", "cannot watch " + label);
  }
  poll->data = w;
  rc = uv_poll_start(poll, UV_READABLE, OnPoll);
  if (rc != 0) {
    poll->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(poll), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    ThrowErrno(env, -rc, "uv_poll_start", "", "cannot watch " + label);
  }
  w->poll_ = poll;
  w->fd_ = fd;
  w->closed_ = false;
  w->cb_ = Napi::Persistent(cb);
  w->ctx_ = std::make_unique<Napi::AsyncContext>(env, "ixgbevf_vfio:eventfd");
  w->Ref();
  w->selfRef_ = true;
  return obj;
}

void Watcher::StopHandle() {
  if (poll_ == nullptr) return;
  uv_poll_stop(poll_);
  poll_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  poll_ = nullptr;
}

void Watcher::Teardown() {
  if (closed_) return;
  closed_ = true;
  StopHandle();
  fd_ = -1;
  if (destroying_) return;
  cb_.Reset();
  if (!inCallback_) ctx_.reset();
  if (selfRef_) {
    selfRef_ = false;
    try {
      Unref();
    } catch (...) {  // environment shutting down: nothing left to keep alive
    }
  }
}

void Watcher::OnPoll(uv_poll_t* handle, int status, int /*events*/) {
  auto* w = static_cast<Watcher*>(handle->data);
  if (w != nullptr && !w->closed_) w->Deliver(status);
}

void Watcher::Deliver(int status) {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  int err = 0;
  uint64_t count = 0;
  if (status < 0) {
    err = -status;
  } else {
    ssize_t n = HANDLE_EINTR(read(fd_, &count, sizeof count));
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // spurious wake-up
    if (n < 0) err = errno;
    else if (n != sizeof count) err = EIO;
  }
  Napi::Function fn = cb_.Value();
  // Keep ourselves alive across the callback: it may close() us and drop the last JS reference.
  Ref();
  inCallback_ = true;
  Napi::Value errValue = env.Null();
  if (err != 0) {
    errValue = ErrnoError(env, err, status < 0 ? "uv_poll" : "read", "", "eventfd watcher stopped").Value();
    Teardown();  // stop on error, never spin on a broken fd
  }
  try {
    fn.MakeCallback(Value(), {errValue, Napi::Number::New(env, static_cast<double>(count))}, *ctx_);
  } catch (const Napi::Error& e) {
    // A throwing listener is an uncaught exception of the process, as for any Node event.
    napi_fatal_exception(env, e.Value());
  }
  inCallback_ = false;
  if (closed_) ctx_.reset();
  Unref();
}

Napi::Value Watcher::RefM(const Napi::CallbackInfo& info) {
  if (!closed_ && poll_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
  refed_ = true;
  return info.This();
}

Napi::Value Watcher::UnrefM(const Napi::CallbackInfo& info) {
  if (!closed_ && poll_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
  refed_ = false;
  return info.This();
}

Napi::Value Watcher::HasRef(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !closed_ && refed_);
}

Napi::Value Watcher::Close(const Napi::CallbackInfo& info) {
  Teardown();
  return info.Env().Undefined();
}

Napi::Value Watcher::GetClosed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), closed_);
}

// ---------------------------------------------------------------------------------------------
// EventFd

Napi::Function EventFd::Init(Napi::Env env) {
  return DefineWithPrototype<EventFd>(env, {
      Method<EventFd, &EventFd::Signal>(env, "signal"),
      Method<EventFd, &EventFd::Watch>(env, "watch"),
      Method<EventFd, &EventFd::Close>(env, "close"),
      Getter<EventFd, &EventFd::GetFd>("fd"),
      Getter<EventFd, &EventFd::GetClosed>("closed"),
  });
}

EventFd::EventFd(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EventFd>(info) {
  if (!IsInternalConstruct(info)) ThrowType(info.Env(), "EventFd cannot be constructed directly; use createEventFd()");
  info.This().As<Napi::Object>().TypeTag(&kTypeTag);
  AddonData::Get(info.Env())->Add(this);
}

EventFd::~EventFd() {
  // Garbage-collected while watched: stop the watchers before the fd goes away (they are alive:
  // we hold strong references). At environment teardown the cleanup hook already emptied the list.
  Teardown();
  if (AddonData* d = AddonData::Get(Env())) d->Remove(this);
}

Napi::Object EventFd::Create(Napi::Env env) {
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) ThrowErrno(env, errno, "eventfd");
  Napi::Object obj;
  try {
    obj = NewInternal(AddonData::Get(env)->eventFdCtor);
  } catch (...) {
    close(fd);
    throw;
  }
  Unwrap(obj)->fd_ = fd;  // fine: called from JS, not from a teardown path
  return obj;
}

void EventFd::StopWatchers() {
  for (auto& w : watchers_) w.ptr->Teardown();
}

void EventFd::Teardown() {
  StopWatchers();
  watchers_.clear();
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

Napi::Value EventFd::Signal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t n = 1;
  if (info.Length() > 0 && !info[0].IsUndefined())
    n = static_cast<uint64_t>(ArgInteger(info, 0, "count", 1, 9007199254740991.0));
  if (fd_ < 0) ThrowCoded(env, "ERR_CLOSED", "EventFd.signal: eventfd is closed");
  ssize_t rc = HANDLE_EINTR(write(fd_, &n, sizeof n));
  if (rc < 0) ThrowErrno(env, errno, "write", "", "cannot signal eventfd");
  return env.Undefined();
}

Napi::Value EventFd::Watch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Function cb = ArgFunction(info, 0, "callback");
  if (fd_ < 0) ThrowCoded(env, "ERR_CLOSED", "EventFd.watch: eventfd is closed");
  // Forget watchers closed meanwhile; refuse a second live one (libuv allows one poll per fd).
  std::vector<Owned<Watcher>> kept;
  for (auto& w : watchers_)
    if (!w.ptr->closed()) kept.push_back(std::move(w));
  watchers_ = std::move(kept);
  if (!watchers_.empty()) ThrowCoded(env, "ERR_ALREADY_WATCHED", "EventFd.watch: this eventfd already has a live watcher; close it first");
  Napi::Object w = Watcher::Create(env, fd_, cb, "eventfd " + std::to_string(fd_));
  watchers_.emplace_back(w, Watcher::Unwrap(w));
  return w;
}

Napi::Value EventFd::Close(const Napi::CallbackInfo& info) {
  Teardown();
  return info.Env().Undefined();
}

Napi::Value EventFd::GetFd(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), fd_);
}

Napi::Value EventFd::GetClosed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), fd_ < 0);
}

Napi::Value CreateEventFd(const Napi::CallbackInfo& info) {
  return EventFd::Create(info.Env());
}

}  // namespace ixv
