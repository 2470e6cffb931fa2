/**
 * The create both front ends share, with a stand-in spawner: what it is handed (the cgroups, the
 * runtime-namespace hooks) and what a failure leaves (nothing: the spawn discarded, no cgroup).
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadBundleConfig } from '../../spec/load';
import { OCI_VERSION } from '../../spec/default-config';
import type { CgroupRecord } from '../cgroups';
import { TsrunError } from '../../common/errors';
import { makeBundle, type Bundle, type Config } from '../../test/helpers/bundle';
import { createInit, type CreateFront, type NewContainer } from './create';
import { blockingHookRunner } from './hooks';
import type { Spawned, Spawner, SpawnOptions } from './spawner';

const describeAsRoot = process.getuid?.() === 0 ? describe : describe.skip;

let serial = 0;
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

/** A container to create from a bundle running `sleep`, with its state directory. */
function newContainer(edit?: (c: Config) => void): NewContainer {
  const bundle: Bundle = makeBundle(['sleep', '100'], edit);
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-lifecycle-'));
  cleanups.push(() => bundle.cleanup(), () => fs.rmSync(stateDir, { recursive: true, force: true }));
  const { spec } = loadBundleConfig(bundle.dir);
  const id = `tsrun-lifecycle-test-${process.pid}-${serial++}`;
  return {
    id,
    spec,
    bundle: bundle.dir,
    rootfs: bundle.rootfs,
    stateDir,
    cgroupsPath: undefined,
    choices: {},
    hookSubject: { ociVersion: OCI_VERSION, id, bundle: bundle.dir },
  };
}

/** A spawner whose "init" is a sleeping child of the test; it records what it was given and whether it was discarded. */
function standInSpawner(): Spawner & { given: SpawnOptions[]; discarded: number } {
  const spawner = {
    given: [] as SpawnOptions[],
    discarded: 0,
    async spawn(_plan: unknown, _ctx: unknown, opts: SpawnOptions): Promise<Spawned> {
      spawner.given.push(opts);
      const child: ChildProcess = spawn('sleep', ['100'], { stdio: 'ignore' });
      cleanups.push(() => child.kill('SIGKILL'));
      await opts.onRuntimeHooks?.(child.pid!);
      return {
        pid: child.pid!,
        discard: async () => {
          spawner.discarded++;
          child.kill('SIGKILL');
        },
      };
    },
  };
  return spawner;
}

function front(overrides: Partial<CreateFront<Spawned>> = {}): CreateFront<Spawned> & { made: CgroupRecord[] } {
  const made: CgroupRecord[] = [];
  return {
    made,
    cgroupsMade: (record) => made.push(record),
    initCreated: () => undefined,
    cgroupsRefused: (err) => err,
    planRefused: (err) => err,
    spawnFailed: (message) => new TsrunError(message),
    hookFailed: (err) => new Error(`front: ${err.message}`),
    hookRunner: blockingHookRunner,
    warn: () => undefined,
    ...overrides,
  };
}

const cgroupDirs = (record: CgroupRecord) => record.hierarchies.map((h) => h.dir);

describeAsRoot('createInit', () => {
  test('makes the cgroups and the exec fifo, and hands the spawner the cgroups and no hooks callback when the config has no runtime-namespace hooks', async () => {
    const spawner = standInSpawner();
    const f = front();
    const c = newContainer();
    const init = await createInit(c, spawner, f);
    cleanups.push(() => init.cgroups.destroy());
    expect(spawner.given).toHaveLength(1);
    expect(spawner.given[0].onRuntimeHooks).toBeUndefined();
    expect(spawner.given[0].cgroups.toJSON()).toEqual(f.made[0]);
    expect(fs.statSync(path.join(c.stateDir, 'exec.fifo')).isFIFO()).toBe(true);
    for (const dir of cgroupDirs(f.made[0])) expect(fs.existsSync(dir)).toBe(true);
  });

  test('a failure after the spawn discards it and removes the cgroups', async () => {
    const spawner = standInSpawner();
    const f = front({
      initCreated: () => {
        throw new Error('the record could not be written');
      },
    });
    await expect(createInit(newContainer(), spawner, f)).rejects.toThrow('the record could not be written');
    expect(spawner.discarded).toBe(1);
    for (const dir of cgroupDirs(f.made[0])) expect(fs.existsSync(dir)).toBe(false);
  });

  test('a failing createRuntime hook fails the spawn in the front end\'s words, and leaves no cgroup', async () => {
    const spawner = standInSpawner();
    const f = front();
    const c = newContainer((config) => {
      config.hooks = { createRuntime: [{ path: '/bin/false', args: ['false'] }] };
    });
    await expect(createInit(c, spawner, f)).rejects.toThrow(/^front: error running createRuntime hook #0 \(\/bin\/false\): exit status 1/);
    expect(spawner.given[0].onRuntimeHooks).toBeDefined();
    expect(spawner.discarded).toBe(0);
    for (const dir of cgroupDirs(f.made[0])) expect(fs.existsSync(dir)).toBe(false);
  });
});
