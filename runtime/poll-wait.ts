/**
 * A wait that looks again until something holds (a cgroup frozen or gone, a process gone), written
 * once as a generator that yields how many milliseconds to sleep before the next look and returns
 * the result. tsrund runs it on timers (runPoll: its event loop goes on meanwhile); tsrun, a
 * short-lived command whose waits are brief, may block its thread instead (runPollSync).
 */
import { setTimeout as sleep } from 'timers/promises';

export type Poll<T> = Generator<number, T, void>;

export async function runPoll<T>(poll: Poll<T>): Promise<T> {
  for (let step = poll.next(); ; step = poll.next()) {
    if (step.done) return step.value;
    await sleep(step.value);
  }
}

export function runPollSync<T>(poll: Poll<T>): T {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (let step = poll.next(); ; step = poll.next()) {
    if (step.done) return step.value;
    Atomics.wait(cell, 0, 0, step.value);
  }
}
