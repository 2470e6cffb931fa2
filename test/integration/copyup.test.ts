/**
 * tmpcopyup: a tmpfs mounted over a directory of the rootfs starts with a copy of that directory's
 * tree (what podman asks for with --tmpfs and --read-only), observed from inside the container.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { Bundle } from '../helpers/bundle';
import { containerFixtures } from '../helpers/fixtures';
import { uniqueId } from '../helpers/tsrun';

const fx = containerFixtures();

const MTIME = 1_600_000_000;

/** A tree with every kind of entry, owners, set-id and odd modes, fixed mtimes. */
function buildTree(dir: string): void {
  fs.mkdirSync(path.join(dir, 'sub/deeper'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'file'), 'hello\n');
  fs.writeFileSync(path.join(dir, 'sub/deeper/big'), Buffer.alloc(300_000, 'x'));
  fs.writeFileSync(path.join(dir, 'setuid'), '#!/bin/sh\n');
  fs.linkSync(path.join(dir, 'file'), path.join(dir, 'hardlink'));
  fs.symlinkSync('sub/deeper', path.join(dir, 'link'));
  execFileSync('mkfifo', [path.join(dir, 'fifo')]);
  execFileSync('mknod', [path.join(dir, 'null'), 'c', '1', '3']);
  const owners: Array<[string, number, number, number]> = [
    ['file', 1000, 1001, 0o640],
    ['setuid', 1000, 1000, 0o4755],
    ['sub', 2, 3, 0o750],
    ['sub/deeper', 0, 0, 0o555],
    ['fifo', 7, 8, 0o620],
    ['null', 0, 0, 0o666],
    ['', 5, 6, 0o710],
  ];
  for (const [name, uid, gid, mode] of owners) {
    fs.chownSync(path.join(dir, name), uid, gid);
    fs.chmodSync(path.join(dir, name), mode);
  }
  fs.lchownSync(path.join(dir, 'link'), 4, 4);
  for (const name of ['file', 'setuid', 'fifo', 'null', 'sub/deeper/big', 'sub/deeper', 'sub', '']) {
    fs.utimesSync(path.join(dir, name), MTIME, MTIME);
  }
  fs.lutimesSync(path.join(dir, 'link'), MTIME, MTIME);
}

function runIn(b: Bundle) {
  return fx.tsrun.cmd(['run', '-b', b.dir, fx.tsrun.track(uniqueId('copyup'))]);
}

const tmpfsAt = (destination: string, options: string[]) => ({ destination, type: 'tmpfs', source: 'tmpfs', options });

test('the tmpfs holds a copy of the tree with owners, modes, mtimes, links, fifos and devices; writes stay in the tmpfs', () => {
  const script = [
    'grep -c " /srv/tree tmpfs " /proc/mounts',
    'cd /srv/tree',
    'for e in . file hardlink setuid sub sub/deeper sub/deeper/big link fifo null; do stat -c "%n|%F|%a|%u:%g|%Y|%h|%t,%T" $e; done',
    'readlink link; cat file; wc -c < sub/deeper/big',
    'echo new > file && echo written',
  ].join('; ');
  const b = fx.bundle(['sh', '-c', script], (c) => {
    c.mounts.push(tmpfsAt('/srv/tree', ['nosuid', 'nodev', 'tmpcopyup']));
    // The tree's modes keep out anyone but its owners: the container's root needs to override them.
    const caps = c.process.capabilities;
    for (const set of [caps.bounding, caps.effective, caps.permitted]) set?.push('CAP_DAC_OVERRIDE');
  });
  buildTree(path.join(b.rootfs, 'srv/tree'));
  const r = runIn(b);
  expect(r.stderr).toBe('');
  expect(r.stdout.split('\n')).toEqual([
    '1',
    `.|directory|710|5:6|${MTIME}|3|0,0`,
    `file|regular file|640|1000:1001|${MTIME}|1|0,0`,
    // Hard links become copies (as in runc and crun).
    `hardlink|regular file|640|1000:1001|${MTIME}|1|0,0`,
    `setuid|regular file|4755|1000:1000|${MTIME}|1|0,0`,
    `sub|directory|750|2:3|${MTIME}|3|0,0`,
    `sub/deeper|directory|555|0:0|${MTIME}|2|0,0`,
    `sub/deeper/big|regular file|644|0:0|${MTIME}|1|0,0`,
    `link|symbolic link|777|4:4|${MTIME}|1|0,0`,
    `fifo|fifo|620|7:8|${MTIME}|1|0,0`,
    `null|character special file|666|0:0|${MTIME}|1|1,3`,
    'sub/deeper',
    'hello',
    '300000',
    'written',
    '',
  ]);
  expect(r.code).toBe(0);
  expect(fs.readFileSync(path.join(b.rootfs, 'srv/tree/file'), 'utf8')).toBe('hello\n');
});

test('a read-only tmpfs is filled before it turns read-only; notmpcopyup and a missing directory give an empty tmpfs', () => {
  const script = 'cat /etc/hostname; { echo x > /etc/y; } 2>&1; ls -A /srv/plain | wc -l; ls -A /srv/new | wc -l';
  const b = fx.bundle(['sh', '-c', script], (c) => {
    c.mounts.push(tmpfsAt('/etc', ['ro', 'tmpcopyup']), tmpfsAt('/srv/plain', ['notmpcopyup']), tmpfsAt('/srv/new', ['tmpcopyup']));
  });
  fs.writeFileSync(path.join(b.rootfs, 'etc/hostname'), 'copied\n');
  fs.mkdirSync(path.join(b.rootfs, 'srv/plain'), { recursive: true });
  fs.writeFileSync(path.join(b.rootfs, 'srv/plain/hidden'), '');
  const r = runIn(b);
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe('copied\nsh: can\'t create /etc/y: Read-only file system\n0\n0\n');
  expect(r.code).toBe(0);
  expect(fs.existsSync(path.join(b.rootfs, 'srv/new'))).toBe(true);
});

test('a tree deeper than the executor copies fails the create with the step, the path and the errno; nothing is left', () => {
  const b = fx.bundle(['true'], (c) => {
    c.mounts.push(tmpfsAt('/srv/deep', ['tmpcopyup']));
  });
  const deep = path.join(b.rootfs, 'srv/deep', ...Array(70).fill('d'));
  fs.mkdirSync(deep, { recursive: true });
  const id = fx.tsrun.track(uniqueId('copyup-deep'));
  const r = fx.tsrun.cmd(['run', '-b', b.dir, id]);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(
    /mount tmpfs on \/srv\/deep with tmpcopyup \(rootfs .*\): copy-up: too many levels of directories at \/srv\/deep(\/d){65}: ELOOP/,
  );
  expect(fx.tsrun.cmd(['state', id]).code).not.toBe(0);
});
