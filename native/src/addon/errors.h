// Errors thrown to JavaScript: like Node's fs errors, with .code (the errno name), .errno
// (positive, as in PlanFailure), .syscall and, when there is one, .path; and the executor's
// failure record as a PlanFailure object.
#ifndef TSRUN_ADDON_ERRORS_H
#define TSRUN_ADDON_ERRORS_H

#include <napi.h>

#include <string>

#include "failure.h"

const char *ErrnoName(int err);

// "EEXIST: File exists, mkfifo '/run/x'"
Napi::Error ErrnoError(Napi::Env env, int err, const char *syscall, const std::string &path = "");

// An error with a message of its own, still carrying .code and .errno.
Napi::Error ErrnoErrorWithMessage(Napi::Env env, int err, const std::string &message);

// The failure record as PlanFailure (runtime/plan/types.ts): the fields failure_visit gives.
Napi::Object FailureObject(Napi::Env env, const tsrun_failure &f);

// An error carrying the record as .failure (and its .code and .errno): a failure of the executor
// outside a spawn. runtime/native words it (render-failure.ts); the message is the record's
// fields only.
Napi::Error FailureError(Napi::Env env, const tsrun_failure &f);

// Argument checks: throw a TypeError and return false when the argument is not as expected.
bool ExpectArgs(const Napi::CallbackInfo &info, size_t count);
bool ArgString(const Napi::CallbackInfo &info, size_t i, std::string *out);
bool ArgInt(const Napi::CallbackInfo &info, size_t i, int64_t min, int64_t max, int64_t *out);

#endif
