/**
 * `tsctl network create|ls|inspect|rm|connect|disconnect` and `tsctl port`, as docker's network
 * and port commands print them.
 */
import { TsrunError } from '../../common/errors';
import type { TsrundClient } from '../client/client';
import type { ContainerNetworkStatus, Network, PortMapping } from '../api/types';
import { forEachName, labelsOf, runSubCommand, type SubCommand } from './command';
import { out, printJson, printTable, timeText } from './output';

/** Ids as docker's tables show them: the first 12 hex digits. */
const shortId = (id: string) => id.slice(0, 12);

function jsonNetwork(n: Network): object {
  return { ...n, createdAt: timeText(n.createdAt) };
}

/**
 * A network as `docker network inspect` shows one, where tsrund's record says it: its subnet and
 * gateway as IPAM's one pool, its containers by id with their address and MAC, its bridge under
 * docker's option name (a list tsrund did not write has none of its own).
 */
export function dockerNetwork(n: Network): object {
  return {
    Name: n.name,
    Id: n.id,
    Created: timeText(n.createdAt),
    Scope: 'local',
    Driver: n.driver,
    EnableIPv6: false,
    IPAM: {
      Driver: 'default',
      Options: {},
      Config: n.subnet ? [{ Subnet: n.subnet, ...(n.gateway ? { Gateway: n.gateway } : {}) }] : [],
    },
    Internal: n.internal,
    Attachable: false,
    Ingress: false,
    ConfigOnly: false,
    Containers: Object.fromEntries(
      n.endpoints.map((e) => [e.containerId, { Name: e.containerId, MacAddress: e.macAddress, IPv4Address: e.ipv4Address, IPv6Address: '' }]),
    ),
    Options: n.bridge ? { 'com.docker.network.bridge.name': n.bridge } : {},
    Labels: n.labels,
  };
}

/** Run `act` for each name, on: one line on stderr for each that failed; 1 when any did. */
export function subcommands(messageOf: (err: unknown) => string): SubCommand[] {
  return [
    {
      name: 'create',
      usage: 'create a network (a Linux bridge with addresses from a subnet, NAT to the outside)',
      argsUsage: 'NAME',
      flags: [
        { name: 'subnet', kind: 'string', usage: 'IPv4 subnet in CIDR notation (default: a free /24 of tsrund\'s pool)', default: '' },
        { name: 'gateway', kind: 'string', usage: 'the gateway address in the subnet (default: its first)', default: '' },
        { name: 'internal', kind: 'bool', usage: 'no way out of the network: its containers reach each other only', default: false },
        { name: 'label', short: 'l', kind: 'list', usage: 'KEY=VALUE label (repeatable)' },
      ],
      args: [1, 1],
      async run(c, f, [name], json) {
        const n = await c.createNetwork({
          name,
          subnet: f.subnet as string,
          gateway: f.gateway as string,
          internal: f.internal as boolean,
          labels: labelsOf(f),
        });
        if (json) printJson(jsonNetwork(n));
        else out(`${n.id}\n`);
        return 0;
      },
    },
    {
      name: 'ls',
      usage: 'list networks',
      argsUsage: '',
      flags: [
        { name: 'quiet', short: 'q', kind: 'bool', usage: 'only the ids', default: false },
        { name: 'no-trunc', kind: 'bool', usage: 'whole ids', default: false },
      ],
      args: [0, 0],
      async run(c, f, _a, json) {
        const networks = await c.listNetworks();
        const id = (n: Network) => (f['no-trunc'] ? n.id : shortId(n.id));
        if (json) printJson(networks.map(jsonNetwork));
        else if (f.quiet) out(networks.map((n) => `${id(n)}\n`).join(''));
        else
          printTable(
            ['NETWORK ID', 'NAME', 'DRIVER', 'SUBNET'],
            networks.map((n) => [id(n), n.name, n.driver, n.subnet]),
          );
        return 0;
      },
    },
    {
      name: 'inspect',
      usage: "networks with their containers, as docker network inspect's JSON (--json: tsrund's records)",
      argsUsage: 'NAME...',
      flags: [],
      args: [1, -1],
      async run(c, _f, names, json) {
        const found: Network[] = [];
        const status = await forEachName(names, 'network inspect', async (name) => void found.push(await c.getNetwork(name)), messageOf);
        printJson(found.map(json ? jsonNetwork : dockerNetwork));
        return status;
      },
    },
    {
      name: 'rm',
      usage: 'remove networks (none may have a container attached)',
      argsUsage: 'NAME...',
      flags: [],
      args: [1, -1],
      async run(c, _f, names, json) {
        return forEachName(
          names,
          'network rm',
          async (name) => {
            await c.deleteNetwork(name);
            if (!json) out(`${name}\n`);
          },
          messageOf,
        );
      },
    },
    {
      name: 'connect',
      usage: 'attach a running container to a network',
      argsUsage: 'NETWORK CONTAINER',
      flags: [{ name: 'alias', kind: 'list', usage: 'another name of the container on the network (repeatable)' }],
      args: [2, 2],
      async run(c, f, [network, container], json) {
        const endpoint = await c.connectNetwork(network, container, { aliases: (f.alias as string[] | undefined) ?? [] });
        if (json) printJson(endpoint);
        return 0;
      },
    },
    {
      name: 'disconnect',
      usage: 'detach a running container from a network',
      argsUsage: 'NETWORK CONTAINER',
      flags: [],
      args: [2, 2],
      async run(c, _f, [network, container]) {
        await c.disconnectNetwork(network, container);
        return 0;
      },
    },
  ];
}

/** `tsctl network ARGS...`; `json`: whether --json was given before the subcommand. */
export function networkCommand(c: TsrundClient, args: string[], json: boolean, messageOf: (err: unknown) => string): Promise<number> {
  return runSubCommand('network', subcommands(messageOf), { list: 'ls', remove: 'rm' }, c, args, json);
}

/** `tsctl port`'s PRIVATE_PORT[/PROTO] ("80", "53/udp"). */
export function parsePortFilter(text: string): { containerPort: number; protocol: string } {
  const m = /^(\d{1,5})(?:\/(tcp|udp))?$/i.exec(text);
  const port = m ? Number(m[1]) : 0;
  if (!m || port < 1 || port > 65535) {
    throw new TsrunError(`port: PRIVATE_PORT ${JSON.stringify(text.slice(0, 80))}: expected a port (1-65535) with /tcp or /udp or neither`, {
      code: 'invalid-argument',
      subject: 'PRIVATE_PORT',
    });
  }
  return { containerPort: port, protocol: (m[2] ?? 'tcp').toLowerCase() };
}

/** "0.0.0.0:32768": where a published port listens ("" host address: every one). */
const hostAddress = (p: PortMapping) => `${p.hostIp || '0.0.0.0'}:${p.hostPort}`;

/** A container's published ports, sorted; with `filter`, only those of that container port. */
export function publishedPorts(status: ContainerNetworkStatus | null, filter: { containerPort: number; protocol: string } | null): PortMapping[] {
  return (status?.ports ?? [])
    .filter((p) => !filter || (p.containerPort === filter.containerPort && p.protocol === filter.protocol))
    .sort((a, b) => a.containerPort - b.containerPort || a.protocol.localeCompare(b.protocol) || a.hostIp.localeCompare(b.hostIp) || a.hostPort - b.hostPort);
}

/**
 * `tsctl port`'s lines, as docker prints them: "80/tcp -> 0.0.0.0:32768" for each port, or only
 * the host addresses when the container port was asked for.
 */
export function portLines(ports: PortMapping[], filtered: boolean): string[] {
  return ports.map((p) => (filtered ? hostAddress(p) : `${p.containerPort}/${p.protocol} -> ${hostAddress(p)}`));
}

/** `tsctl port CONTAINER [PRIVATE_PORT[/PROTO]]`. */
export async function portCommand(c: TsrundClient, [id, privatePort]: string[], json: boolean): Promise<number> {
  const filter = privatePort === undefined ? null : parsePortFilter(privatePort);
  const ports = publishedPorts((await c.getContainer(id)).networkStatus, filter);
  if (filter && ports.length === 0) {
    throw new TsrunError(`port: no public port ${filter.containerPort}/${filter.protocol} published for ${id}`, { code: 'not-found' });
  }
  if (json) printJson(ports);
  else out(portLines(ports, filter !== null).map((l) => `${l}\n`).join(''));
  return 0;
}
