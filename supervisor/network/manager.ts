/**
 * tsrund's networks and the network of every task. A task gets a network namespace pinned at
 * <state>/netns/<id> (its loopback up: ./netns.ts), CNI ADD of each of its networks
 * (eth0, eth1, …; the published ports on the first), the firewall of tsrund's own networks, the
 * embedded DNS server on each user-defined network tsrund manages, and its hosts, hostname and
 * resolv.conf files (<state>/netns-etc/<id>/). The attachment is recorded (./attachment-store.ts)
 * before each step makes something, so that a failure — or a restarted tsrund — undoes exactly
 * what was made; teardown is that undo. The modes without a namespace of their own (host, and
 * container:ID, which shares another task's) make no CNI attachment.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import type { Spec } from '../../spec/types';
import type { NetworkOverrides, ProcessOverrides } from '../api/types';
import { makePrivateDir } from '../shared/atomic-file';
import { KeyedLock } from '../shared/keyed-lock';
import type { Logger } from '../shared/logger';
import { failedPrecondition, invalidArgument, notFound, TsrunError } from '../shared/errors';
import { CniConfigError, parseConfList, type ConfList } from './cni/config';
import { CniPluginError, CniRuntime, type CniResult, type RuntimeConf } from './cni/runtime';
import { EmbeddedDns } from './dns/server';
import { checkHostName, hostnameFile, hostsFile, resolvConf, writeEtcFiles } from './etc-files';
import { NetworkFirewall } from './firewall';
import { isPinnedNetworkNamespace, pinNetworkNamespace, unpinNetworkNamespace } from './netns';
import { exposedPortMappings, PortAllocator } from './ports';
import { parseNetworkOverrides, taskNetworkRequest, type TaskNetworkRequest } from './request';
import { DEFAULT_NETWORK, ipamDataDir, NetworkStore, type CreateNetworkSpec } from './store';
import { taskSpecWithNetwork } from './task-spec';
import { AttachmentStore } from './attachment-store';
import type { Attachment, Endpoint, NetworkRecord, PortMapping } from './types';

/** What the daemon's flags say about networks. */
export interface NetworkOptions {
  /** Where plugins are looked for, in order (--cni-bin-dir). */
  cniBinDirs: string[];
  /** The configuration lists (--cni-conf-dir). */
  cniConfDir: string;
  /** The default network's bridge (--bridge). */
  bridge: string;
  /** Subnets of networks created without one (--network-pool). */
  pool: string;
  /** Where the embedded DNS server forwards names it does not know (--dns-upstream; none: nowhere). */
  dnsUpstreams: string[];
}

export const DEFAULT_NETWORK_OPTIONS: NetworkOptions = {
  cniBinDirs: ['/opt/cni/bin', '/usr/lib/cni'],
  cniConfDir: '/etc/cni/net.d',
  bridge: 'tsrun0',
  pool: '10.210.0.0/16',
  dnsUpstreams: [],
};

export interface NetworkEndpointInfo extends Endpoint {
  containerId: string;
}

export interface NetworkInfo extends NetworkRecord {
  endpoints: NetworkEndpointInfo[];
}

/** What the manager needs to know of the tasks. */
export interface TaskPresence {
  exists(id: string): boolean;
  running(id: string): boolean;
}

/** The container record fields a task's network comes from. */
export interface NetworkedContainer {
  id: string;
  image: string;
  spec: Spec;
  overrides: ProcessOverrides | null;
}

const EXPOSED_PORTS_ANNOTATION = 'org.opencontainers.image.exposedPorts';
const HOSTNAME_FROM_ID = 12;

export class NetworkManager {
  readonly store: NetworkStore;
  private readonly cni: CniRuntime;
  private readonly firewall = new NetworkFirewall();
  private readonly ports = new PortAllocator();
  private readonly dns: EmbeddedDns;
  private readonly records: AttachmentStore;
  private readonly attachments = new Map<string, Attachment>();
  private readonly stateDir: string;
  private readonly dnsLock = new KeyedLock();

  constructor(
    o: NetworkOptions,
    paths: { root: string; state: string },
    private readonly log: Logger,
    private readonly tasks: TaskPresence,
  ) {
    const cniDir = path.join(paths.root, 'cni');
    this.store = new NetworkStore({ confDir: o.cniConfDir, ipamDataDir: path.join(cniDir, 'networks'), defaultBridge: o.bridge, pool: o.pool }, (m) => log.warn(m));
    this.cni = new CniRuntime({ binDirs: o.cniBinDirs, cacheDir: path.join(cniDir, 'cache') });
    this.dns = new EmbeddedDns({ upstreams: o.dnsUpstreams, log });
    this.records = new AttachmentStore(path.join(paths.state, 'networks'));
    this.stateDir = paths.state;
  }

  create(req: CreateNetworkSpec): NetworkInfo {
    return { ...this.store.create(req), endpoints: [] };
  }

  get(nameOrIdPrefix: string): NetworkInfo {
    const network = nameOrIdPrefix === DEFAULT_NETWORK ? this.store.ensureDefault() : this.store.get(nameOrIdPrefix);
    return { ...network, endpoints: this.endpointsOn(network.name) };
  }

  /** Every network (the default one too, written now if need be), endpoints left empty. */
  list(): NetworkInfo[] {
    this.store.ensureDefault();
    return this.store.list().map((n) => ({ ...n, endpoints: [] }));
  }

  /** A managed network with nobody attached: its DNS server, firewall rules, bridge, leases and list go. */
  async remove(name: string): Promise<void> {
    const network = this.store.get(name);
    if (!network.managed) throw failedPrecondition(`network ${network.name} was not written by tsrund: remove ${network.configFile} to remove it`);
    const users = this.endpointsOn(network.name).map((e) => e.containerId);
    if (users.length > 0) throw failedPrecondition(`network ${network.name} is in use by container${users.length > 1 ? 's' : ''} ${users.join(', ')}`);
    await this.dns.stop(network.name);
    removeManagedNetworkParts(this.firewall, network);
    this.store.remove(network);
    this.firewall.removeUnusedCniChains();
  }

  /** Attach a running task to one more network. */
  async connect(containerId: string, name: string, aliases: string[]): Promise<Endpoint> {
    aliases.forEach((a, i) => checkHostName(a, `aliases[${i}]`));
    const att = this.runningAttachment(containerId);
    if (att.mode === 'host' || att.mode === 'container') {
      throw failedPrecondition(`container ${containerId} runs in ${att.mode === 'host' ? "the host's" : `container ${att.peer}'s`} network namespace: it cannot join a network of its own`);
    }
    const network = this.networkNamed(name);
    if (att.endpoints.some((e) => e.network === network.name)) throw failedPrecondition(`container ${containerId} is attached to network ${network.name} already`);
    att.mode = 'networks';
    const ifName = `eth${Math.max(-1, ...att.endpoints.map((e) => Number(e.ifName.replace(/^eth/, '')) || 0)) + 1}`;
    const endpoint = await this.addEndpoint(att, network, ifName, aliases).catch((err: unknown) => {
      att.endpoints = att.endpoints.filter((e) => e.ifName !== ifName);
      this.records.save(att);
      throw setUpError(containerId, err);
    });
    await this.refreshDns([network.name]);
    return endpoint;
  }

  async disconnect(containerId: string, name: string): Promise<void> {
    const att = this.attachments.get(containerId);
    const network = this.store.find(name);
    const endpoint = att?.endpoints.find((e) => e.network === (network?.name ?? name));
    if (!att || !endpoint) throw notFound(`container ${containerId} on network ${name}`);
    this.runningAttachment(containerId);
    if (network) {
      try {
        await this.cni.del(confListOf(network), this.runtimeConf(att, endpoint));
      } catch (err) {
        throw setUpError(containerId, err);
      }
    }
    att.endpoints = att.endpoints.filter((e) => e !== endpoint);
    this.records.save(att);
    await this.refreshDns([endpoint.network]);
  }

  attachment(containerId: string): Attachment | null {
    return this.attachments.get(containerId) ?? null;
  }

  /**
   * Containers.Create's check of overrides.network: well-formed, every network there (or the
   * default one, written on first use), the container of container:ID known.
   */
  checkOverrides(o: NetworkOverrides, field: string, containerExists: (id: string) => boolean): void {
    const req = parseNetworkOverrides(o, field);
    req.networks.forEach((n, i) => {
      if (n.name !== DEFAULT_NETWORK && !this.store.find(n.name)) throw invalidArgument(`${field}.networks[${i}].network`, `network ${n.name} not found`);
    });
    if (req.mode === 'container' && !containerExists(req.peer)) throw invalidArgument(`${field}.networks[0].network`, `container ${req.peer} not found`);
  }

  /**
   * Set up the network of container `c`'s task, before its init is spawned; returns the config
   * the task runs (the record's, with the network namespace, hostname and etc files applied).
   * A failure undoes everything it made and fails with the plugin's (one-line) message.
   */
  async setUp(c: NetworkedContainer): Promise<Spec> {
    const req = taskNetworkRequest(c);
    if (!req) return c.spec;
    const att = req.mode === 'container' ? this.sharedAttachment(c.id, req.peer) : this.ownAttachment(c.id, req);
    this.track(att);
    if (att.mode === 'container') return taskSpecWithNetwork(c.spec, att);
    try {
      // Owner-only parents: what plugins and etc-files make inside (leases, the 0644 files a container's users read) is nobody else's to reach.
      for (const dir of [path.dirname(att.netnsPath || path.join(this.stateDir, 'netns', c.id)), path.dirname(att.etcDir), this.store.o.ipamDataDir]) makePrivateDir(dir);
      if (att.netnsPath !== '') pinNetworkNamespace(att.netnsPath);
      if (req.mode === 'networks') {
        att.ports = await this.ports.reserve(c.id, requestedPorts(req, c.spec));
        this.records.save(att);
        for (const [i, n] of req.networks.entries()) await this.addEndpoint(att, this.networkNamed(n.name), `eth${i}`, n.aliases);
      }
      this.writeEtcFiles(att, req);
      await this.refreshDns(att.endpoints.map((e) => e.network));
    } catch (err) {
      await this.release(att);
      throw setUpError(c.id, err);
    }
    return taskSpecWithNetwork(c.spec, att);
  }

  /** Undo what setUp made for `containerId` (its task was deleted, or never made); nothing to do without one. */
  async tearDown(containerId: string): Promise<void> {
    const att = this.attachments.get(containerId);
    if (att) await this.release(att);
  }

  /**
   * After tsrund (re)started, once the tasks are recovered: the attachments back, their ports
   * reserved again and their names served; those whose task is gone are torn down.
   */
  async recover(): Promise<void> {
    for (const att of this.records.load((m) => this.log.warn(m))) {
      this.attachments.set(att.containerId, att);
      if (!this.tasks.exists(att.containerId)) {
        this.log.warn(`container ${att.containerId}: its task is gone; tearing down its network`);
        await this.release(att);
        continue;
      }
      if (att.mode !== 'container' && att.netnsPath !== '' && !isPinnedNetworkNamespace(att.netnsPath)) {
        this.log.warn(`container ${att.containerId}: its network namespace ${att.netnsPath} is not pinned any more (was tsrund restarted in another mount namespace?)`);
      }
      this.ports.restore(att.containerId, att.ports);
    }
    await this.refreshDns([...this.attachments.values()].flatMap((a) => a.endpoints.map((e) => e.network))).catch((err: Error) =>
      this.log.warn(`networks: the embedded DNS server could not serve again: ${err.message}`),
    );
  }

  /** Stop serving names (tsrund stopping; the tasks and their networks stay). */
  close(): Promise<void> {
    return this.dns.close();
  }

  private ownAttachment(id: string, req: TaskNetworkRequest): Attachment {
    const host = req.mode === 'host';
    return {
      containerId: id,
      mode: req.mode,
      netnsPath: host ? '' : path.join(this.stateDir, 'netns', id),
      peer: '',
      endpoints: [],
      ports: [],
      hostname: host ? os.hostname() : req.hostname || hostnameOf(id),
      etcDir: path.join(this.stateDir, 'netns-etc', id),
    };
  }

  /** container:ID: the other task's namespace and etc files, nothing of its own to make or undo. */
  private sharedAttachment(id: string, peerId: string): Attachment {
    const peer = this.attachments.get(peerId);
    if (!peer || !this.tasks.running(peerId)) throw failedPrecondition(`container ${peerId} has no running task whose network to join`);
    return { containerId: id, mode: 'container', netnsPath: peer.netnsPath, peer: peer.mode === 'container' ? peer.peer : peerId, endpoints: [], ports: [], hostname: peer.hostname, etcDir: peer.etcDir };
  }

  private track(att: Attachment): void {
    this.attachments.set(att.containerId, att);
    this.records.save(att);
  }

  private runningAttachment(containerId: string): Attachment {
    const att = this.attachments.get(containerId);
    if (!att || !this.tasks.running(containerId)) throw failedPrecondition(`container ${containerId} has no running task with a network of tsrund's`);
    return att;
  }

  /** A network by name; the default one is written on first use. */
  private networkNamed(name: string): NetworkRecord {
    return name === DEFAULT_NETWORK ? this.store.ensureDefault() : this.store.get(name);
  }

  /** CNI ADD of `network` on the task's namespace; the endpoint is recorded before it, so a failure is undone with the rest. */
  private async addEndpoint(att: Attachment, network: NetworkRecord, ifName: string, aliases: string[]): Promise<Endpoint> {
    const endpoint: Endpoint = { network: network.name, ifName, ipv4: '', mac: '', aliases: [...aliases] };
    att.endpoints.push(endpoint);
    this.records.save(att);
    if (network.managed) this.firewall.ensure({ bridge: network.managed.bridge, subnet: network.managed.subnet, internal: network.managed.internal });
    const result = await this.cni.add(confListOf(network), this.runtimeConf(att, endpoint));
    Object.assign(endpoint, endpointAddress(result, ifName));
    this.records.save(att);
    return endpoint;
  }

  private runtimeConf(att: Attachment, endpoint: Endpoint): RuntimeConf {
    const published = att.endpoints[0] === endpoint && att.ports.length > 0;
    return {
      containerId: att.containerId,
      netns: att.netnsPath,
      ifName: endpoint.ifName,
      ...(published ? { capabilityArgs: { portMappings: att.ports.map(cniPortMapping) } } : {}),
    };
  }

  /** The undo of setUp: CNI DEL in reverse order, ports, namespace, files, record. Failures are logged: the rest still goes. */
  private async release(att: Attachment): Promise<void> {
    const id = att.containerId;
    const warn = (what: string) => (err: Error) => this.log.warn(`container ${id}: ${what}: ${err.message}`);
    if (att.mode !== 'container') {
      for (const endpoint of [...att.endpoints].reverse()) {
        const network = this.store.find(endpoint.network);
        if (!network) {
          this.log.warn(`container ${id}: network ${endpoint.network} is gone; its ${endpoint.ifName} goes with the namespace`);
          continue;
        }
        await this.cni.del(confListOf(network), this.runtimeConf(att, endpoint)).catch(warn(`CNI DEL on network ${network.name}`));
      }
      this.ports.release(id);
      try {
        if (att.netnsPath !== '') unpinNetworkNamespace(att.netnsPath);
        fs.rmSync(att.etcDir, { recursive: true, force: true });
      } catch (err) {
        warn('removing its network namespace and files')(err as Error);
      }
    }
    this.attachments.delete(id);
    this.records.remove(id);
    await this.refreshDns(att.endpoints.map((e) => e.network)).catch(warn('updating the embedded DNS'));
  }

  private writeEtcFiles(att: Attachment, req: TaskNetworkRequest): void {
    const hostResolvConf = readHostFile('/etc/resolv.conf');
    const ownResolver = req.dns.length + req.dnsSearch.length + req.dnsOptions.length > 0;
    const resolver = { host: hostResolvConf, nameservers: req.dns, search: req.dnsSearch, options: req.dnsOptions };
    if (att.mode === 'host') {
      // The host's own files (copies: the container must not write the host's).
      const extra = req.extraHosts.map((h) => `${h.address}\t${h.name}\n`).join('');
      writeEtcFiles(att.etcDir, {
        hosts: readHostFile('/etc/hosts') + extra,
        hostname: hostnameFile(att.hostname),
        resolvConf: ownResolver ? resolvConf({ ...resolver, embeddedDns: null }) : hostResolvConf,
      });
      return;
    }
    const dnsNetwork = att.endpoints.map((e) => this.store.find(e.network)).find((n) => n?.managed && n.name !== DEFAULT_NETWORK);
    writeEtcFiles(att.etcDir, {
      hosts: hostsFile({ hostname: att.hostname, addresses: att.endpoints.map((e) => addressOf(e.ipv4)).filter((a) => a !== ''), extraHosts: req.extraHosts }),
      hostname: hostnameFile(att.hostname),
      resolvConf: resolvConf({ ...resolver, embeddedDns: dnsNetwork?.managed?.gateway ?? null }),
    });
  }

  /**
   * The embedded DNS server on each of these networks: serving the names of its containers on its
   * gateway while it has any, for user-defined networks tsrund manages (not the default one, as
   * with Docker).
   */
  private async refreshDns(names: string[]): Promise<void> {
    // One network's refreshes one after another: set-ups running together must not both start its server.
    for (const name of new Set(names)) await this.dnsLock.run(name, () => this.refreshNetworkDns(name));
  }

  private async refreshNetworkDns(name: string): Promise<void> {
    const network = this.store.find(name);
    const endpoints = this.endpointsOn(name).filter((e) => e.ipv4 !== '');
    if (!network?.managed || name === DEFAULT_NETWORK || endpoints.length === 0) return this.dns.stop(name);
    // Only its containers ask it; an internal network's names do not lead out either.
    await this.dns.serve(name, network.managed.gateway, { clients: network.managed.subnet, forward: !network.managed.internal });
    this.dns.setRecords(
      name,
      endpoints.map((e) => ({ names: [...new Set([e.containerId, this.attachments.get(e.containerId)!.hostname, ...e.aliases])].filter(dnsName), ipv4: addressOf(e.ipv4) })),
    );
  }

  private endpointsOn(network: string): NetworkEndpointInfo[] {
    return [...this.attachments.values()]
      .flatMap((a) => a.endpoints.filter((e) => e.network === network).map((e) => ({ ...e, containerId: a.containerId })))
      .sort((a, b) => a.containerId.localeCompare(b.containerId));
  }
}

/** The ports asked for, and with publish_all those of the image's ExposedPorts not asked for already. */
function requestedPorts(req: TaskNetworkRequest, spec: Spec): PortMapping[] {
  if (!req.publishAll) return req.ports;
  const keys = (spec.annotations?.[EXPOSED_PORTS_ANNOTATION] ?? '').split(',').filter((k) => k !== '');
  const exposed = exposedPortMappings(Object.fromEntries(keys.map((k) => [k, {}])));
  return [...req.ports, ...exposed.filter((e) => !req.ports.some((p) => p.containerPort === e.containerPort && p.protocol === e.protocol))];
}

function cniPortMapping(p: PortMapping): Record<string, unknown> {
  return { hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol, ...(p.hostIp !== '' ? { hostIP: p.hostIp } : {}) };
}

function confListOf(network: NetworkRecord): ConfList {
  return parseConfList(JSON.stringify(network.configList), network.configFile);
}

/** The IPv4 address and MAC CNI gave the interface `ifName` inside the container. */
function endpointAddress(result: CniResult, ifName: string): Pick<Endpoint, 'ipv4' | 'mac'> {
  const index = result.interfaces.findIndex((i) => i.name === ifName && i.sandbox);
  const ipv4 = result.ips.filter((ip) => ip.address.includes('.'));
  const ip = ipv4.find((i) => i.interface === index) ?? ipv4[0];
  return { ipv4: ip?.address ?? '', mac: result.interfaces[index]?.mac ?? '' };
}

const addressOf = (cidr: string) => cidr.split('/')[0];

/** A container's default hostname: its id's first 12 characters, made a host name ("+" and "." become "-", none at the ends). */
export function hostnameOf(id: string): string {
  return id.slice(0, HOSTNAME_FROM_ID).replace(/[^A-Za-z0-9_-]/g, '-').replace(/^-+|-+$/g, '') || 'container';
}

/** The names a DNS server can answer (labels of 1 to 63 characters). */
const dnsName = (name: string) => /^[^.]{1,63}(\.[^.]{1,63})*$/.test(name);

function readHostFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * What a managed network has on the host besides its list: its firewall rules, its bridge (made
 * by the bridge plugin on first use; absent: nothing to do) and its address leases.
 */
export function removeManagedNetworkParts(firewall: NetworkFirewall, network: NetworkRecord): void {
  if (!network.managed) return;
  firewall.remove(network.managed.bridge);
  const r = spawnSync('ip', ['link', 'del', network.managed.bridge], { encoding: 'utf8' });
  if (r.status !== 0 && !/Cannot find device/.test(r.stderr)) throw failedPrecondition(`removing bridge ${network.managed.bridge}: ${r.stderr.trim() || r.error?.message}`);
  const leases = ipamDataDir(network);
  if (leases !== '') fs.rmSync(path.join(leases, network.name), { recursive: true, force: true });
}

/** A set-up failure as the client sees it: one line, the plugin's message. */
function setUpError(id: string, err: unknown): TsrunError {
  if (err instanceof TsrunError) return err;
  const line = (err as Error).message.replace(/\s*\n\s*/g, ' ');
  if (err instanceof CniPluginError || err instanceof CniConfigError) return failedPrecondition(line);
  return failedPrecondition(`network of container ${id}: ${line}`);
}
