/**
 * What tsctl's startup snapshot runs before it is taken (the entry scripts/build-bundle.js writes):
 * the API's protos loaded, its service definitions built, and every message type's encoder,
 * decoder and converters generated, which protobufjs otherwise generates (and V8 compiles) on a
 * type's first use in every call: some 30 ms of CPU of a `tsctl run --rm`, measured
 * (docs/benchmarks-tsctl.md). No connection is made and nothing on the host is touched.
 */
import * as protobuf from 'protobufjs';
import { apiRoot, apiServices } from '../api/load';

function setUpTypes(ns: protobuf.NamespaceBase): void {
  for (const o of ns.nestedArray) {
    if (o instanceof protobuf.Type) o.setup();
    if (o instanceof protobuf.Namespace) setUpTypes(o);
  }
}

export function warmUp(): void {
  apiServices();
  setUpTypes(apiRoot());
}
