#include "errors.h"

#include <string.h>

const char *ErrnoName(int err) {
  const char *name = strerrorname_np(err);
  return name ? name : "EUNKNOWN";
}

Napi::Error ErrnoErrorWithMessage(Napi::Env env, int err, const std::string &message) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, ErrnoName(err)));
  e.Set("errno", Napi::Number::New(env, err));
  return e;
}

Napi::Error ErrnoError(Napi::Env env, int err, const char *syscall, const std::string &path) {
  std::string message = std::string(ErrnoName(err)) + ": " + strerrordesc_np(err) + ", " + syscall;
  if (!path.empty()) message += " '" + path + "'";
  Napi::Error e = ErrnoErrorWithMessage(env, err, message);
  e.Set("syscall", Napi::String::New(env, syscall));
  if (!path.empty()) e.Set("path", Napi::String::New(env, path));
  return e;
}

namespace {

void SetText(void *ctx, const char *name, const char *value) {
  Napi::Object *o = static_cast<Napi::Object *>(ctx);
  o->Set(name, Napi::String::New(o->Env(), value));
}

void SetNumber(void *ctx, const char *name, int64_t value) {
  Napi::Object *o = static_cast<Napi::Object *>(ctx);
  o->Set(name, Napi::Number::New(o->Env(), static_cast<double>(value)));
}

}  // namespace

Napi::Object FailureObject(Napi::Env env, const tsrun_failure &f) {
  Napi::Object o = Napi::Object::New(env);
  const failure_visitor visitor = {SetText, SetNumber};
  failure_visit(&f, &visitor, &o);
  return o;
}

Napi::Error FailureError(Napi::Env env, const tsrun_failure &f) {
  std::string text(sizeof f.path * 3, '\0');
  char *end = failure_format(&f, &text[0], &text[0] + text.size());
  text.resize(static_cast<size_t>(end - &text[0]));
  Napi::Error e = ErrnoErrorWithMessage(env, f.err, std::string(phase_name(f.phase)) + ": " + text);
  e.Set("failure", FailureObject(env, f));
  return e;
}

bool ExpectArgs(const Napi::CallbackInfo &info, size_t count) {
  if (info.Length() == count) return true;
  Napi::TypeError::New(info.Env(), "expected " + std::to_string(count) + " arguments").ThrowAsJavaScriptException();
  return false;
}

bool ArgString(const Napi::CallbackInfo &info, size_t i, std::string *out) {
  if (!info[i].IsString()) {
    Napi::TypeError::New(info.Env(), "argument " + std::to_string(i + 1) + " must be a string")
        .ThrowAsJavaScriptException();
    return false;
  }
  *out = info[i].As<Napi::String>().Utf8Value();
  if (out->find('\0') != std::string::npos) {
    Napi::TypeError::New(info.Env(), "argument " + std::to_string(i + 1) + " must not contain NUL")
        .ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

bool ArgInt(const Napi::CallbackInfo &info, size_t i, int64_t min, int64_t max, int64_t *out) {
  if (info[i].IsNumber()) {
    double d = info[i].As<Napi::Number>().DoubleValue();
    if (d >= static_cast<double>(min) && d <= static_cast<double>(max) &&
        d == static_cast<double>(static_cast<int64_t>(d))) {
      *out = static_cast<int64_t>(d);
      return true;
    }
  }
  Napi::TypeError::New(info.Env(), "argument " + std::to_string(i + 1) + " must be an integer in [" +
                                       std::to_string(min) + ", " + std::to_string(max) + "]")
      .ThrowAsJavaScriptException();
  return false;
}
