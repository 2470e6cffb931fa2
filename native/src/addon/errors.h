// Errors thrown to JavaScript: like Node's fs errors, with .code (the errno name), .errno
// (positive, as in PlanFailure), .syscall and, when there is one, .path.
#ifndef TSRUN_ADDON_ERRORS_H
#define TSRUN_ADDON_ERRORS_H

#include <napi.h>

#include <string>

const char *ErrnoName(int err);

// "EEXIST: File exists, mkfifo '/run/x'"
Napi::Error ErrnoError(Napi::Env env, int err, const char *syscall, const std::string &path = "");

// An error with a message of its own, still carrying .code and .errno.
Napi::Error ErrnoErrorWithMessage(Napi::Env env, int err, const std::string &message);

// Argument checks: throw a TypeError and return false when the argument is not as expected.
bool ExpectArgs(const Napi::CallbackInfo &info, size_t count);
bool ArgString(const Napi::CallbackInfo &info, size_t i, std::string *out);
bool ArgInt(const Napi::CallbackInfo &info, size_t i, int64_t min, int64_t max, int64_t *out);

#endif
