/**
 * Where a tsrun command spends its time, without touching the runtime: preload this module
 *
 *   NODE_OPTIONS="--require $PWD/dist/bench/trace.js" bin/tsrun run ...
 *
 * and it prints to stderr, at exit, milliseconds since the process started (V8's time origin) for
 * Node's own start-up phases, the first line of tsrun's code, the time spent loading modules, and
 * each call into the C core (spawnInit is the clone of the container; waitExit the foreground wait).
 * Started from the startup snapshot (bin/tsrun does), tsrun's modules are loaded before this one
 * runs: the only module loaded after it is the addon.
 */
import Module = require('module');
import { performance } from 'perf_hooks';

const marks: [string, number][] = [];
const mark = (what: string) => marks.push([what, performance.now()]);

const timing = performance.nodeTiming;
marks.push(['node: V8 started', timing.v8Start], ['node: environment ready', timing.environment]);
mark('trace preloaded');

type Load = (request: string, parent: unknown, isMain: boolean) => unknown;
const moduleInternals = Module as unknown as { _load: Load };
const load = moduleInternals._load;
let modules = 0;
let lastLoaded = 0;
moduleInternals._load = function traced(request, parent, isMain) {
  if (isMain) mark('main module starts loading');
  modules++;
  const exports = load.call(this, request, parent, isMain);
  if (request.endsWith('.node')) traceNative(exports as Record<string, unknown>);
  lastLoaded = performance.now();
  return exports;
};

/** Wrap the addon's entry points with marks before and after each call (and promise settle). */
function traceNative(binding: Record<string, unknown>): void {
  mark('native addon loaded');
  for (const [name, fn] of Object.entries(binding)) {
    if (typeof fn !== 'function') continue;
    binding[name] = function (this: unknown, ...args: unknown[]) {
      mark(`native ${name} called`);
      const result = fn.apply(this, args);
      if (result instanceof Promise) {
        return result.finally(() => mark(`native ${name} settled`));
      }
      mark(`native ${name} returned`);
      return result;
    };
  }
}

process.on('exit', () => {
  marks.push(['node: bootstrap complete', timing.bootstrapComplete], [`last require returned (${modules} in all)`, lastLoaded]);
  mark('process exit');
  const lines = marks.sort((a, b) => a[1] - b[1]).map(([what, ms]) => `${ms.toFixed(2).padStart(8)}  ${what}`);
  process.stderr.write(`tsrun trace (ms since process start):\n${lines.join('\n')}\n`);
});
