/**
 * linux.netDevices (runtime-spec v1.3.0, config-linux.md "Network Devices"): each key names a
 * host interface that is moved into the container's network namespace, under the entry's `name`
 * when it gives one, keeping its permanent addresses of global scope, and set up there.
 *
 * The parent moves the interface (it is in the host's namespace and knows init's pid); init,
 * already in the container's namespace, puts the addresses back (the kernel drops them on the
 * move) and sets the interface up.
 *
 * Nothing happens at delete: the spec says the runtime MUST NOT move the interface out before
 * the namespace goes. When the namespace's last process exits, the kernel returns physical
 * interfaces to the host's namespace (under the name they had in the container) and destroys
 * virtual ones (veth, macvlan, ...) together with their peers.
 */
import type { Spec } from '../../spec/types';
import { hasNamespace, Namespaces } from './namespaces';
import { PlanError } from './plan-error';
import type { ConfigureNetDeviceStep, HostAddress, HostNetDevices, MoveNetDeviceStep, NetAddress } from './types';

export interface NetDeviceSteps {
  parent: MoveNetDeviceStep[];
  init: ConfigureNetDeviceStep[];
}

export function netDeviceSteps(spec: Spec, ns: Namespaces, host: HostNetDevices | undefined): NetDeviceSteps {
  const devices = spec.linux?.netDevices ?? {};
  const keys = Object.keys(devices);
  const steps: NetDeviceSteps = { parent: [], init: [] };
  if (keys.length === 0) return steps;
  const first = entryPath(keys[0]);
  if (!hasNamespace(ns, 'network')) {
    throw new PlanError(first, `moving an interface needs a network namespace of the container's own (add {"type": "network"})`);
  }
  const joined = ns.joined.get('network');
  if (joined !== undefined && host?.joinsHostNetns) {
    throw new PlanError(first, `the network namespace joined (${joined}) is the host's own: the interface would not leave the host`);
  }
  if (!host) throw new PlanError(first, `the host's network interfaces were not read, so none can be moved`);

  // Final name -> what holds it in the container's namespace.
  const taken = new Map<string, string>();
  if (ns.created.has('network')) taken.set('lo', 'the loopback interface of the new network namespace');
  for (const key of keys) {
    const at = entryPath(key);
    const given = devices[key].name;
    // An empty name is no name, as runc reads it: the interface keeps its host name.
    const newName = given ? given : key;
    const nameAt = given ? `${at}.name` : at;
    checkNotTemplate(newName, nameAt);
    const iface = host.interfaces[key];
    if (!iface) throw new PlanError(at, `the host has no network interface "${key}"`);
    const holder = taken.get(newName);
    if (holder !== undefined) throw new PlanError(nameAt, `"${newName}" is already the name of ${holder} in the container`);
    taken.set(newName, at);
    steps.parent.push({ op: 'moveNetDevice', name: key, newName, purpose: at });
    steps.init.push({ op: 'configureNetDevice', name: newName, addresses: movingAddresses(iface.addresses), purpose: at });
  }
  return steps;
}

/**
 * A new network namespace starts with its loopback interface down, so nothing in the container
 * could reach 127.0.0.1; runc sets it up (the kernel gives it 127.0.0.1/8 and ::1 as it comes
 * up). A joined namespace is someone else's and is left as it is.
 */
export function loopbackSteps(ns: Namespaces): ConfigureNetDeviceStep[] {
  if (!ns.created.has('network')) return [];
  return [{ op: 'configureNetDevice', name: 'lo', addresses: [] }];
}

/**
 * What the spec keeps: permanent addresses (IFA_F_PERMANENT) of global scope
 * (RT_SCOPE_UNIVERSE), of any family. Link-local and learned addresses belong to the host's
 * network and are left behind.
 */
export function movingAddresses(addresses: readonly HostAddress[]): NetAddress[] {
  return addresses
    .filter((a) => a.permanent && a.scope === 'global')
    .map(({ family, local, prefixLength, peer, broadcast }) => ({ family, local, prefixLength, peer, broadcast }));
}

/**
 * Name syntax (the kernel's dev_valid_name) is checked with the config (spec/rules.ts). A '%'
 * makes a name template ("eth%d") whose result only the kernel knows, so init could not find
 * the interface to configure: refused.
 */
function checkNotTemplate(name: string, at: string): void {
  if (name.includes('%')) throw new PlanError(at, `${JSON.stringify(name)}: name templates ("eth%d") are not supported by this tsrun`);
}

function entryPath(key: string): string {
  return `linux.netDevices[${JSON.stringify(key)}]`;
}
