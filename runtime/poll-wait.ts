/**
 * A wait that looks again until something holds (a cgroup frozen or gone, a process gone), written
 * once as a generator that yields how many milliseconds to sleep before the next look and returns
 * the result. It runs on timers, so the event loop (tsrund's every RPC, log stream and monitor
 * event) goes on meanwhile.
 */
import { setTimeout as sleep } from 'timers/promises';

export type Poll<T> = Generator<number, T, void>;

export async function runPoll<T>(poll: Poll<T>): Promise<T> {
  for (let step = poll.next(); ; step = poll.next()) {
    if (step.done) return step.value;
    await sleep(step.value);
  }
}
