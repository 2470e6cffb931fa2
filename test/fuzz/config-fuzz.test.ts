/**
 * The config fuzzer: a few hundred seeded mutations of a valid config.json (config-mutator.ts),
 * each run through the real `bin/tsrun run` with a private --root, inside a throwaway mount
 * namespace (`unshare -m --propagation private`: whatever a mutated config mounts cannot reach
 * the machine's). Every case must either run (and be deleted by run) or fail with one error line
 * naming a JSON path or the step that failed; never a signal, a stack trace or a Node internal
 * message, a hang, or a leak (a state directory, a cgroup, a mount or a process left).
 *
 *   FUZZ_SEED=<n>|random   the seed (printed; default fixed, so CI is reproducible)
 *   FUZZ_CASES=<n>         how many cases (default 250; 300 took 89 s on this 2-core machine at a load average of 14)
 *   FUZZ_CASE=<i>          run only case i of the seed (to reproduce one failure)
 *   FUZZ_VERBOSE=1         print every case: its changes and what tsrun said
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { makeBundle, type Bundle } from '../helpers/bundle';
import { TSRUN } from '../helpers/tsrun';
import { configText, mutateConfig, schemaFields } from './config-mutator';
import { seededRandom } from '../helpers/seeded-random';
import { cgroupsTagged, CRASH, fuzzSettings, NAMES_WHERE } from './outcome';

const { SEED, CASES, ONLY } = fuzzSettings(250);
/** A case that takes longer has hung (a normal one takes well under a second). */
const CASE_TIMEOUT_MS = 20_000;

const unshare = spawnSync('unshare', ['-m', '--propagation', 'private', 'true']).status === 0;
const tag = `${SEED.toString(36)}-${process.pid}`;
let bundle: Bundle;
let root: string;

beforeAll(() => {
  bundle = makeBundle(['true']);
  root = fs.mkdtempSync(path.join(os.tmpdir(), `tsrun-fuzz-${tag}-`));
  // eslint-disable-next-line no-console
  console.log(`config fuzzer: FUZZ_SEED=${SEED} FUZZ_CASES=${CASES} (FUZZ_CASE=<i> runs one case)`);
});

afterAll(() => {
  bundle?.cleanup();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

interface Outcome {
  ran: boolean;
  code: number | null;
  signal: string | null;
  error: string | null;
  stderr: string;
}

/** The msg="..." of runc-style log lines, unescaped. */
function errorsOf(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => / level=(error|fatal)/.test(l))
    .map((l) => {
      const m = / msg="((?:[^"\\]|\\.)*)"/.exec(l);
      return m ? (JSON.parse(`"${m[1]}"`) as string) : l;
    });
}

function runCase(i: number, fields: ReturnType<typeof schemaFields>): { changes: string[]; outcome: Outcome; problems: string[] } {
  const id = `fz-${tag}-${i}`;
  const cgroupsPath = `/tsrun-fuzz-${tag}-${i}`;
  const { config, changes } = mutateConfig(bundle.config as never, seededRandom(SEED * 7919 + i), fields, tag, cgroupsPath);
  fs.writeFileSync(path.join(bundle.dir, 'config.json'), configText(config));
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', TSRUN, '--root', root, 'run', '-b', bundle.dir, id], {
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: CASE_TIMEOUT_MS,
    killSignal: 'SIGKILL',
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const stderr = r.stderr ?? '';
  const errors = errorsOf(stderr);
  const outcome: Outcome = { ran: errors.length === 0, code: r.status, signal: r.signal, error: errors[0] ?? null, stderr };
  const problems: string[] = [];
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') problems.push(`hung: no end after ${CASE_TIMEOUT_MS} ms`);
  else if (r.signal) problems.push(`tsrun ended by ${r.signal}`);
  if (CRASH.test(stderr)) problems.push('a stack trace or a JavaScript error reached the user');
  if (errors.length > 1) problems.push(`${errors.length} error lines, not one`);
  if (errors.length === 1) {
    if (r.status === 0) problems.push('an error, and status 0');
    if (!NAMES_WHERE.test(errors[0])) problems.push('the message names no JSON path and no step');
  }
  if (errors.length === 0 && r.status !== 0 && stderr.trim() !== '' && !/level=warn/.test(stderr)) problems.push('failed without an error line');
  // What run must not leave: its state, its cgroups, its mounts (the namespace was private, so
  // the host's mount table must not show the bundle), its processes (they would hold the cgroup).
  const states = fs.readdirSync(root);
  if (states.length > 0) {
    problems.push(`state left: ${states.join(', ')}`);
    spawnSync('unshare', ['-m', '--propagation', 'private', TSRUN, '--root', root, 'delete', '--force', id], { timeout: CASE_TIMEOUT_MS });
    for (const s of fs.readdirSync(root)) fs.rmSync(path.join(root, s), { recursive: true, force: true });
  }
  const cgroups = cgroupsTagged(tag);
  if (cgroups.length > 0) {
    problems.push(`cgroups left: ${cgroups.join(', ')}`);
    // Deepest first; a cgroup with a process in it stays (and the next check says so again).
    for (const dir of cgroups.sort().reverse()) fs.rmSync(dir, { recursive: false, force: true });
  }
  if (fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(bundle.dir)) problems.push(`a mount of ${bundle.dir} left in the host's mount table`);
  return { changes, outcome, problems };
}

(unshare ? test : test.skip)(
  `mutated configs run or fail with one line naming where${unshare ? '' : ' (skipped: unshare -m is not available)'}`,
  () => {
    const fields = schemaFields();
    const indexes = ONLY !== null ? [ONLY] : Array.from({ length: CASES }, (_, i) => i);
    const failures: string[] = [];
    let ran = 0;
    for (const i of indexes) {
      const { changes, outcome, problems } = runCase(i, fields);
      if (outcome.ran) ran++;
      if (process.env.FUZZ_VERBOSE) process.stderr.write(`case ${i}: ${changes.join('; ')}\n  -> ${outcome.ran ? `ran, status ${outcome.code}` : outcome.error}\n`);
      if (problems.length > 0) {
        failures.push(
          [
            `case ${i} (FUZZ_SEED=${SEED} FUZZ_CASE=${i}): ${problems.join('; ')}`,
            ...changes.map((c) => `    ${c}`),
            `    status ${outcome.code}${outcome.signal ? ` signal ${outcome.signal}` : ''}, stderr: ${outcome.stderr.trim().slice(0, 600)}`,
          ].join('\n'),
        );
      }
    }
    // eslint-disable-next-line no-console
    console.log(`config fuzzer: ${indexes.length} cases, ${ran} ran, ${indexes.length - ran} refused; ${failures.length} failed`);
    expect(failures).toEqual([]);
  },
  CASES * CASE_TIMEOUT_MS,
);
