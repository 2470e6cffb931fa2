/**
 * The executor's failure record is defined once and carried as data: failure.h lists the fields
 * and reasons runtime/plan/failure-record.ts does, and a failed plan reports the same record
 * through the addon (spawnInit's object) and through tsrun-monitor (its JSON report line).
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { native } from '../../runtime/native/binding';
import { encodePlan } from '../../runtime/native';
import { CLONE_NEWNET } from '../../runtime/plan/linux';
import { HOOK_KILL_SIGNAL, HOOK_OUTPUT_QUOTED } from '../../runtime/plan/hooks';
import { CREATE_MODES } from '../../runtime/plan/rootfs';
import { FAILURE_NUMBERS, FAILURE_REASONS, FAILURE_TEXTS } from '../../runtime/plan/failure-record';
import type { HookCommand, InitPlan } from '../../runtime/plan/types';
import { monitorBinaryPath } from '../../supervisor/tasks/monitor-binary';

const describeAsRoot = process.getuid?.() === 0 ? describe : describe.skip;

/** The X(...) entries of the `#define <name>(X)` list in failure.h: their first arguments. */
function headerList(name: string): string[][] {
  const header = fs.readFileSync(path.join(__dirname, '../../native/src/exec/failure.h'), 'utf8');
  const start = header.indexOf(`#define ${name}(X)`);
  expect(start).toBeGreaterThanOrEqual(0);
  const lines = header.slice(start).split('\n');
  const body = lines.slice(0, lines.findIndex((l) => !l.trimEnd().endsWith('\\')) + 1).join('\n');
  return [...body.replace(/\/\*[\s\S]*?\*\//g, '').matchAll(/X\(([^)]*)\)/g)].map((m) => m[1].split(',').map((a) => a.trim()));
}

test('failure.h and failure-record.ts name the same fields and reasons', () => {
  expect(headerList('TSRUN_FAILURE_TEXTS').map(([name]) => name)).toEqual([...FAILURE_TEXTS]);
  expect(headerList('TSRUN_FAILURE_NUMBERS').map(([name]) => name)).toEqual([...FAILURE_NUMBERS]);
  const reasons = headerList('TSRUN_FAILURE_REASONS').map(([, name]) => JSON.parse(name) as string);
  expect(reasons).toEqual(['', ...FAILURE_REASONS]);
});

const exec = { args: ['true'], env: [], searchPath: '/bin', preserveFds: 0, fifo: null, exitSignals: [] };

function hookPlan(hook: Partial<HookCommand>): InitPlan {
  const command: HookCommand = { path: '/bin/sh', args: ['sh'], env: [], timeout: 0, ...hook };
  return {
    stage1: [],
    cloneFlags: 0,
    parent: [],
    init: [{ op: 'runHooks', kind: 'createContainer', hooks: [command], state: { before: '{"pid":', after: '}' }, killSignal: HOOK_KILL_SIGNAL, outputQuoted: HOOK_OUTPUT_QUOTED }],
    createModes: CREATE_MODES,
    exec,
  };
}

/** The start-up report tsrun-monitor writes on fd 3 for `plan`. */
async function monitorReport(plan: InitPlan, flags: string[] = []): Promise<unknown> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'failure-record-'));
  try {
    fs.writeFileSync(path.join(dir, 'plan.bin'), encodePlan(plan), { mode: 0o600 });
    const child = spawn(monitorBinaryPath(), [...flags, dir, path.join(dir, 'container.log')], { stdio: ['ignore', 'ignore', 'inherit', 'pipe'] });
    const report = child.stdio[3]!;
    const chunks: Buffer[] = [];
    report.on('data', (c: Buffer) => chunks.push(c));
    await new Promise((resolve) => report.on('close', resolve));
    return JSON.parse(Buffer.concat(chunks).toString());
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function addonFailure(plan: InitPlan): unknown {
  const result = native.spawnInit(encodePlan(plan));
  if (!('failure' in result)) {
    process.kill(result.pid, 'SIGKILL');
    throw new Error('the plan did not fail');
  }
  return result.failure;
}

describeAsRoot('a failed plan reports one record through the addon and through tsrun-monitor', () => {
  test.each([
    [
      'a system call on a path',
      { stage1: [{ op: 'setns', nstype: CLONE_NEWNET, path: '/etc/hostname' }], cloneFlags: 0, parent: [], init: [], createModes: CREATE_MODES, exec } as InitPlan,
      { phase: 'stage1', step: 0, errno: 22, code: 'EINVAL', syscall: 'setns', path: '/etc/hostname' },
    ],
    [
      'a hook with its exit status and output',
      hookPlan({ args: ['sh', '-c', 'echo broken; exit 3'] }),
      { phase: 'init', step: 0, errno: 0, code: '', syscall: '', path: '/bin/sh', hook: 0, exitStatus: 3, output: 'broken\n' },
    ],
    [
      'a hook that could not be executed',
      hookPlan({ path: '/no/such/hook', args: ['hook'] }),
      { phase: 'init', step: 0, errno: 2, code: 'ENOENT', syscall: 'execve', path: '/no/such/hook', hook: 0 },
    ],
  ])('%s', async (_name, plan, expected) => {
    const failure = addonFailure(plan);
    expect(failure).toEqual(expected);
    expect(await monitorReport(plan)).toEqual({ failure });
  });

  test("the monitor's own failure is the same record, of phase monitor", async () => {
    expect(await monitorReport(hookPlan({}), ['--terminal'])).toEqual({
      error: { phase: 'monitor', step: -1, errno: 22, code: 'EINVAL', syscall: '', path: 'plan.bin', reason: 'planLacksConsole' },
    });
  });
});
