// Error helpers shared by every native file. Errors look like Node's fs errors: an Error whose
// `code` is the errno name ('EBUSY'), with `errno` (positive), `syscall` and `path`. Argument
// problems are TypeError (code ERR_INVALID_ARG_TYPE) or RangeError (code ERR_OUT_OF_RANGE).
// Everything here throws a C++ Napi::Error, which node-addon-api turns into a JS exception at the
// boundary of the current call: a throw always leaves the function.
#pragma once

#include <napi.h>

#include <cerrno>
#include <cstring>
#include <string>

#define HANDLE_EINTR(x)                                   \
  ({                                                      \
    decltype(x) eintr_rc_;                                \
    do {                                                  \
      eintr_rc_ = (x);                                    \
    } while (eintr_rc_ == -1 && errno == EINTR);          \
    eintr_rc_;                                            \
  })

namespace ixv {

// The symbolic name of an errno value ("EBUSY"); "E<number>" when unknown.
const char* ErrnoName(int err);

// Error{code: errno name, errno, syscall, path?} with message
// "<what>: <strerror> (<syscall> <path>)".
[[noreturn]] void ThrowErrno(Napi::Env env, int err, const std::string& syscall,
                             const std::string& path = "", const std::string& what = "");
// Same object, returned instead of thrown (for asynchronous callbacks).
Napi::Error ErrnoError(Napi::Env env, int err, const std::string& syscall,
                       const std::string& path = "", const std::string& what = "");

// Error with our own code (ERR_CLOSED, ERR_GROUP_NOT_VIABLE, ...).
[[noreturn]] void ThrowCoded(Napi::Env env, const char* code, const std::string& message,
                             const std::string& syscall = "", const std::string& path = "");
[[noreturn]] void ThrowType(Napi::Env env, const std::string& message);
[[noreturn]] void ThrowRange(Napi::Env env, const std::string& message);

// Argument readers: throw TypeError/RangeError with `name` in the message.
// An integer in [min, max]; a non-number (including BigInt, undefined) is a TypeError; NaN,
// Infinity and fractions are RangeErrors.
double ArgInteger(const Napi::CallbackInfo& info, size_t i, const char* name, double min, double max);
std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* name);
Napi::Function ArgFunction(const Napi::CallbackInfo& info, size_t i, const char* name);
// Optional object argument: undefined -> empty object; anything else but an object -> TypeError.
Napi::Object ArgOptions(const Napi::CallbackInfo& info, size_t i, const char* name);
// Optional string property of an options object (undefined -> fallback).
std::string OptString(Napi::Object opts, const char* key, const std::string& fallback);

}  // namespace ixv
