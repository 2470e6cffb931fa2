/**
 * The daemon's exclusivity and its socket: one tsrund per --state (an flock on <state>/tsrund.lock)
 * and per --address (a live socket there means another tsrund serves it; a dead one is stale and
 * removed).
 */
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { TsrunError } from '../../common/errors';
import { flock } from '../../runtime/native';


/** Hold the state directory's lock for the daemon's life; the fd closes with the process. */
export function lockStateDir(stateDir: string): number {
  const file = path.join(stateDir, 'tsrund.lock');
  const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
  if (!flock(fd, 'exclusive', false)) {
    fs.closeSync(fd);
    throw new TsrunError(`another tsrund is running with --state ${stateDir} (${file} is locked)`, { code: 'already-exists' });
  }
  return fd;
}

/** Make `address` free to bind: refuse a live socket or a file that is not a socket, remove a stale socket. */
export async function claimSocketPath(address: string): Promise<void> {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(address);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!stat.isSocket()) throw new TsrunError(`${address} exists and is not a socket: refusing to replace it`, { code: 'already-exists' });
  if (await answers(address)) throw new TsrunError(`another tsrund is serving ${address}`, { code: 'already-exists' });
  fs.unlinkSync(address);
}

function answers(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(address);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}
