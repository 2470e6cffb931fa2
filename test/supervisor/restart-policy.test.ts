/** The restart policies' decisions and docker's back-off (supervisor/containers/restart-policy.ts), and the stop settings (stop-settings.ts). */
import { checkRestartPolicy, nextDelayMs, restartsAfterExit, restartsAtDaemonStart, NO_HISTORY } from '../../supervisor/containers/restart-policy';
import { stopSignal, stopTimeoutMs } from '../../supervisor/containers/stop-settings';
import { EMPTY_OVERRIDES } from '../../supervisor/containers/overrides';
import type { Spec } from '../../spec/types';

const policy = (name: string, maxRetries = 0) => ({ name, maxRetries });
const stopped = { count: 0, stoppedByUser: true };

test('after an exit: no never, on-failure after a failure up to its maximum, always and unless-stopped always; never once the user stopped it', () => {
  expect(restartsAfterExit(null, 1, NO_HISTORY)).toBe(false);
  expect(restartsAfterExit(policy('no'), 1, NO_HISTORY)).toBe(false);
  expect(restartsAfterExit(policy('on-failure'), 0, NO_HISTORY)).toBe(false);
  expect(restartsAfterExit(policy('on-failure'), 3, { count: 1000, stoppedByUser: false })).toBe(true);
  expect(restartsAfterExit(policy('on-failure', 2), 3, { count: 1, stoppedByUser: false })).toBe(true);
  expect(restartsAfterExit(policy('on-failure', 2), 3, { count: 2, stoppedByUser: false })).toBe(false);
  for (const name of ['always', 'unless-stopped']) {
    expect(restartsAfterExit(policy(name), 0, NO_HISTORY)).toBe(true);
    expect(restartsAfterExit(policy(name), 137, stopped)).toBe(false);
  }
});

test("at tsrund's start: always even after a user's stop, unless-stopped unless stopped, on-failure after a failure it would restart", () => {
  expect(restartsAtDaemonStart(policy('always'), 0, stopped)).toBe(true);
  expect(restartsAtDaemonStart(policy('unless-stopped'), null, NO_HISTORY)).toBe(true);
  expect(restartsAtDaemonStart(policy('unless-stopped'), null, stopped)).toBe(false);
  expect(restartsAtDaemonStart(policy('on-failure'), 1, NO_HISTORY)).toBe(true);
  expect(restartsAtDaemonStart(policy('on-failure'), null, NO_HISTORY)).toBe(false);
  expect(restartsAtDaemonStart(policy('no'), 1, NO_HISTORY)).toBe(false);
});

test('back-off: 100 ms, doubling, at most a minute, back to 100 ms after a run of 10 s', () => {
  const delays: number[] = [];
  let d = 0;
  for (let i = 0; i < 12; i++) delays.push((d = nextDelayMs(d, 50)));
  expect(delays.slice(0, 4)).toEqual([100, 200, 400, 800]);
  expect(delays[11]).toBe(60_000);
  expect(nextDelayMs(60_000, 10_000)).toBe(100);
});

test('policies and their maximum are checked naming the field', () => {
  expect(() => checkRestartPolicy(policy('sometimes'), 'overrides.restart_policy')).toThrow(/overrides\.restart_policy\.name.*one of no, on-failure, always, unless-stopped/);
  expect(() => checkRestartPolicy(policy('always', 3), 'overrides.restart_policy')).toThrow(/max_retries: only on-failure/);
  expect(() => checkRestartPolicy(policy('on-failure', 3), 'f')).not.toThrow();
});

test("stop: the request's signal, else the container's, else the image's StopSignal, else SIGTERM; the timeout: request, container, 10 s; -1 for ever", () => {
  const image: Spec = { ociVersion: '1.0.2', annotations: { 'org.opencontainers.image.stopSignal': 'SIGQUIT' } };
  expect(stopSignal('', null, { ociVersion: '1.0.2' })).toBe(15);
  expect(stopSignal('', null, image)).toBe(3);
  expect(stopSignal('', { ...EMPTY_OVERRIDES, stopSignal: 'USR1' }, image)).toBe(10);
  expect(stopSignal('9', { ...EMPTY_OVERRIDES, stopSignal: 'USR1' }, image)).toBe(9);
  expect(() => stopSignal('SIGNOPE', null, image)).toThrow(/signal.*not a signal/);
  expect(stopTimeoutMs(undefined, null)).toBe(10_000);
  expect(stopTimeoutMs(undefined, { ...EMPTY_OVERRIDES, stopTimeout: 0 })).toBe(0);
  expect(stopTimeoutMs(2, { ...EMPTY_OVERRIDES, stopTimeout: 30 })).toBe(2000);
  expect(stopTimeoutMs(-1, null)).toBeNull();
  expect(stopTimeoutMs(2 ** 31 - 1, null)).toBeNull();
  expect(() => stopTimeoutMs(-5, null)).toThrow(/timeout_seconds/);
});
