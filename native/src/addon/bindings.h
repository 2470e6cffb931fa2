// The addon's functions, one group per file; addon.cc puts them on `exports`.
#ifndef TSRUN_ADDON_BINDINGS_H
#define TSRUN_ADDON_BINDINGS_H

#include <napi.h>

void RegisterPlanBindings(Napi::Env env, Napi::Object exports);
void RegisterSysBindings(Napi::Env env, Napi::Object exports);
void RegisterChildProcesses(Napi::Env env, Napi::Object exports);
void RegisterBpfDevices(Napi::Env env, Napi::Object exports);
void RegisterOomWatch(Napi::Env env, Napi::Object exports);
void RegisterFdPassing(Napi::Env env, Napi::Object exports);
void RegisterFsOps(Napi::Env env, Napi::Object exports);
void RegisterWriteFiles(Napi::Env env, Napi::Object exports);
void RegisterNetLinks(Napi::Env env, Napi::Object exports);
void RegisterNetnsPin(Napi::Env env, Napi::Object exports);

// Functions only tests call, beside the helpers they share with the ones above: the test addon
// (native/test/addon, tsrun_test_native.node) registers them, the shipped addon never does (and
// its link drops their code).
void RegisterPlanTestBindings(Napi::Env env, Napi::Object exports);
void RegisterFdPassingTestBindings(Napi::Env env, Napi::Object exports);
void RegisterBpfDevicesTestBindings(Napi::Env env, Napi::Object exports);

#endif
