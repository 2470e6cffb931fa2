/**
 * pause, resume, ps, features and update on real containers, observed as a runc user would:
 * state and list, a counter that stops and restarts, the pids the cgroup holds, cgroup files
 * on the host, and runc's error messages.
 */
import Ajv from 'ajv';
import * as fs from 'fs';
import * as path from 'path';
import { containerFixtures } from '../helpers/fixtures';
import { processExists, sleep, uniqueId } from '../helpers/tsrun';

const fx = containerFixtures();

const SCHEMA_DIR = '/work/shared/reference/oci-runtime-spec-v1.3.0/schema';

/** A container whose shell bumps a counter in /tmp/count every 20 ms. */
function startCounter(): { id: string; count: () => number } {
  const b = fx.bundle(['sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i > /tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.02; done'], (c) => {
    c.root.readonly = false;
  });
  const id = fx.tsrun.track(uniqueId('pause'));
  expect(fx.tsrun.cmd(['run', '-d', '-b', b.dir, id]).code).toBe(0);
  const file = path.join(b.rootfs, 'tmp/count');
  const count = () => (fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8')) : 0);
  return { id, count };
}

async function waitFor(what: string, ok: () => boolean, ms = 3000): Promise<void> {
  for (const deadline = Date.now() + ms; !ok(); await sleep(20)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

/** The container's cgroup directory holding `controller`, from tsrun's state record. */
function cgroupDir(id: string, controller: string): string {
  const state = JSON.parse(fs.readFileSync(path.join(fx.tsrun.root, id, 'state.json'), 'utf8'));
  const record = state.cgroups.hierarchies.find((h: { controllers: string[] }) => h.controllers.includes(controller));
  if (!record) throw new Error(`no ${controller} hierarchy in ${id}'s cgroups record`);
  return record.dir;
}

function cmdPids(id: string): number[] {
  const r = fx.tsrun.cmd(['ps', '--format', 'json', id]);
  expect(r.stderr).toBe('');
  // runc prints null when the cgroup holds no process
  return JSON.parse(r.stdout) ?? [];
}

describe('pause and resume', () => {
  test('pause stops the processes and shows "paused"; resume restarts them', async () => {
    const { id, count } = startCounter();
    await waitFor('the counter to start', () => count() > 2);

    expect(fx.tsrun.cmd(['pause', id])).toMatchObject({ code: 0, stderr: '' });
    expect(fx.tsrun.state(id).status).toBe('paused');
    const list = JSON.parse(fx.tsrun.cmd(['list', '--format', 'json']).stdout);
    expect(list.find((c: { id: string }) => c.id === id).status).toBe('paused');
    const frozenAt = count();
    await sleep(300);
    expect(count()).toBe(frozenAt);

    expect(fx.tsrun.cmd(['resume', id])).toMatchObject({ code: 0, stderr: '' });
    expect(fx.tsrun.state(id).status).toBe('running');
    await waitFor('the counter to move again', () => count() > frozenAt + 2);
  });

  test('pausing twice, resuming a running or a stopped container: runc\'s errors', async () => {
    const { id } = startCounter();
    expect(fx.tsrun.cmd(['resume', id]).stderr).toContain('container not paused');
    expect(fx.tsrun.cmd(['pause', id]).code).toBe(0);
    const again = fx.tsrun.cmd(['pause', id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('container not running');

    expect(fx.tsrun.cmd(['kill', id, 'KILL']).code).toBe(0);
    await waitFor('the container to stop', () => fx.tsrun.state(id).status === 'stopped');
    const pauseStopped = fx.tsrun.cmd(['pause', id]);
    expect(pauseStopped.code).toBe(1);
    expect(pauseStopped.stderr).toContain('container not running');
    expect(fx.tsrun.cmd(['resume', id]).stderr).toContain('container not paused');
    expect(fx.tsrun.cmd(['pause', 'no-such-container']).stderr).toContain('container does not exist');
  });

  test('kill KILL reaches a paused container (thawed after the signal, as runc)', async () => {
    const { id } = startCounter();
    const pid = fx.tsrun.state(id).pid as number;
    expect(fx.tsrun.cmd(['pause', id]).code).toBe(0);
    expect(fx.tsrun.cmd(['kill', id, 'KILL'])).toMatchObject({ code: 0, stderr: '' });
    await waitFor('the paused init to die', () => !processExists(pid));
    expect(fx.tsrun.state(id).status).toBe('stopped');
  });

  test('delete refuses a paused container; delete --force removes it and its cgroups', async () => {
    const { id } = startCounter();
    const pid = fx.tsrun.state(id).pid as number;
    const freezer = cgroupDir(id, 'freezer');
    expect(fx.tsrun.cmd(['pause', id]).code).toBe(0);
    expect(fx.tsrun.cmd(['delete', id]).stderr).toContain(`cannot delete container ${id} that is not stopped: paused`);
    expect(fx.tsrun.cmd(['delete', '--force', id])).toMatchObject({ code: 0, stderr: '' });
    expect(processExists(pid)).toBe(false);
    expect(fs.existsSync(freezer)).toBe(false);
    expect(fx.tsrun.cmd(['state', id]).stderr).toContain('container does not exist');
  });
});

describe('ps', () => {
  test('json lists the init and the child it forked; the table keeps ps\'s header and their lines', async () => {
    const b = fx.bundle(['sh', '-c', 'sleep 300 & exec sleep 301']);
    const id = fx.tsrun.track(uniqueId('ps'));
    expect(fx.tsrun.cmd(['run', '-d', '-b', b.dir, id]).code).toBe(0);
    const init = fx.tsrun.state(id).pid as number;
    await waitFor('two processes', () => cmdPids(id).length === 2);
    const pids = cmdPids(id);
    expect(pids).toContain(init);
    const child = pids.find((p) => p !== init)!;
    const ppid = Number(fs.readFileSync(`/proc/${child}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
    expect(ppid).toBe(init);

    const table = fx.tsrun.cmd(['ps', id]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^UID\s+PID\s+PPID/);
    expect(lines.slice(1).map((l) => Number(l.trim().split(/\s+/)[1])).sort()).toEqual([...pids].sort());

    const custom = fx.tsrun.cmd(['ps', id, '-o', 'pid,comm']);
    expect(custom.stdout.trimEnd().split('\n').slice(1).map((l) => l.trim())).toEqual(
      expect.arrayContaining([`${init} sleep`, `${child} sleep`]),
    );
    expect(fx.tsrun.cmd(['ps', '--format', 'x', id]).stderr).toContain('invalid format option');
  });
});

describe('features', () => {
  const haveSchema = fs.existsSync(path.join(SCHEMA_DIR, 'features-schema.json'));
  (haveSchema ? test : test.skip)(`output is valid against the runtime-spec features schema${haveSchema ? '' : ` (skipped: ${SCHEMA_DIR} is absent)`}`, () => {
    const r = fx.tsrun.cmd(['features']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const doc = JSON.parse(r.stdout);
    // The upstream schemas are draft-04; their keywords used here read the same in ajv's default draft.
    const ajv = new Ajv({ strict: false, allErrors: true });
    for (const f of fs.readdirSync(SCHEMA_DIR).filter((n) => n.endsWith('.json'))) {
      const schema = JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, f), 'utf8'));
      delete schema.$schema;
      ajv.addSchema(schema, f);
    }
    const validate = ajv.getSchema('features-schema.json')!;
    const valid = validate(doc);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    expect(validate({ ...doc, linux: { namespaces: ['bogus'] } })).toBe(false);
    expect(doc).toMatchObject({ ociVersionMin: '1.0.0', ociVersionMax: '1.3.0' });
    expect([...doc.linux.namespaces].sort()).toEqual(['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts']);
    expect(doc.linux.capabilities).toContain('CAP_SYS_ADMIN');
    expect(doc.linux.seccomp).toMatchObject({ enabled: true });
    expect(doc.linux.seccomp.actions).toEqual(expect.arrayContaining(['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL_PROCESS']));
    expect(doc.linux.seccomp.archs).toContain('SCMP_ARCH_X86_64');
    expect(doc.mountOptions).toEqual(expect.arrayContaining(['ro', 'nosuid', 'rbind', 'rprivate']));
  });
});

describe('update', () => {
  test('pids.max and memory.limit_in_bytes change live; a fork loop stops at the new pids limit', async () => {
    // After /tmp/go appears the shell starts 10 sleeps: with pids.max 4 only 3 fit beside it.
    const b = fx.bundle(['sh', '-c', 'while [ ! -e /tmp/go ]; do sleep 0.02; done; i=0; while [ $i -lt 10 ]; do sleep 30 & i=$((i+1)); done; wait'], (c) => {
      c.root.readonly = false;
    });
    const id = fx.tsrun.track(uniqueId('update'));
    expect(fx.tsrun.cmd(['run', '-d', '-b', b.dir, id]).code).toBe(0);
    const pidsDir = cgroupDir(id, 'pids');
    const memoryDir = cgroupDir(id, 'memory');
    expect(fs.readFileSync(path.join(pidsDir, 'pids.max'), 'utf8').trim()).toBe('max');

    expect(fx.tsrun.cmd(['update', '--pids-limit', '20', '--memory', '64m', id])).toMatchObject({ code: 0, stderr: '' });
    expect(fs.readFileSync(path.join(pidsDir, 'pids.max'), 'utf8').trim()).toBe('20');
    expect(fs.readFileSync(path.join(memoryDir, 'memory.limit_in_bytes'), 'utf8').trim()).toBe(String(64 * 2 ** 20));

    // -r changes only what it names: the memory limit set above stays.
    fs.writeFileSync(path.join(b.dir, 'res.json'), JSON.stringify({ pids: { limit: 4 } }));
    expect(fx.tsrun.cmd(['update', '-r', path.join(b.dir, 'res.json'), id])).toMatchObject({ code: 0, stderr: '' });
    expect(fs.readFileSync(path.join(pidsDir, 'pids.max'), 'utf8').trim()).toBe('4');
    expect(fs.readFileSync(path.join(memoryDir, 'memory.limit_in_bytes'), 'utf8').trim()).toBe(String(64 * 2 ** 20));

    fs.writeFileSync(path.join(b.rootfs, 'tmp/go'), '');
    const events = path.join(pidsDir, 'pids.events');
    await waitFor('a refused fork', () => /^max [1-9]/m.test(fs.readFileSync(events, 'utf8')), 5000);
    expect(cmdPids(id).length).toBeLessThanOrEqual(4);
  });

  test('unknown and unsupported flags, bad values and a stopped container give clear errors', async () => {
    const b = fx.bundle(['sleep', '300']);
    const id = fx.tsrun.track(uniqueId('update-bad'));
    expect(fx.tsrun.cmd(['run', '-d', '-b', b.dir, id]).code).toBe(0);
    const cases: [string[], string][] = [
      [['--foo', id], 'flag provided but not defined: -foo'],
      [['--memory', '10x', id], "invalid value for memory: invalid size: '10x'"],
      [['--cpu-period', 'abc', id], 'invalid value for cpu-period'],
      [['--l3-cache-schema', 'L3:0=f', id], '--l3-cache-schema is not supported'],
      [['--blkio-weight', 'heavy', id], 'invalid value for blkio-weight'],
      [[id, 'extra'], 'requires exactly 1 argument(s)'],
      [['--pids-limit', '5', 'no-such-container'], 'container does not exist'],
    ];
    for (const [args, message] of cases) {
      const r = fx.tsrun.cmd(['update', ...args]);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(r.stderr).toContain(message);
    }
    fs.writeFileSync(path.join(b.dir, 'res.json'), JSON.stringify({ blockIO: { leafWeight: 100 } }));
    expect(fx.tsrun.cmd(['update', '-r', path.join(b.dir, 'res.json'), id]).stderr).toContain('linux.resources.blockIO.leafWeight cannot be updated');
    // cgroup.procs through update would move any host process into the container's cgroup.
    for (const key of ['cgroup.procs', 'cgroup.subtree_control', '../cgroup.procs']) {
      fs.writeFileSync(path.join(b.dir, 'res.json'), JSON.stringify({ unified: { [key]: '1' } }));
      const r = fx.tsrun.cmd(['update', '-r', path.join(b.dir, 'res.json'), id]);
      expect([key, r.code]).toEqual([key, 1]);
      expect(r.stderr).toContain(`linux.resources.unified[\\"${key}\\"]: `);
    }

    expect(fx.tsrun.cmd(['kill', id, 'KILL']).code).toBe(0);
    await waitFor('the container to stop', () => fx.tsrun.state(id).status === 'stopped');
    expect(fx.tsrun.cmd(['update', '--pids-limit', '5', id]).stderr).toContain('container not running');
  });
});
