/**
 * Network namespaces pinned on files (supervisor/network/netns.ts and the addon's netnsPin),
 * exercised by ./netns-pin-child.ts from dist/ in a private mount namespace: the pins never
 * touch the machine's mount namespace, and go with that namespace when the child exits.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { repoRoot } from '../../helpers/tsrun';

const CHILD = path.join(repoRoot(), 'dist', 'test', 'supervisor', 'network', 'netns-pin-child.js');

interface ChildReport {
  pinned: boolean;
  ownUnchanged: boolean;
  differsFromHost: boolean;
  links: { status: number | null; stdout: string; stderr: string };
  addresses: { status: number | null; stdout: string; stderr: string };
  pinAgain: string | null;
  afterUnpin: { exists: boolean; pinned: boolean };
  unpinAbsent: string | null;
  unpinHalfMade: { error: string | null; exists: boolean };
  parentIsFile: string | null;
  onReadOnly: string | null;
  parentOnReadOnly: string | null;
  plainFilePinned: boolean;
}

let dir: string;
let report: ChildReport;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-netns-'));
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', '--', process.execPath, CHILD, dir], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`netns-pin-child (build dist first): status ${r.status}: ${r.stderr}`);
  report = JSON.parse(r.stdout) as ChildReport;
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a pinned file is a network namespace other than the host’s, which nsenter joins (loopback only)', () => {
  expect(report.pinned).toBe(true);
  expect(report.ownUnchanged).toBe(true);
  expect(report.differsFromHost).toBe(true);
  expect(report.links.status).toBe(0);
  expect(report.links.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^1: lo: /)]);
  expect(report.plainFilePinned).toBe(false);
});

test('its loopback is up, with the addresses the kernel gives it (nothing in the container could reach 127.0.0.1 otherwise)', () => {
  expect(report.links.stdout).toMatch(/^1: lo: <LOOPBACK,UP,LOWER_UP>/);
  expect(report.addresses.status).toBe(0);
  const addresses = [...report.addresses.stdout.matchAll(/^\d+: lo\s+inet6? (\S+)/gm)].map((m) => m[1]);
  expect(addresses).toEqual(fs.existsSync('/proc/net/if_inet6') ? ['127.0.0.1/8', '::1/128'] : ['127.0.0.1/8']);
});

test('pinning over an existing file is refused in one line', () => {
  expect(report.pinAgain).toBe(`cannot pin a network namespace on ${path.join(dir, 'made', 'below', 'ns1')}: open: already exists`);
});

test('unpin removes the mount and the file; unpinning what is gone, or a file with no mount, is no error', () => {
  expect(report.afterUnpin).toEqual({ exists: false, pinned: false });
  expect(report.unpinAbsent).toBeNull();
  expect(report.unpinHalfMade).toEqual({ error: null, exists: false });
});

test('a parent that cannot be made, and a read-only place: one clear line each, naming the call', () => {
  expect(report.parentIsFile).toBe(
    `cannot pin a network namespace on ${dir}/plain-file/sub/ns: mkdir ${dir}/plain-file/sub: a component of the path is not a directory`,
  );
  expect(report.onReadOnly).toBe(`cannot pin a network namespace on ${dir}/ro/ns: open: read-only file system`);
  expect(report.parentOnReadOnly).toBe(`cannot pin a network namespace on ${dir}/ro/sub/ns: mkdir ${dir}/ro/sub: read-only file system`);
});

test('nothing is left in the test’s own mount namespace', () => {
  expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(dir);
  expect(fs.existsSync(path.join(dir, 'made', 'below', 'ns1'))).toBe(false);
});
