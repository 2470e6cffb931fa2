/**
 * The host's side of linux.netDevices, read at the edge for the pure plan builder: which of the
 * named interfaces exist, their addresses, and whether a joined network namespace is the host's.
 * Addresses come from iproute2's JSON (`ip -j addr show`), one run for every interface.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import type { Spec } from '../../spec/types';
import { ContainerError } from '../errors';
import type { HostAddress, HostInterface, PlanContext } from '../plan/types';

/** The netDevices facts of `spec`, or nothing when it moves no interface. */
export function readNetDeviceFacts(spec: Spec): Pick<PlanContext, 'netDevices'> {
  const keys = Object.keys(spec.linux?.netDevices ?? {});
  if (keys.length === 0) return {};
  const present = parseIpAddrJson(runIpAddr());
  const interfaces: Record<string, HostInterface | null> = {};
  for (const key of keys) interfaces[key] = present.get(key) ?? null;
  const joined = spec.linux?.namespaces?.find((n) => n.type === 'network')?.path;
  return { netDevices: { interfaces, joinsHostNetns: joined ? sameNamespace(joined, '/proc/self/ns/net') : false } };
}

function runIpAddr(): string {
  const run = spawnSync('ip', ['-j', 'addr', 'show'], { encoding: 'utf8' });
  if (run.error) throw new ContainerError(`linux.netDevices: cannot list the host's network interfaces: ip: ${run.error.message}`);
  if (run.status !== 0) {
    throw new ContainerError(`linux.netDevices: cannot list the host's network interfaces: ip -j addr show: ${run.stderr.trim() || `exit status ${run.status}`}`);
  }
  return run.stdout;
}

interface IpAddrInfo {
  family?: string;
  local?: string;
  address?: string;
  prefixlen?: number;
  broadcast?: string;
  scope?: string;
  dynamic?: boolean;
}

/** `ip -j addr show` -> interface name -> its addresses. */
export function parseIpAddrJson(text: string): Map<string, HostInterface> {
  const links = JSON.parse(text) as Array<{ ifname?: string; addr_info?: IpAddrInfo[] }>;
  const out = new Map<string, HostInterface>();
  for (const link of links) {
    if (typeof link.ifname !== 'string') continue;
    out.set(link.ifname, { addresses: (link.addr_info ?? []).flatMap(toHostAddress) });
  }
  return out;
}

function toHostAddress(info: IpAddrInfo): HostAddress[] {
  if ((info.family !== 'inet' && info.family !== 'inet6') || !info.local || typeof info.prefixlen !== 'number') return [];
  return [
    {
      family: info.family,
      local: info.local,
      prefixLength: info.prefixlen,
      // iproute2 prints the IFA_ADDRESS attribute only when it differs from IFA_LOCAL: a peer.
      peer: info.address && info.address !== info.local ? info.address : null,
      broadcast: info.family === 'inet' && info.broadcast ? info.broadcast : null,
      scope: info.scope ?? '',
      // iproute2 marks an address "dynamic" exactly when IFA_F_PERMANENT is clear.
      permanent: info.dynamic !== true,
    },
  ];
}

/** Two namespace files name the same namespace (the same nsfs inode). */
function sameNamespace(a: string, b: string): boolean {
  try {
    const sa = fs.statSync(a);
    const sb = fs.statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    // A path that cannot be read is for the setns step to report.
    return false;
  }
}
