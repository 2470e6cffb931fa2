/**
 * tsctl's lifecycle flags and commands: --restart parsed as docker spells it, and `tsctl run -d`
 * with --restart/--init/--stop-timeout, then `stop`, `start` (a new task on the same container,
 * same writable layer) and `restart` against a real tsrund.
 */
import { execFile } from 'child_process';
import { promisify } from 'util';
import { lifecycleOverrides, parseRestartPolicy } from '../../supervisor/tsctl/lifecycle-flags';
import { useDaemon } from './fixtures';
import { TSCTL, until } from './daemon';
import { buildBusyboxArchive } from '../helpers/oci-image';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

jest.setTimeout(120_000);

test('--restart: no, on-failure[:N], always, unless-stopped; anything else refused naming the flag', () => {
  expect(parseRestartPolicy('no')).toBeNull();
  expect(parseRestartPolicy('on-failure')).toEqual({ name: 'on-failure', maxRetries: 0 });
  expect(parseRestartPolicy('on-failure:5')).toEqual({ name: 'on-failure', maxRetries: 5 });
  expect(parseRestartPolicy('unless-stopped')).toEqual({ name: 'unless-stopped', maxRetries: 0 });
  expect(() => parseRestartPolicy('always:3')).toThrow(/--restart "always:3": only on-failure takes a maximum/);
  expect(() => parseRestartPolicy('on-failure:x')).toThrow(/--restart/);
  expect(() => parseRestartPolicy('sometimes')).toThrow(/give no, on-failure\[:MAX\], always or unless-stopped/);
  expect(() => lifecycleOverrides({ restart: 'always', rm: true })).toThrow(/--rm and --restart/);
  expect(lifecycleOverrides({ restart: 'no', init: true, 'stop-signal': 'SIGINT', 'stop-timeout': 0 })).toEqual({ restartPolicy: null, init: true, stopSignal: 'SIGINT', stopTimeout: 0 });
  expect(lifecycleOverrides({ restart: 'no' })).not.toHaveProperty('stopTimeout');
});

describe('through tsrund', () => {
  const f = useDaemon();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-tsctl-lifecycle-'));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
  const tsctl = async (...args: string[]) => (await promisify(execFile)(TSCTL, ['--address', f.daemon.address, ...args])).stdout;
  const id = `rs-${process.pid}-tsctl`;

  test('run -d --restart --init --stop-timeout, stop, start (same writable layer), restart', async () => {
    const { ref, file } = buildBusyboxArchive(work, 'localhost/tsrun-test/lifecycle:1');
    await tsctl('images', 'import', file);
    const script = 'trap "" TERM; echo run >> /counted; wc -l < /counted; while :; do sleep 0.1; done';
    expect(await tsctl('run', '-d', '--name', id, '--restart', 'on-failure:3', '--init', '--stop-timeout', '1', ref, 'sh', '-c', script)).toBe(`${id}\n`);
    const container = await f.c().getContainer(id);
    expect(container.overrides).toMatchObject({ restartPolicy: { name: 'on-failure', maxRetries: 3 }, init: true, stopTimeout: 1 });
    expect(JSON.parse(container.specJson).process.args.slice(0, 2)).toEqual(['/sbin/tsrun-init', '--']);

    // The init passes SIGTERM on, the command ignores it: SIGKILL after the container's second.
    const t0 = Date.now();
    expect(await tsctl('stop', id)).toBe(`${id}\n`);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    const stopped = await f.c().getTask(id);
    expect(stopped).toMatchObject({ status: 'STOPPED', exitStatus: 137 });
    await new Promise((r) => setTimeout(r, 500));
    expect((await f.c().getContainer(id)).restartStatus).toMatchObject({ restartCount: 0, stoppedByUser: true });

    expect(await tsctl('start', id)).toBe(`${id}\n`);
    expect((await f.c().getTask(id)).status).toBe('RUNNING');
    expect((await f.c().getContainer(id)).restartStatus!.stoppedByUser).toBe(false);
    expect(await tsctl('restart', '-t', '0', id)).toBe(`${id}\n`);
    await until(async () => (await tsctl('logs', id)).includes('3\n'));
    expect(await tsctl('logs', id)).toBe('1\n2\n3\n');

    await expect(tsctl('stop', id, `rs-${process.pid}-none`)).rejects.toMatchObject({ code: 1, stdout: `${id}\n`, stderr: expect.stringContaining(`stop rs-${process.pid}-none`) });
  });
});
