/**
 * Run by netns.test.ts, from dist/, inside `unshare --mount --propagation private` (the pins are
 * mounts: they must live and die in a mount namespace of the test's own). Pins, inspects and
 * unpins namespaces under the directory argv[2] and prints what it saw as one JSON line.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { isPinnedNetworkNamespace, pinNetworkNamespace, unpinNetworkNamespace } from '../../../supervisor/network/netns';

const dir = process.argv[2];

function failure(f: () => void): string | null {
  try {
    f();
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

const file = path.join(dir, 'made', 'below', 'ns1');
const ownBefore = fs.readlinkSync('/proc/thread-self/ns/net');
pinNetworkNamespace(file);
const ownUnchanged = fs.readlinkSync('/proc/thread-self/ns/net') === ownBefore && fs.readlinkSync('/proc/self/ns/net') === ownBefore;
const pinned = isPinnedNetworkNamespace(file);
const differsFromHost = fs.statSync(file).ino !== fs.statSync('/proc/self/ns/net').ino;
const links = spawnSync('nsenter', [`--net=${file}`, '--', 'ip', '-o', 'link'], { encoding: 'utf8' });
const addresses = spawnSync('nsenter', [`--net=${file}`, '--', 'ip', '-o', 'addr'], { encoding: 'utf8' });
const pinAgain = failure(() => pinNetworkNamespace(file));
unpinNetworkNamespace(file);
const afterUnpin = { exists: fs.existsSync(file), pinned: isPinnedNetworkNamespace(file) };
const unpinAbsent = failure(() => unpinNetworkNamespace(file));

const halfMade = path.join(dir, 'half-made');
fs.writeFileSync(halfMade, '');
const unpinHalfMade = { error: failure(() => unpinNetworkNamespace(halfMade)), exists: fs.existsSync(halfMade) };

fs.writeFileSync(path.join(dir, 'plain-file'), '');
const parentIsFile = failure(() => pinNetworkNamespace(path.join(dir, 'plain-file', 'sub', 'ns')));
const readOnly = path.join(dir, 'ro');
fs.mkdirSync(readOnly);
spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', readOnly]);
const onReadOnly = failure(() => pinNetworkNamespace(path.join(readOnly, 'ns')));
const parentOnReadOnly = failure(() => pinNetworkNamespace(path.join(readOnly, 'sub', 'ns')));

process.stdout.write(
  JSON.stringify({
    pinned,
    ownUnchanged,
    differsFromHost,
    links: { status: links.status, stdout: links.stdout, stderr: links.stderr },
    addresses: { status: addresses.status, stdout: addresses.stdout, stderr: addresses.stderr },
    pinAgain,
    afterUnpin,
    unpinAbsent,
    unpinHalfMade,
    parentIsFile,
    onReadOnly,
    parentOnReadOnly,
    plainFilePinned: isPinnedNetworkNamespace(path.join(dir, 'plain-file')),
  }) + '\n',
);
