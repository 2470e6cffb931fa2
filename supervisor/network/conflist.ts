/**
 * The CNI configuration list tsrund writes for a network it manages, as Docker's bridge driver
 * behaves: a Linux bridge holding the gateway address, host-local addresses from the subnet, a
 * default route and IP masquerade unless the network is internal, and portmap for published
 * ports. What tsrund itself needs back from the file rides under the top-level "tsrun" key,
 * which libcni and the plugins ignore.
 */
import type { ManagedNetworkMeta } from './types';

const MANAGED_CNI_VERSION = '1.0.0';

export function managedConfList(name: string, meta: ManagedNetworkMeta, o: { ipamDataDir: string }): Record<string, unknown> {
  return {
    cniVersion: MANAGED_CNI_VERSION,
    name,
    plugins: [
      {
        type: 'bridge',
        bridge: meta.bridge,
        // The gateway address on the bridge is also where the embedded DNS server listens, so an
        // internal network has one too; it just gets no route beyond it.
        isGateway: true,
        ipMasq: !meta.internal,
        // A container reaches its own published port through the host's address.
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: meta.subnet, gateway: meta.gateway }]],
          routes: meta.internal ? [] : [{ dst: '0.0.0.0/0' }],
          dataDir: o.ipamDataDir,
        },
      },
      // snat: connections to a published port from the host itself (127.0.0.1, hairpin) get an answer.
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    ],
    tsrun: meta,
  };
}
