/**
 * The config fuzzer through tsrund's bundle path: mutated configs (config-mutator.ts) as
 * CreateContainer bundles, then CreateTask, StartTask, Wait, DeleteTask and DeleteContainer,
 * with tsrund in a throwaway mount namespace. Each refusal must be INVALID_ARGUMENT or
 * FAILED_PRECONDITION with one line naming where, and leave no container, task or cgroup; the
 * daemon must serve after every case. FUZZ_SEED, FUZZ_CASES (default 60), FUZZ_CASE as in
 * config-fuzz.test.ts.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { GrpcStatus } from '../../supervisor/client/client';
import { failure } from '../supervisor/daemon';
import { useDaemon } from '../supervisor/fixtures';
import { configText, mutateConfig, schemaFields } from './config-mutator';
import { seededRandom } from '../helpers/seeded-random';
import { cgroupsTagged, CRASH, fuzzSettings, NAMES_WHERE } from './outcome';

const { SEED, CASES, ONLY } = fuzzSettings(60);
const unshare = spawnSync('unshare', ['-m', '--propagation', 'private', 'true']).status === 0;
const { c, bundle, daemon } = useDaemon({ privateMounts: true });
const tag = `d${SEED.toString(36)}-${process.pid}`;
/** A task that has not ended by then has hung (its process is `true`). */
const WAIT_MS = 20_000;

const REFUSALS = [GrpcStatus.INVALID_ARGUMENT, GrpcStatus.FAILED_PRECONDITION];

function judged(step: string, f: { code: number; details: string }): string[] {
  const problems: string[] = [];
  if (!REFUSALS.includes(f.code)) problems.push(`${step}: status ${f.code}, not INVALID_ARGUMENT or FAILED_PRECONDITION`);
  if (CRASH.test(f.details)) problems.push(`${step}: a stack trace or a JavaScript error reached the client`);
  if (f.details.split('\n').length > 1 + 5 + 1 && !/problems:/.test(f.details)) problems.push(`${step}: more than one line`);
  if (!NAMES_WHERE.test(f.details)) problems.push(`${step}: the message names no JSON path and no step`);
  return problems;
}

async function runCase(i: number, dir: string, fields: ReturnType<typeof schemaFields>): Promise<{ changes: string[]; problems: string[]; said: string }> {
  const id = `fz-${tag}-${i}`;
  const { config, changes } = mutateConfig(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')), seededRandom(SEED * 7919 + i), fields, tag, `/tsrun-fuzz-${tag}-${i}`);
  fs.writeFileSync(path.join(dir, 'case.json'), configText(config));
  // The bundle's config.json is the case's: tsrund reads it at CreateContainer.
  fs.renameSync(path.join(dir, 'config.json'), path.join(dir, 'base.json'));
  fs.renameSync(path.join(dir, 'case.json'), path.join(dir, 'config.json'));
  const problems: string[] = [];
  let said = 'ran';
  try {
    const created = await failure(c().createContainer({ id, bundle: dir }));
    if (created) {
      said = created.details;
      problems.push(...judged('CreateContainer', created));
    } else {
      const task = await failure(c().createTask(id));
      if (task) {
        said = task.details;
        problems.push(...judged('CreateTask', task));
      } else {
        await c().startTask(id);
        const ended = await Promise.race([c().wait(id).then(() => true), new Promise<false>((r) => setTimeout(() => r(false), WAIT_MS))]);
        if (!ended) problems.push(`hung: the task did not end in ${WAIT_MS} ms`);
        const deleted = await failure(c().deleteTask(id, { force: true }));
        if (deleted) problems.push(`DeleteTask: ${deleted.details}`);
      }
      const removed = await failure(c().deleteContainer(id));
      if (removed) problems.push(`DeleteContainer: ${removed.details}`);
    }
  } finally {
    fs.renameSync(path.join(dir, 'base.json'), path.join(dir, 'config.json'));
  }
  if ((await c().health().catch((e: Error) => e.message)) !== 'SERVING') problems.push(`the daemon stopped serving: ${daemon.stderr.slice(-500)}`);
  if ((await c().listContainers()).some((k) => k.id === id)) problems.push('the container is left');
  if (fs.existsSync(path.join(daemon.state, 'tasks', id))) problems.push('its task directory is left');
  const cgroups = cgroupsTagged(`${tag}-${i}`);
  if (cgroups.length > 0) problems.push(`cgroups left: ${cgroups.join(', ')}`);
  return { changes, problems, said };
}

(unshare ? test : test.skip)(
  `tsrund: mutated bundles are created and run, or refused with a status and one line naming where${unshare ? '' : ' (skipped: unshare -m is not available)'}`,
  async () => {
    const dir = bundle(['true']).dir;
    const fields = schemaFields();
    const indexes = ONLY !== null ? [ONLY] : Array.from({ length: CASES }, (_, i) => i);
    const failures: string[] = [];
    for (const i of indexes) {
      const { changes, problems, said } = await runCase(i, dir, fields);
      if (process.env.FUZZ_VERBOSE) process.stderr.write(`case ${i}: ${changes.join('; ')}\n  -> ${said}\n`);
      if (problems.length > 0) {
        failures.push([`case ${i} (FUZZ_SEED=${SEED} FUZZ_CASE=${i}): ${problems.join('; ')}`, ...changes.map((ch) => `    ${ch}`), `    said: ${said.slice(0, 600)}`].join('\n'));
      }
    }
    // eslint-disable-next-line no-console
    console.log(`tsrund config fuzzer: FUZZ_SEED=${SEED}, ${indexes.length} cases, ${failures.length} failed`);
    expect(failures).toEqual([]);
  },
  CASES * 30_000,
);
