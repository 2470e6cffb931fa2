/**
 * The host's side of linux.netDevices, read at the edge for the pure plan builder: which of the
 * named interfaces exist, their addresses, and whether a joined network namespace is the host's.
 * The links and addresses come from the addon's rtnetlink dumps (native/src/addon/net_links.cc),
 * raw; what they mean is read here, as iproute2 reads the same attributes.
 */
import * as fs from 'fs';
import type { Spec } from '../../spec/types';
import { TsrunError } from '../../common/errors';
import { netInterfaces, type NetInterfaces, type NetLinkAddress } from '../native';
import type { HostAddress, HostInterface, PlanContext } from '../plan/types';

/** <linux/socket.h> */
const AF_INET = 2;
const AF_INET6 = 10;
/** <linux/if_addr.h>: configured, not learned (SLAAC, DHCP with lifetimes). */
const IFA_F_PERMANENT = 0x80;
/** ifa_scope by iproute2's names (/etc/iproute2/rt_scopes); another scope goes by its number. */
const SCOPE_NAMES: Record<number, string> = { 0: 'global', 200: 'site', 253: 'link', 254: 'host', 255: 'nowhere' };

/** The netDevices facts of `spec`, or nothing when it moves no interface. */
export function readNetDeviceFacts(spec: Spec): Pick<PlanContext, 'netDevices'> {
  const keys = Object.keys(spec.linux?.netDevices ?? {});
  if (keys.length === 0) return {};
  const present = hostInterfaces(readInterfaces());
  const interfaces: Record<string, HostInterface | null> = {};
  for (const key of keys) interfaces[key] = present.get(key) ?? null;
  const joined = spec.linux?.namespaces?.find((n) => n.type === 'network')?.path;
  return { netDevices: { interfaces, joinsHostNetns: joined ? sameNamespace(joined, '/proc/self/ns/net') : false } };
}

/** A change of links or addresses in mid-dump: the kernel says so, and the dump is taken again. */
const DUMP_ATTEMPTS = 3;

function readInterfaces(): NetInterfaces {
  for (let attempt = 1; ; attempt++) {
    try {
      return netInterfaces();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN' && attempt < DUMP_ATTEMPTS) continue;
      throw new TsrunError(`linux.netDevices: cannot list the host's network interfaces: ${(err as Error).message}`);
    }
  }
}

/** The dumps as interface name -> its addresses. */
export function hostInterfaces(raw: NetInterfaces): Map<string, HostInterface> {
  const out = new Map<string, HostInterface>();
  const byIndex = new Map<number, HostInterface>();
  for (const link of raw.links) {
    if (link.name === null) continue;
    const entry: HostInterface = { addresses: [] };
    out.set(link.name, entry);
    byIndex.set(link.index, entry);
  }
  for (const a of raw.addresses) {
    const address = toHostAddress(a);
    if (address) byIndex.get(a.index)?.addresses.push(address);
  }
  return out;
}

function toHostAddress(a: NetLinkAddress): HostAddress | null {
  const family = a.family === AF_INET ? 'inet' : a.family === AF_INET6 ? 'inet6' : null;
  // IPv6 addresses carry IFA_ADDRESS alone; IFA_LOCAL, where there is one, is the address.
  const local = a.local ?? a.address;
  if (family === null || local === null) return null;
  return {
    family,
    local,
    prefixLength: a.prefixLength,
    // IFA_ADDRESS other than IFA_LOCAL is the other end of a point-to-point link.
    peer: a.address !== null && a.address !== local ? a.address : null,
    broadcast: family === 'inet' ? a.broadcast : null,
    scope: SCOPE_NAMES[a.scope] ?? String(a.scope),
    permanent: (a.flags & IFA_F_PERMANENT) !== 0,
  };
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
