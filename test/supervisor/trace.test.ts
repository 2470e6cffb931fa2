/**
 * tsrund's phase trace (supervisor/shared/trace.ts), which the benchmarks read: with TSRUND_TRACE
 * naming a file, a container's run leaves one line per phase there, from tsrund and from its
 * monitor; without it, tsrund writes none.
 */
import * as fs from 'fs';
import * as path from 'path';
import { makeBundle, type Bundle } from '../helpers/bundle';
import { TestDaemon } from './daemon';
import { TRACE_ENV, type TraceLine } from '../../supervisor/shared/trace';

jest.setTimeout(60_000);

let daemon: TestDaemon;
let bundle: Bundle;
beforeEach(() => {
  daemon = new TestDaemon();
  bundle = makeBundle(['true']);
});
afterEach(async () => {
  await daemon.cleanup();
  bundle.cleanup();
});

/** tsrund's command line run by env(1) with `vars` set (env execs it: signals still reach it). */
const withEnv = (vars: string[]) => (argv: string[]) => ['env', ...vars, ...argv];

async function runToExit(id: string): Promise<void> {
  const c = daemon.client;
  await c.createContainer({ id, bundle: bundle.dir });
  await c.createTask(id);
  await c.startTask(id);
  expect((await c.wait(id)).exitStatus).toBe(0);
  await c.deleteTask(id);
  await c.deleteContainer(id);
}

test('with TSRUND_TRACE, a run leaves the phases of tsrund and of its monitor in the file', async () => {
  const file = path.join(daemon.dir, 'trace.jsonl');
  await daemon.start([], withEnv([`${TRACE_ENV}=${file}`]));
  await runToExit('traced');
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TraceLine);
  const phases = new Set(lines.map((l) => l.phase));
  for (const phase of ['rpc Containers.Create', 'rpc Tasks.Create', 'rpc Tasks.Start', 'rpc Tasks.Delete', 'monitor (C): clone and init steps, to the exec fifo', 'task exit: record, event']) {
    expect(phases).toContain(phase);
  }
  expect(lines.every((l) => typeof l.ms === 'number' && l.ms >= 0)).toBe(true);
  expect(lines.filter((l) => l.phase === 'rpc Tasks.Create').map((l) => l.subject)).toEqual(['traced']);
});

test('without TSRUND_TRACE, tsrund writes no trace', async () => {
  await daemon.start([], withEnv(['-u', TRACE_ENV]));
  const before = fs.readdirSync(daemon.dir);
  await runToExit('untraced');
  expect(fs.readdirSync(daemon.dir).filter((f) => !before.includes(f) && f.includes('trace'))).toEqual([]);
});
