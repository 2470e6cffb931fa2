/**
 * RuntimeService's questions about the runtime itself: Version, Status (is it ready, is the
 * network), RuntimeConfig (the cgroup driver) and UpdateRuntimeConfig (the pod CIDR kubelet
 * hands down); and CheckpointContainer, which tsrund cannot do.
 */
import * as net from 'net';
import { TSRUN_VERSION } from '../../runtime/version';
import type { RuntimeCondition, StatusResponse, VersionResponse } from '../api/generated/cri-types';
import { loadConfDir } from '../network/cni/config';
import { describeMirrors } from '../registry/mirrors';
import { invalidArgument, TsrunError } from '../shared/errors';
import type { CriContext } from './context';
import type { Reply, RuntimeHandlers } from './handlers';

/** The CRI version kubelet is told, as containerd and CRI-O answer it. */
const KUBELET_API_VERSION = '0.1.0';

export function versionReply(): VersionResponse {
  return { version: KUBELET_API_VERSION, runtimeName: 'tsrun', runtimeVersion: TSRUN_VERSION, runtimeApiVersion: 'v1' };
}

/** NetworkReady from what --cni-conf-dir holds: ready once one network list loads. */
export function networkCondition(confDir: string, lists: number, errors: string[]): RuntimeCondition {
  if (lists > 0) return { type: 'NetworkReady', status: true, reason: '', message: '' };
  const broken = errors.length > 0 ? ` (${errors.length} unusable: ${errors.join('; ')})` : '';
  return {
    type: 'NetworkReady',
    status: false,
    reason: 'NetworkPluginNotReady',
    message: `Network plugin returns error: no CNI network configuration list in ${confDir}${broken}`,
  };
}

/** kubelet's pod CIDR: "" (none) or CIDRs joined by commas (dual stack), each IPv4 or IPv6. */
export function checkPodCidr(field: string, text: string): void {
  for (const part of text === '' ? [] : text.split(',')) {
    const m = /^([^/]+)\/(\d{1,3})$/.exec(part.trim());
    const family = m ? net.isIP(m[1]) : 0;
    if (!m || family === 0 || Number(m[2]) > (family === 4 ? 32 : 128))
      throw invalidArgument(field, `${JSON.stringify(part.slice(0, 100))} is not a CIDR ("10.244.1.0/24", "fd00::/64"; several joined by ",")`);
  }
}

export function runtimeInfoHandlers(ctx: CriContext): Partial<RuntimeHandlers> {
  return {
    version: () => versionReply(),
    status: (req) => {
      const { lists, errors } = loadConfDir(ctx.options.cniConfDir);
      const network = networkCondition(ctx.options.cniConfDir, lists.length, errors.map((e) => e.message));
      const reply: Reply<StatusResponse> = {
        status: { conditions: [{ type: 'RuntimeReady', status: ctx.supervisor.ready, reason: ctx.supervisor.ready ? '' : 'RuntimeStarting', message: ctx.supervisor.ready ? '' : 'tsrund is recovering its containers' }, network] },
        // The default handler only: tsrund has no user namespaces or recursive read-only mounts for pods.
        runtimeHandlers: [{ name: '', features: { recursiveReadOnlyMounts: false, userNamespaces: false } }],
        features: { supplementalGroupsPolicy: false, userNamespacesHostNetwork: false },
      };
      if (req.verbose) {
        reply.info = {
          config: JSON.stringify({
            criAddress: ctx.options.address,
            cniConfDir: ctx.options.cniConfDir,
            cniNetworks: lists.map((l) => l.name),
            podCidr: ctx.runtimeConfig.podCidr,
            cgroupDriver: 'cgroupfs',
            root: ctx.supervisor.paths.root,
            state: ctx.supervisor.paths.state,
            registryMirrors: describeMirrors(ctx.images.registry.mirrors),
            // "": the built-in pause (native/src/pause).
            sandboxImage: ctx.options.sandboxImage,
          }),
          lastCNILoadStatus: network.status ? 'OK' : network.message,
        };
      }
      return reply;
    },
    runtimeConfig: () => ({ linux: { cgroupDriver: 'CGROUPFS' } }),
    updateRuntimeConfig: (req) => {
      const cidr = req.runtimeConfig?.networkConfig?.podCidr ?? '';
      checkPodCidr('runtime_config.network_config.pod_cidr', cidr);
      // An empty CIDR changes nothing, as containerd's: kubelet sends one only once it knows it.
      if (cidr !== '') ctx.runtimeConfig.setPodCidr(cidr);
      return {};
    },
    checkpointContainer: () => {
      throw new TsrunError('CheckpointContainer: tsrund cannot checkpoint containers (it has no CRIU support); stop and recreate the container instead', {
        code: 'unimplemented',
      });
    },
  };
}
