/** Waiting helper shared by the cases. */
import { sleep } from '../../test/helpers/tsrun';

/** Poll `condition` every 50 ms until it holds (true) or `timeoutMs` passes (false). */
export async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}
