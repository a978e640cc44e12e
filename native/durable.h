// Durable replacement of one file in a directory, in a single thread-pool job: the crash-safe
// "write a new file, then rename it over the old one" sequence, with every step that makes it
// durable, and without an event-loop round trip between the steps. Knows nothing about what the
// file holds.
#pragma once
#include <napi.h>

namespace ixv {
// replaceFileDurably(dirFd, tempName, finalName, data: Uint8Array) -> Promise<void>.
// One napi async work item on libuv's thread pool runs, all relative to the directory fd:
//   openat(dirFd, tempName, O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600)
//   write until every byte is written (short writes continue, EINTR retried)
//   fdatasync, close
//   renameat(dirFd, tempName, dirFd, finalName)
//   fsync(dirFd)
// and resolves only after the directory fsync. The bytes are copied when the call is made (the
// caller may reuse its buffer at once). On a failure before the rename, the temp file it created is
// unlinked (best effort; a temp that already existed is never touched) and the promise rejects with
// an Error shaped like Node's fs errors: `code` (errno name, e.g. 'EEXIST', 'ENOSPC'), `errno`,
// `syscall` ('open', 'write', 'fdatasync', 'close', 'rename', 'fsync') and `path` (the temp name; for
// 'rename' also `dest`, the final name). A failed directory fsync after the rename rejects too (the
// new file is then in place but not known to be durable).
// Argument errors reject (never throw, never reach a system call): TypeError ERR_INVALID_ARG_TYPE for
// a non-integer fd, a non-string name or data that is not a Uint8Array; RangeError ERR_OUT_OF_RANGE
// for a negative fd; TypeError ERR_INVALID_ARG_VALUE for a name that is empty, '.', '..', contains
// '/' or NUL, or a temp name equal to the final name.
Napi::Value ReplaceFileDurably(const Napi::CallbackInfo& info);
}  // namespace ixv
