/**
 * One tsrund for a test file: started before its tests, and after them torn down (see
 * TestDaemon.cleanup) together with every bundle the tests made; plus the task helpers those
 * tests share. Call useDaemon() at the top level of the test file.
 */
import type { TsrundClient } from '../../supervisor/client/client';
import { makeBundle, type Bundle } from '../helpers/bundle';
import { TestDaemon } from './daemon';

export interface DaemonFixture {
  daemon: TestDaemon;
  /** The daemon's current client (after daemon.reconnect(), the new one). */
  c(): TsrundClient;
  /** A busybox bundle running `args`, removed after the file's tests. */
  bundle(args?: string[]): Bundle;
  /** Create container `id` from a new bundle running `args`, create and start its task; resolves with the init's pid. */
  run(id: string, args: string[], o?: { stdin?: boolean }): Promise<number>;
  /** Force-delete `id`'s task, if it has one, then delete the container. */
  remove(id: string): Promise<void>;
}

/**
 * For test files whose tests start, kill and restart tsrund themselves: a new TestDaemon (not
 * started) and a busybox bundle running `true` before each test, both torn down after it. Call
 * at the top level; read `daemon` and `bundle` inside the tests.
 */
export function useDaemonPerTest(): { readonly daemon: TestDaemon; readonly bundle: Bundle } {
  const current = {} as { daemon: TestDaemon; bundle: Bundle };
  beforeEach(() => {
    current.daemon = new TestDaemon();
    current.bundle = makeBundle(['true']);
  });
  afterEach(async () => {
    await current.daemon.cleanup();
    current.bundle.cleanup();
  });
  return current;
}

export function useDaemon(): DaemonFixture {
  const daemon = new TestDaemon();
  const bundles: Bundle[] = [];
  beforeAll(() => daemon.start());
  afterAll(async () => {
    await daemon.cleanup();
    for (const b of bundles) b.cleanup();
  });

  const c = () => daemon.client;
  const bundle = (args: string[] = ['true']) => {
    const b = makeBundle(args);
    bundles.push(b);
    return b;
  };
  return {
    daemon,
    c,
    bundle,
    async run(id, args, o = {}) {
      await c().createContainer({ id, bundle: bundle(args).dir });
      await c().createTask(id, o);
      return c().startTask(id);
    },
    async remove(id) {
      await c()
        .deleteTask(id, { force: true })
        .catch(() => undefined);
      await c().deleteContainer(id);
    },
  };
}
