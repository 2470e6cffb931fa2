/**
 * What the end-to-end network tests share: one real tsrund (TestDaemon: networks of its own, in a
 * held mount namespace) with the busybox image imported, containers from it with network
 * overrides, requests from the host, and what a test may leave: nothing (no attachment record,
 * pinned namespace, etc files, veth or CNI cache entry).
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import type { Mount, NetworkOverrides } from '../../../supervisor/api/types';
import { buildBusyboxArchive } from '../../helpers/oci-image';
import { TestDaemon } from '../daemon';

export const IMAGE = 'localhost/tsrun-test/net-busybox:1';

/** An httpd serving "hello from <hostname>" on port 80 (and its address at /cgi-bin/addr). */
export const WEB_SERVER = 'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www';

export interface NetFixture {
  readonly daemon: TestDaemon;
  /** Create container `id` from the image running `sh -c script`, create and start its task: the init's pid. */
  run(id: string, script: string, network?: Partial<NetworkOverrides> | null, mounts?: Mount[]): Promise<number>;
  /** Run to its exit: its status and output; the container is removed. */
  runToEnd(id: string, script: string, network?: Partial<NetworkOverrides> | null): Promise<{ status: number; out: string }>;
  remove(id: string): Promise<void>;
  /** The container's address on its first network (no prefix). */
  address(id: string): Promise<string>;
  /** What tsrund keeps for task networks: [] when nothing is left. */
  leftovers(): string[];
}

export function networkOverrides(o: Partial<NetworkOverrides>): NetworkOverrides {
  return { networks: [], ports: [], publishAll: false, hostname: '', addHosts: [], dns: [], dnsSearch: [], dnsOptions: [], ...o };
}

export function useNetworkDaemon(extraArgs: string[] = []): NetFixture {
  const daemon = new TestDaemon();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-net-e2e-'));
  const c = () => daemon.client;
  beforeAll(async () => {
    await daemon.start(extraArgs);
    await c().importImages(buildBusyboxArchive(work, IMAGE).file);
  });
  // A failed test's containers would fail every later test's leftovers check: remove them here.
  // (Not its networks: listing them makes the default network, which some tests check is absent.)
  const running = new Set<string>();
  afterEach(async () => {
    for (const id of [...running]) await fixture.remove(id).catch(() => running.delete(id));
  });
  afterAll(async () => {
    await daemon.cleanup();
    fs.rmSync(work, { recursive: true, force: true });
  });
  const create = (id: string, script: string, network: Partial<NetworkOverrides> | null, mounts: Mount[]) =>
    c().createContainer({ id, image: IMAGE, overrides: { args: ['sh', '-c', script], mounts, ...(network ? { network: networkOverrides(network) } : {}) } });
  const fixture: NetFixture = {
    daemon,
    async run(id, script, network = null, mounts = []) {
      await create(id, script, network, mounts);
      running.add(id);
      await c().createTask(id);
      return c().startTask(id);
    },
    async runToEnd(id, script, network) {
      await fixture.run(id, script, network);
      const exit = await c().wait(id);
      const out: string[] = [];
      for await (const e of c().logs(id)) out.push(e.text + (e.partial ? '' : '\n'));
      await fixture.remove(id);
      return { status: exit.exitStatus, out: out.join('') };
    },
    async remove(id) {
      await c()
        .deleteTask(id, { force: true })
        .catch(() => undefined);
      await c().deleteContainer(id);
      running.delete(id);
    },
    async address(id) {
      const status = (await c().getContainer(id)).networkStatus;
      return status!.endpoints[0].ipv4Address.split('/')[0];
    },
    leftovers() {
      const dirs = ['networks', 'netns', 'netns-etc'].map((d) => path.join(daemon.state, d));
      const cache = path.join(daemon.root, 'cni', 'cache');
      return [...dirs, cache].flatMap((d) => (fs.existsSync(d) ? listTree(d).map((f) => path.join(d, f)) : []));
    },
  };
  return fixture;
}

function listTree(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => !fs.statSync(path.join(dir, f)).isDirectory());
}

/** GET http://host:port/path from the host: the body, or null when it cannot connect (or times out). */
export function httpGet(host: string, port: number, urlPath = '/', timeoutMs = 3000): Promise<string | null> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: urlPath, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
  });
}

/** Poll until `get` answers (a server that is starting). */
export async function answered(get: () => Promise<string | null>, ms = 10_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const body = await get();
    if (body !== null) return body;
    if (Date.now() > deadline) throw new Error('no answer in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The host's network links (names). */
export function hostLinks(): string[] {
  return execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(': ')[1].split('@')[0]);
}

/** A non-loopback IPv4 address of the host (to reach a published port on "the host's own addresses"). */
export function hostAddress(): string {
  for (const list of Object.values(os.networkInterfaces())) {
    const a = list?.find((i) => i.family === 'IPv4' && !i.internal && !i.address.startsWith('10.234.') && !i.address.startsWith('198.18.'));
    if (a) return a.address;
  }
  throw new Error('the host has no non-loopback IPv4 address');
}

/** iptables-save's lines (what the firewall and portmap added shows up here). */
export function iptablesRules(): string[] {
  const r = spawnSync('iptables-save', [], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.startsWith('-A') || l.startsWith(':'));
}
