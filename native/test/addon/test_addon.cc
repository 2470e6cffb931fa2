// tsrun_test_native.node: what only tests call (test/helpers/test-native.ts loads it), never
// part of the shipped addon. Built from the shipped addon's sources, whose test-only functions
// it registers, and the files of this directory.
#include "bindings.h"
#include "test_bindings.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  RegisterPlanTestBindings(env, exports);
  RegisterFdPassingTestBindings(env, exports);
  RegisterBpfDevicesTestBindings(env, exports);
  RegisterSeccompNotify(env, exports);
  RegisterSubreaper(env, exports);
  return exports;
}

NODE_API_MODULE(tsrun_test_native, Init)
