/** RuntimeService's pod sandbox, container, exec, streaming, stats, metrics and events RPCs (./sandboxes.ts, ./containers.ts, ./exec.ts, ./streams.ts, ./stats.ts, ./metrics.ts, ./events.ts), for the CRI server's table (../server.ts). The Stream* RPCs send what their List RPCs answer, in batches. */
import type { CriContext } from '../context';
import { required, sendInBatches, type RuntimeHandlers } from '../handlers';
import { failedPrecondition, invalidArgument } from '../../shared/errors';
import { PodContainers } from './containers';
import { checkCmd, execSync } from './exec';
import { attachHandler, checkStreams, execHandler, portForwardHandler } from './streams';
import { PodSandboxes } from './sandboxes';
import { CriStats } from './stats';
import { streamContainerEvents } from './events';
import { METRIC_DESCRIPTORS, podSandboxMetrics } from './metrics';

export function podHandlers(ctx: CriContext): Partial<RuntimeHandlers> {
  const pods = new PodSandboxes(ctx.supervisor, { network: '', sandboxImage: ctx.options.sandboxImage });
  const containers = new PodContainers(ctx.supervisor, ctx.images, pods);
  const stats = new CriStats(ctx.supervisor, containers, pods);
  return {
    runPodSandbox: (req) => pods.run(req),
    // The containers first (killed; removed), then the sandbox: as the proto asks of both.
    stopPodSandbox: async (req) => {
      const sandbox = pods.store.find(required('pod_sandbox_id', req.podSandboxId));
      if (sandbox) {
        await containers.stopAll(sandbox.id);
        await pods.stop(sandbox.id);
      }
      return {};
    },
    removePodSandbox: async (req) => {
      const sandbox = pods.store.find(required('pod_sandbox_id', req.podSandboxId));
      if (sandbox) {
        const mine = containers.store.list().filter((c) => c.sandboxId === sandbox.id);
        await containers.removeAll(sandbox.id);
        await pods.remove(sandbox.id);
        for (const id of [sandbox.id, ...mine.map((c) => c.id)]) stats.forget(id);
      }
      return {};
    },
    podSandboxStatus: (req) => {
      const answer = pods.status({ ...req, podSandboxId: required('pod_sandbox_id', req.podSandboxId) });
      return req.verbose ? { ...answer, containersStatuses: containers.statusesIn(answer.status!.id) } : answer;
    },
    listPodSandbox: (req) => ({ items: pods.list(req) }),
    streamPodSandboxes: (req, send, cancelled) => sendInBatches(pods.list(req), send, cancelled, (podSandboxes) => ({ podSandboxes })),
    updatePodSandboxResources: (req) => (pods.updateResources(required('pod_sandbox_id', req.podSandboxId), req.overhead, req.resources), {}),
    createContainer: (req) => containers.create({ ...req, podSandboxId: required('pod_sandbox_id', req.podSandboxId) }),
    startContainer: async (req) => (await containers.start(required('container_id', req.containerId)), {}),
    stopContainer: async (req) => (await containers.stop(required('container_id', req.containerId), req.timeout), {}),
    removeContainer: async (req) => {
      const r = containers.store.find(required('container_id', req.containerId));
      if (r) {
        await containers.remove(r.id);
        stats.forget(r.id);
      }
      return {};
    },
    listContainers: (req) => ({ containers: containers.list(req) }),
    streamContainers: (req, send, cancelled) => sendInBatches(containers.list(req), send, cancelled, (list) => ({ containers: list })),
    containerStatus: (req) => containers.status(required('container_id', req.containerId), req.verbose),
    updateContainerResources: async (req) => (await containers.updateResources(required('container_id', req.containerId), required('linux', req.linux)), {}),
    reopenContainerLog: async (req) => (await containers.reopenLog(required('container_id', req.containerId)), {}),
    containerStats: (req) => ({ stats: stats.container(required('container_id', req.containerId)) }),
    listContainerStats: (req) => ({ stats: stats.listContainers(req.filter) }),
    streamContainerStats: (req, send, cancelled) => sendInBatches(stats.listContainers(req.filter), send, cancelled, (containerStats) => ({ containerStats })),
    podSandboxStats: (req) => ({ stats: stats.pod(required('pod_sandbox_id', req.podSandboxId)) }),
    listPodSandboxStats: (req) => ({ stats: stats.listPods(req.filter) }),
    streamPodSandboxStats: (req, send, cancelled) => sendInBatches(stats.listPods(req.filter), send, cancelled, (podSandboxStats) => ({ podSandboxStats })),
    listMetricDescriptors: () => ({ descriptors: METRIC_DESCRIPTORS }),
    listPodSandboxMetrics: () => ({ podMetrics: podSandboxMetrics(stats, pods, containers) }),
    streamPodSandboxMetrics: (_req, send, cancelled) => sendInBatches(podSandboxMetrics(stats, pods, containers), send, cancelled, (podSandboxMetrics) => ({ podSandboxMetrics })),
    getContainerEvents: (_req, send, _cancelled, gone) => streamContainerEvents(ctx.supervisor, containers, pods, send, gone, ctx.subscriptions),
    execSync: (req) => {
      const r = containers.running(required('container_id', req.containerId));
      return execSync(ctx.supervisor, r.id, checkCmd(req.cmd), req.timeout);
    },
    exec: (req) => {
      const r = containers.running(required('container_id', req.containerId));
      checkStreams(req);
      return { url: ctx.streaming.register('exec', req, execHandler(ctx.supervisor, r.id, checkCmd(req.cmd))) };
    },
    attach: (req) => {
      const r = containers.running(required('container_id', req.containerId));
      checkStreams(req);
      if (req.stdin && !r.config.stdin) throw failedPrecondition(`container ${r.id} was created without stdin (config.stdin): attach without stdin`);
      return { url: ctx.streaming.register('attach', req, attachHandler(ctx.supervisor, r.id, containers.logPathOf(r), r.config.stdinOnce)) };
    },
    portForward: (req) => {
      const sandbox = pods.store.get(required('pod_sandbox_id', req.podSandboxId));
      if (pods.pausePid(sandbox.id) === null) throw failedPrecondition(`pod sandbox ${sandbox.id} is not ready: its ports can be forwarded only while it runs`);
      const bad = req.port.findIndex((p) => !(p >= 1 && p <= 65535));
      if (bad >= 0) throw invalidArgument(`port[${bad}]`, `${req.port[bad]} is not a port (1-65535)`);
      const pid = () => {
        const p = pods.pausePid(sandbox.id);
        if (p === null) throw failedPrecondition(`pod sandbox ${sandbox.id} is not ready any more`);
        return p;
      };
      return { url: ctx.streaming.register('portforward', { podSandboxId: sandbox.id }, portForwardHandler(pid)) };
    },
  };
}
