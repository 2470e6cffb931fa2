// The test addon's own functions, one group per file; test_addon.cc puts them on `exports`
// beside the test-only functions of the shipped sources (../../src/addon/bindings.h).
#ifndef TSRUN_TEST_ADDON_BINDINGS_H
#define TSRUN_TEST_ADDON_BINDINGS_H

#include <napi.h>

void RegisterSeccompNotify(Napi::Env env, Napi::Object exports);
void RegisterSubreaper(Napi::Env env, Napi::Object exports);

#endif
