/** Helpers shared by the cases: waiting, and a create that must fail cleanly. */
import { sleep } from '../../test/helpers/tsrun';
import { CaseContext, expect } from '../case';

/** Poll `condition` every 50 ms until it holds (true) or `timeoutMs` passes (false). */
export async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

/**
 * create of `bundleDir` under a fresh id fails, and no container with that id exists afterwards
 * (a failed operation leaves things as they were).
 */
export function expectCreateFails(ctx: CaseContext, bundleDir: string, what: string): void {
  const id = ctx.runtime.newId('bad');
  const r = ctx.runtime.create(id, bundleDir);
  expect(r.code !== 0, `create with ${what} succeeded`);
  const s = ctx.runtime.state(id);
  expect(!('status' in s), `a container is left after the failed create: status ${'status' in s ? s.status : ''}`);
}
