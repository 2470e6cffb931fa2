/**
 * The networks: the CNI configuration lists in --cni-conf-dir. Those tsrund wrote carry a "tsrun"
 * key (ManagedNetworkMeta, which plugins ignore) and live in tsrun-<name>.conflist; any other list
 * there is usable by its name as it is, and never written or removed by tsrund. The first list of
 * a name wins (libcni's order), as it does for every other CNI runtime reading the directory.
 * The default network ("bridge") is written the first time something asks for it.
 */
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { loadConfDir, parseConfList, type ConfList } from './cni/config';
import { managedConfList } from './conflist';
import { bridgeNameFor, checkNetworkName } from './names';
import { checkGateway, checkSubnet, chooseSubnet, cidrsOverlap, defaultGateway, hostIpv4Routes } from './subnets';
import type { ManagedNetworkMeta, NetworkRecord } from './types';
import { invalidArgument, notFound, TsrunError } from '../shared/errors';
import { writeFileAtomic } from '../shared/atomic-file';

export const DEFAULT_NETWORK = 'bridge';
/** Names a network of its own cannot have: the special modes of NetworkOverrides. */
const RESERVED_NAMES = new Set([DEFAULT_NETWORK, 'none', 'host']);
/** The size of the subnets chosen from the pool. */
const POOL_PREFIX = 24;
const MIN_ID_PREFIX = 4;

export interface NetworkStoreOptions {
  confDir: string;
  /** host-local's data directory (leases), handed to the lists tsrund writes. */
  ipamDataDir: string;
  /** The default network's Linux bridge (--bridge). */
  defaultBridge: string;
  /** Where subnets come from when none is given (--network-pool). */
  pool: string;
}

export interface CreateNetworkSpec {
  name: string;
  /** "" : a free /24 of the pool. */
  subnet: string;
  /** "" : the subnet's first host address. */
  gateway: string;
  internal: boolean;
  labels: Record<string, string>;
}

export class NetworkStore {
  /** Configuration errors already logged (a broken foreign file is reported once, not per lookup). */
  private readonly reported = new Set<string>();

  constructor(
    readonly o: NetworkStoreOptions,
    private readonly warn: (message: string) => void,
  ) {}

  /** Every network, sorted by name. */
  list(): NetworkRecord[] {
    const { lists, errors } = loadConfDir(this.o.confDir);
    for (const e of errors) {
      if (this.reported.has(e.message)) continue;
      this.reported.add(e.message);
      this.warn(`networks: ignoring ${e.message}`);
    }
    const byName = new Map<string, NetworkRecord>();
    for (const list of lists) if (!byName.has(list.name)) byName.set(list.name, networkRecord(list));
    return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  find(name: string): NetworkRecord | null {
    return this.list().find((n) => n.name === name) ?? null;
  }

  /** By name, or by a unique prefix of its id; NOT_FOUND otherwise. */
  get(nameOrIdPrefix: string): NetworkRecord {
    const all = this.list();
    const named = all.find((n) => n.name === nameOrIdPrefix);
    if (named) return named;
    if (nameOrIdPrefix.length >= MIN_ID_PREFIX && /^[0-9a-f]+$/.test(nameOrIdPrefix)) {
      const matches = all.filter((n) => n.id.startsWith(nameOrIdPrefix));
      if (matches.length === 1) return matches[0];
      if (matches.length > 1) throw invalidArgument('name', `id prefix ${nameOrIdPrefix} names ${matches.length} networks: give more of it`);
    }
    throw notFound(`network ${nameOrIdPrefix}`);
  }

  /** The default network, written now when it is not there yet. */
  ensureDefault(): NetworkRecord {
    return this.find(DEFAULT_NETWORK) ?? this.write({ name: DEFAULT_NETWORK, subnet: '', gateway: '', internal: false, labels: {} });
  }

  /** Write a managed network's list (synchronously: two creates never pick the same subnet). */
  create(spec: CreateNetworkSpec): NetworkRecord {
    checkNetworkName(spec.name, 'name');
    if (RESERVED_NAMES.has(spec.name)) throw invalidArgument('name', `"${spec.name}" is reserved (the network modes none, host and the default network bridge)`);
    return this.write(spec);
  }

  /** Forget a managed network's list (its bridge, rules and leases are the caller's). */
  remove(network: NetworkRecord): void {
    fs.rmSync(network.configFile, { force: true });
  }

  private write(spec: CreateNetworkSpec): NetworkRecord {
    const existing = this.list();
    if (existing.some((n) => n.name === spec.name)) throw new TsrunError(`network ${spec.name} already exists`, { code: 'already-exists', subject: 'name' });
    const subnet = spec.subnet === '' ? this.freeSubnet(existing) : this.checkedSubnet(spec.subnet, existing);
    const gateway = spec.gateway === '' ? defaultGateway(subnet) : spec.gateway;
    if (spec.gateway !== '') checkGateway(subnet, gateway, 'gateway');
    const id = randomBytes(32).toString('hex');
    const meta: ManagedNetworkMeta = {
      id,
      subnet,
      gateway,
      internal: spec.internal,
      bridge: spec.name === DEFAULT_NETWORK ? this.o.defaultBridge : bridgeNameFor(id),
      labels: { ...spec.labels },
      createdAt: new Date().toISOString(),
    };
    const text = `${JSON.stringify(managedConfList(spec.name, meta, { ipamDataDir: this.o.ipamDataDir }), null, 2)}\n`;
    fs.mkdirSync(this.o.confDir, { recursive: true, mode: 0o755 });
    const file = path.join(this.o.confDir, `tsrun-${spec.name}.conflist`);
    writeFileAtomic(file, text, 0o644);
    return networkRecord(parseConfList(text, file));
  }

  private checkedSubnet(text: string, existing: NetworkRecord[]): string {
    const subnet = checkSubnet(text, 'subnet');
    for (const n of existing) {
      const clash = networkSubnets(n).find((s) => cidrsOverlap(s, subnet));
      if (clash) throw new TsrunError(`subnet ${subnet} overlaps network ${n.name}'s ${clash}`, { code: 'failed-precondition', subject: 'subnet' });
    }
    const route = hostIpv4Routes().find((r) => cidrsOverlap(r, subnet));
    if (route) throw new TsrunError(`subnet ${subnet} overlaps the host's route to ${route}`, { code: 'failed-precondition', subject: 'subnet' });
    return subnet;
  }

  private freeSubnet(existing: NetworkRecord[]): string {
    const taken = [...existing.flatMap(networkSubnets), ...hostIpv4Routes()];
    const subnet = chooseSubnet(this.o.pool, POOL_PREFIX, taken);
    if (subnet === null) throw new TsrunError(`no free /${POOL_PREFIX} left in the network pool ${this.o.pool} (--network-pool)`, { code: 'resource-exhausted', subject: 'subnet' });
    return subnet;
  }
}

function networkRecord(list: ConfList): NetworkRecord {
  const managed = managedMeta(list.raw.tsrun);
  return {
    name: list.name,
    id: managed?.id ?? fileDigest(list),
    driver: list.plugins[0]?.type ?? '',
    configFile: list.file,
    configList: list.raw,
    managed,
  };
}

/** The "tsrun" key, when it has the shape tsrund writes (anything else: a list tsrund did not write). */
function managedMeta(value: unknown): ManagedNetworkMeta | null {
  if (typeof value !== 'object' || value === null) return null;
  const m = value as Partial<ManagedNetworkMeta>;
  const strings = [m.id, m.subnet, m.gateway, m.bridge, m.createdAt].every((s) => typeof s === 'string');
  return strings && typeof m.internal === 'boolean' && /^[0-9a-f]{64}$/.test(m.id!) ? { ...(m as ManagedNetworkMeta), labels: { ...(m.labels ?? {}) } } : null;
}

function fileDigest(list: ConfList): string {
  const bytes = list.file === '' ? JSON.stringify(list.raw) : fs.readFileSync(list.file);
  return createHash('sha256').update(bytes).digest('hex');
}

/** The IPv4 subnets a network's addresses come from: its own, or what its plugins' ipam sections say. */
function networkSubnets(n: NetworkRecord): string[] {
  if (n.managed) return [n.managed.subnet];
  const plugins = Array.isArray(n.configList.plugins) ? (n.configList.plugins as Array<Record<string, unknown>>) : [n.configList];
  const found: string[] = [];
  for (const p of plugins) {
    const ipam = (p?.ipam ?? {}) as { subnet?: unknown; ranges?: unknown };
    if (typeof ipam.subnet === 'string') found.push(ipam.subnet);
    if (Array.isArray(ipam.ranges)) {
      for (const set of ipam.ranges) if (Array.isArray(set)) for (const r of set) if (typeof r?.subnet === 'string') found.push(r.subnet);
    }
  }
  return found.filter((s) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(s));
}

/** The host-local data directory a list keeps its leases in ("" when it has none). */
export function ipamDataDir(n: NetworkRecord): string {
  const plugins = Array.isArray(n.configList.plugins) ? (n.configList.plugins as Array<Record<string, unknown>>) : [];
  for (const p of plugins) {
    const ipam = p?.ipam as { type?: unknown; dataDir?: unknown } | undefined;
    if (ipam?.type === 'host-local' && typeof ipam.dataDir === 'string') return ipam.dataDir;
  }
  return '';
}
