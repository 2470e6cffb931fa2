/**
 * Freezing real cgroups of this host (run as root): a busy process stops using CPU while frozen
 * and uses it again once thawed. Every cgroup is named "tsrun-test-..." and removed after each test.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { freeze, freezerOf, isFrozen, thaw, type FreezerCgroup } from './freezer';
import { detectCgroupHost } from './host';
import type { CgroupDirRecord } from './manager';

const host = detectCgroupHost();
const v1Freezer = host.hierarchies.find((h) => h.version === 1 && h.controllers.includes('freezer'));
const unified = host.hierarchies.find((h) => h.version === 2);

let child: ChildProcess | null = null;
let cgroup: FreezerCgroup | null = null;

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const gone = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    if (cgroup) thaw(cgroup);
    await gone;
  }
  if (cgroup) fs.rmdirSync(cgroup.dir);
  child = null;
  cgroup = null;
});

/** CPU time (utime + stime, in ticks) the process has used so far. */
function cpuTicks(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freezeAndThawABusyProcess(version: 1 | 2, mountpoint: string): Promise<void> {
  const cg: FreezerCgroup = { version, dir: path.join(mountpoint, `tsrun-test-freeze-${process.pid}`) };
  fs.mkdirSync(cg.dir);
  cgroup = cg;
  child = spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
  fs.writeFileSync(path.join(cg.dir, 'cgroup.procs'), String(child.pid));
  expect(isFrozen(cg)).toBe(false);

  await freeze(cg);
  expect(isFrozen(cg)).toBe(true);
  const frozenTicks = cpuTicks(child.pid!);
  await sleep(300);
  expect(cpuTicks(child.pid!)).toBe(frozenTicks);

  thaw(cg);
  expect(isFrozen(cg)).toBe(false);
  await sleep(300);
  expect(cpuTicks(child.pid!)).toBeGreaterThan(frozenTicks);
}

test('freezerOf picks the v1 freezer hierarchy, else the unified one', () => {
  const rec = (version: 1 | 2, controllers: string[], d: string): CgroupDirRecord => ({
    version, mountpoint: '/m', root: '/', controllers, dir: d, created: [],
  });
  expect(freezerOf([rec(1, ['cpu'], '/m/a'), rec(1, ['freezer'], '/m/b'), rec(2, [], '/m/c')])).toEqual({ version: 1, dir: '/m/b' });
  expect(freezerOf([rec(1, ['cpu'], '/m/a'), rec(2, [], '/m/c')])).toEqual({ version: 2, dir: '/m/c' });
  expect(freezerOf([rec(1, ['cpu'], '/m/a')])).toBeNull();
});

(v1Freezer ? test : test.skip)(`v1 freezer.state stops and restarts a busy process${v1Freezer ? '' : ' (skipped: no v1 freezer hierarchy on this host)'}`, async () => {
  await freezeAndThawABusyProcess(1, v1Freezer!.mountpoint);
});

(unified ? test : test.skip)(`v2 cgroup.freeze stops and restarts a busy process${unified ? '' : ' (skipped: no cgroup2 hierarchy on this host)'}`, async () => {
  await freezeAndThawABusyProcess(2, unified!.mountpoint);
});
