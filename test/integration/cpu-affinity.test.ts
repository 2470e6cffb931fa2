/**
 * process.execCPUAffinity of `tsrun exec`, seen from inside (Cpus_allowed_list of
 * /proc/self/status): `final` is the set the program runs on, `initial` stays when the cgroup
 * join does not change it, the container's init is left alone (the spec: not applicable to it),
 * and a CPU the host lacks fails the exec with the field named, the container running on.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Process } from '../../spec/types';
import { containerFixtures } from '../helpers/fixtures';
import { uniqueId } from '../helpers/tsrun';

const fx = containerFixtures();

/** The CPUs this process may run on, as /proc/self/status lists them ("0-1"). */
function ownCpus(): string {
  return /^Cpus_allowed_list:\s*(\S+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '';
}

/** CPU numbers of a list such as "0-1,3". */
function cpusOf(list: string): number[] {
  return list.split(',').flatMap((item) => {
    const [a, b = a] = item.split('-').map(Number);
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
}

const runnerCpus = cpusOf(ownCpus());
const multiCpu = runnerCpus.length >= 2 ? test : test.skip;
/** The last CPU the runner may use: pinning to it is a narrower set than the default. */
const lastCpu = String(runnerCpus[runnerCpus.length - 1]);
const firstCpu = String(runnerCpus[0]);

const READ_AFFINITY = ['grep', 'Cpus_allowed_list', '/proc/self/status'];

/** A running container (sleep) whose config.json process has `affinity`; its id, init pid and process. */
function runningContainer(affinity?: Process['execCPUAffinity']): { id: string; pid: number; proc: Process } {
  const b = fx.bundle(['sleep', '600'], (c) => {
    if (affinity) Object.assign(c.process, { execCPUAffinity: affinity });
  });
  const id = fx.tsrun.track(uniqueId('affinity'));
  const r = fx.tsrun.cmd(['run', '-d', '-b', b.dir, id]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return { id, pid: fx.tsrun.state(id).pid as number, proc: b.config.process as Process };
}

/** `tsrun exec -p` of `proc` with `affinity`, running READ_AFFINITY. */
function execWith(id: string, proc: Process, affinity: Process['execCPUAffinity']) {
  const file = path.join(fx.tsrun.root, `process-${uniqueId('p')}.json`);
  fs.writeFileSync(file, JSON.stringify({ ...proc, args: READ_AFFINITY, execCPUAffinity: affinity }));
  return fx.tsrun.cmd(['exec', '-p', file, id]);
}

multiCpu('final from config.json is the exec\'d program\'s CPU set; the container init keeps the default', () => {
  const { id, pid } = runningContainer({ initial: firstCpu, final: lastCpu });
  const r = fx.tsrun.cmd(['exec', id, ...READ_AFFINITY]);
  expect(r.stderr).toBe('');
  expect(r.stdout.trim()).toBe(`Cpus_allowed_list:\t${lastCpu}`);
  const initCpus = /^Cpus_allowed_list:\s*(\S+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  expect(initCpus).toBe(ownCpus());
});

multiCpu('initial alone stays the CPU set when joining the cgroups does not change it', () => {
  const { id, proc } = runningContainer();
  const r = execWith(id, proc, { initial: lastCpu });
  expect(r.stderr).toBe('');
  expect(r.stdout.trim()).toBe(`Cpus_allowed_list:\t${lastCpu}`);
  // Without execCPUAffinity the exec'd process runs where tsrun does.
  expect(fx.tsrun.cmd(['exec', id, ...READ_AFFINITY]).stdout.trim()).toBe(`Cpus_allowed_list:\t${ownCpus()}`);
});

test('a CPU the host lacks fails the exec naming process.execCPUAffinity.final; the container keeps running', () => {
  const { id, proc } = runningContainer();
  const missing = runnerCpus[runnerCpus.length - 1] + 1000;
  const some = execWith(id, proc, { final: `${firstCpu},${missing}` });
  expect(some.code).not.toBe(0);
  expect(some.stdout).toBe('');
  expect(some.stderr).toContain(
    `process.execCPUAffinity.final: set the CPU affinity to CPUs ${firstCpu},${missing}: sched_setaffinity: CPU ${missing} is not available`,
  );
  const none = execWith(id, proc, { final: String(missing) });
  expect(none.code).not.toBe(0);
  expect(none.stderr).toContain(`process.execCPUAffinity.final: set the CPU affinity to CPUs ${missing}: sched_setaffinity: none of the CPUs is available`);
  expect(fx.tsrun.state(id).status).toBe('running');
});

test('a list that is no CPU list is refused before anything runs, naming the field', () => {
  const { id, proc } = runningContainer();
  const r = execWith(id, proc, { initial: '3-1' });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/process\.execCPUAffinity\.initial: \\"3-1\\": the range 3-1 runs backwards/);
  expect(fx.tsrun.state(id).status).toBe('running');
});
