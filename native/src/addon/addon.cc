#include "bindings.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  RegisterPlanBindings(env, exports);
  RegisterSysBindings(env, exports);
  RegisterChildProcesses(env, exports);
  RegisterBpfDevices(env, exports);
  RegisterOomWatch(env, exports);
  RegisterFdPassing(env, exports);
  RegisterFsOps(env, exports);
  RegisterWriteFiles(env, exports);
  RegisterNetLinks(env, exports);
  RegisterNetnsPin(env, exports);
  return exports;
}

NODE_API_MODULE(tsrun_native, Init)
