/**
 * What a conformance case is, and the context a case runs in: a runtime driver, throwaway busybox
 * bundles holding the probe, and facts about the host the runner process sees.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Bundle, Config, makeBundle } from '../test/helpers/bundle';
import { RuntimeDriver } from './driver';
import { PROBE_IN_CONTAINER, ProbeReport, parseProbeOutput } from './probe';

export interface Case {
  /** Short unique slug, e.g. `lifecycle.create-state`. */
  id: string;
  /** Where in runtime-spec v1.3.0 the requirement lives: `file.md § Heading`. */
  clause: string;
  level: 'MUST' | 'SHOULD';
  /** The requirement in the project's own words. */
  requirement: string;
  /** Resolves when the runtime behaves as required; throws CaseFailure or CaseSkip otherwise. */
  check(ctx: CaseContext): Promise<void>;
}

export class CaseFailure extends Error {}

/** The host cannot exercise this case; the message says why. */
export class CaseSkip extends Error {}

export function expect(condition: boolean, message: string): asserts condition {
  if (!condition) throw new CaseFailure(message);
}

export interface CaseContext {
  runtime: RuntimeDriver;
  /** A busybox bundle with the probe at /probe running `args`, config edited by `edit`. */
  bundle(args: string[], edit?: (c: Config) => void): Bundle;
  /** Run a bundle whose process is the probe to completion in a new container; its report. */
  runProbe(bundle: Bundle): Promise<ProbeReport>;
  /** runProbe() on a new bundle running the probe with `probeArgs`, config edited by `edit`. */
  probe(edit?: (c: Config) => void, probeArgs?: string[]): Promise<ProbeReport>;
  /** The namespace links (/proc/self/ns/*) of the runner, i.e. of the runtime's caller. */
  hostNamespaces: Record<string, string>;
}

/** Builds the context for one case; `dispose()` removes its containers' bundles. */
export function makeContext(runtime: RuntimeDriver, probeBinary: string): CaseContext & { dispose(): void } {
  const bundles: Bundle[] = [];
  const bundle = (args: string[], edit?: (c: Config) => void): Bundle => {
    const b = makeBundle(args, edit);
    bundles.push(b);
    fs.copyFileSync(probeBinary, path.join(b.rootfs, PROBE_IN_CONTAINER));
    fs.chmodSync(path.join(b.rootfs, PROBE_IN_CONTAINER), 0o755);
    return b;
  };
  const runProbe = async (b: Bundle): Promise<ProbeReport> => {
    const id = runtime.newId('probe');
    try {
      const r = await runtime.run(id, b.dir);
      expect(r.code === 0, `run of the probe exited with ${r.code ?? r.signal}: ${r.stderr.trim().slice(0, 400)}`);
      return parseProbeOutput(r.stdout);
    } finally {
      runtime.forceDelete(id);
    }
  };
  return {
    runtime,
    bundle,
    runProbe,
    probe: (edit, probeArgs = []) => runProbe(bundle([PROBE_IN_CONTAINER, ...probeArgs], edit)),
    hostNamespaces: readNamespaces(),
    dispose: () => bundles.forEach((b) => b.cleanup()),
  };
}

function readNamespaces(): Record<string, string> {
  const links: Record<string, string> = {};
  for (const name of fs.readdirSync('/proc/self/ns')) links[name] = fs.readlinkSync(`/proc/self/ns/${name}`);
  return links;
}
