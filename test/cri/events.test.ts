/**
 * GetContainerEvents through the CRI socket of a real tsrund: a sandbox's and a container's
 * lives as the events kubelet's evented PLEG reads, in order, each with the pod's status and its
 * containers' then; a stream opened later sees only what comes after; a cancelled stream ends.
 */
import * as path from 'path';
import type * as grpc from '@grpc/grpc-js';
import type { ContainerEventResponse } from '../../supervisor/api/generated/cri-types';
import { until } from '../supervisor/daemon';
import { busyboxSuite } from './busybox-suite';

jest.setTimeout(120_000);

const suite = busyboxSuite('cs-ev-');
const { daemon, work, image: IMAGE } = suite;

/** The events of an open stream, as they come. */
function listen(): { events: ContainerEventResponse[]; call: grpc.ClientReadableStream<never>; ended: Promise<unknown> } {
  const events: ContainerEventResponse[] = [];
  const call = suite.cri.open('RuntimeService', 'getContainerEvents');
  call.on('data', (m: ContainerEventResponse) => events.push(m));
  const ended = new Promise((resolve) => call.on('error', resolve).on('end', resolve));
  return { events, call, ended };
}

test("a sandbox's and a container's lives, in order, with the pod's status and its containers'", async () => {
  const stream = listen();
  // The stream is live once the server has subscribed: give it a turn.
  await new Promise((r) => setTimeout(r, 300));
  const config = { metadata: { name: 'cs-ev-pod', uid: `cs-ev-${process.pid}`, namespace: 'cs-ns', attempt: 0 }, logDirectory: path.join(work, 'logs') };
  const { podSandboxId: pod } = await suite.cri.runtime('runPodSandbox', { config });
  const { containerId: c } = await suite.cri.runtime('createContainer', {
    podSandboxId: pod,
    config: { metadata: { name: 'cs-ev' }, image: { image: IMAGE }, command: ['/bin/sh', '-c', 'exit 3'] },
    sandboxConfig: config,
  });
  await suite.cri.runtime('startContainer', { containerId: c });
  await until(async () => stream.events.some((e) => e.containerId === c && e.containerEventType === 'CONTAINER_STOPPED_EVENT'), 20_000);
  await suite.cri.runtime('removeContainer', { containerId: c });
  await suite.cri.runtime('stopPodSandbox', { podSandboxId: pod });
  await suite.cri.runtime('removePodSandbox', { podSandboxId: pod });
  await until(async () => stream.events.some((e) => e.containerId === pod && e.containerEventType === 'CONTAINER_DELETED_EVENT'), 20_000);

  const seen = stream.events.map((e) => [e.containerId === pod ? 'pod' : e.containerId === c ? 'c' : e.containerId, e.containerEventType]);
  expect(seen).toEqual([
    ['pod', 'CONTAINER_CREATED_EVENT'],
    ['pod', 'CONTAINER_STARTED_EVENT'],
    ['c', 'CONTAINER_CREATED_EVENT'],
    ['c', 'CONTAINER_STARTED_EVENT'],
    ['c', 'CONTAINER_STOPPED_EVENT'],
    ['c', 'CONTAINER_DELETED_EVENT'],
    ['pod', 'CONTAINER_STOPPED_EVENT'],
    ['pod', 'CONTAINER_DELETED_EVENT'],
  ]);
  const at = stream.events.map((e) => Number(e.createdAt));
  expect([...at].sort((a, b) => a - b)).toEqual(at);
  expect(at[0]).toBeGreaterThan((Date.now() - 60_000) * 1e6);
  for (const e of stream.events) expect(e.podSandboxStatus?.id).toBe(pod);

  const of = (type: string) => stream.events.find((e) => e.containerId === c && e.containerEventType === type)!;
  expect(of('CONTAINER_CREATED_EVENT').containersStatuses).toMatchObject([{ id: c, state: 'CONTAINER_CREATED' }]);
  expect(of('CONTAINER_STOPPED_EVENT').containersStatuses).toMatchObject([{ id: c, state: 'CONTAINER_EXITED', exitCode: 3, reason: 'Error' }]);
  expect(of('CONTAINER_DELETED_EVENT').containersStatuses).toEqual([]);
  expect(stream.events[1].podSandboxStatus).toMatchObject({ state: 'SANDBOX_READY', metadata: { name: 'cs-ev-pod' } });

  stream.call.cancel();
  expect(await stream.ended).toMatchObject({ code: 1 });
});

test('a stream opened later sees only what comes after it; tsrund keeps serving once it is cancelled', async () => {
  const config = { metadata: { name: 'cs-ev-later', uid: `cs-ev-later-${process.pid}`, namespace: 'cs-ns', attempt: 0 } };
  const { podSandboxId: first } = await suite.cri.runtime('runPodSandbox', { config });
  const stream = listen();
  await new Promise((r) => setTimeout(r, 300));
  await suite.cri.runtime('stopPodSandbox', { podSandboxId: first });
  await until(async () => stream.events.length >= 1, 20_000);
  expect(stream.events.map((e) => [e.containerId, e.containerEventType])).toEqual([[first, 'CONTAINER_STOPPED_EVENT']]);
  expect(stream.events[0].podSandboxStatus).toMatchObject({ id: first, state: 'SANDBOX_NOTREADY' });
  stream.call.cancel();
  await stream.ended;
  await suite.cri.runtime('removePodSandbox', { podSandboxId: first });
  expect((await suite.cri.runtime('version', {})).runtimeName).not.toBe('');
});

test('tsrund stopping ends an open stream with OK', async () => {
  const stream = listen();
  await new Promise((r) => setTimeout(r, 300));
  const exit = daemon.signal('SIGTERM');
  // 'end' (resolves with nothing): tsrund ended the stream itself rather than dropping it.
  expect(await stream.ended).toBeUndefined();
  await exit;
  await daemon.start();
  suite.reconnect();
});
