/**
 * The network side of test daemons. Each claims a /22 of the tests' range 10.234.0.0/16 that no
 * other live test daemon on the machine holds (a file per slot, made exclusively, naming the
 * claiming process; a dead claimer's slot is taken over), so that daemons of parallel test files
 * never pick the same subnet. The first claim records net.ipv4.ip_forward (the bridge plugin turns
 * it on) and the last release puts it back. removeNetworks takes down what a daemon's managed
 * networks left on the host once it stopped: firewall rules, bridges, leases, and the plugins'
 * shared chains once empty.
 */
import * as fs from 'fs';
import * as path from 'path';
import { NetworkFirewall } from '../../supervisor/network/firewall';
import { removeManagedNetworkParts } from '../../supervisor/network/manager';
import { NetworkStore } from '../../supervisor/network/store';

const SLOTS_DIR = '/tmp/tsrun-test-network-slots';
const SLOTS = 64;
const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';
const SAVED_IP_FORWARD = path.join(SLOTS_DIR, 'ip_forward');

export interface NetworkSlot {
  /** e.g. "10.234.8.0/22". */
  pool: string;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The slots held by live processes (a dead one's file is removed). */
function liveSlots(): number[] {
  return fs
    .readdirSync(SLOTS_DIR)
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      const owner = Number(fs.readFileSync(path.join(SLOTS_DIR, n), 'utf8'));
      if (alive(owner)) return true;
      fs.rmSync(path.join(SLOTS_DIR, n), { force: true });
      return false;
    })
    .map(Number);
}

export function claimNetworkSlot(): NetworkSlot {
  fs.mkdirSync(SLOTS_DIR, { recursive: true });
  const taken = new Set(liveSlots());
  if (taken.size === 0 && !fs.existsSync(SAVED_IP_FORWARD)) fs.writeFileSync(SAVED_IP_FORWARD, fs.readFileSync(IP_FORWARD, 'utf8'));
  for (let slot = 0; slot < SLOTS; slot++) {
    if (taken.has(slot)) continue;
    const file = path.join(SLOTS_DIR, String(slot));
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    return {
      pool: `10.234.${slot * 4}.0/22`,
      release() {
        fs.rmSync(file, { force: true });
        if (liveSlots().length > 0 || !fs.existsSync(SAVED_IP_FORWARD)) return;
        fs.writeFileSync(IP_FORWARD, fs.readFileSync(SAVED_IP_FORWARD, 'utf8'));
        fs.rmSync(SAVED_IP_FORWARD, { force: true });
      },
    };
  }
  throw new Error(`all ${SLOTS} test network slots of 10.234.0.0/16 are taken`);
}

/** What the managed networks in `confDir` left on the host (the daemon is stopped). */
export function removeNetworks(confDir: string): void {
  const store = new NetworkStore({ confDir, ipamDataDir: '', defaultBridge: '', pool: '' }, () => undefined);
  const firewall = new NetworkFirewall();
  const managed = store.list().filter((n) => n.managed);
  for (const n of managed) removeManagedNetworkParts(firewall, n);
  if (managed.length > 0) firewall.removeUnusedCniChains();
}
