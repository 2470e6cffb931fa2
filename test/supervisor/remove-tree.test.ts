/**
 * removeTree on real trees: 100,000 levels deep (paths far beyond PATH_MAX, made with mkdir+chdir
 * by a child process), symlinks that lead out of the tree (never followed: the canary outside
 * survives), and mount points inside the tree (inside `unshare -m --propagation private`: left
 * alone, the removal fails naming them).
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { removeTree } from '../../supervisor/shared/remove-tree';

const DIST_REMOVE_TREE = path.resolve(__dirname, '../../dist/supervisor/remove-tree.js');

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'remove-tree-'));
});
afterEach(() => {
  // Whatever the test left (nothing when it passed); the shell's rm does not recurse in JS.
  spawnSync('rm', ['-rf', '--one-file-system', tmp]);
});

/** A chain of `depth` directories named `name` under `dir`, with files, symlinks out and fifos on the way. */
function deepTree(dir: string, depth: number, canary: string, name = 'a'): void {
  const script = `
import os, sys
os.chdir(sys.argv[1])
for i in range(int(sys.argv[2])):
    os.mkdir(sys.argv[4])
    os.chdir(sys.argv[4])
    if i % 9973 == 0:
        open('file', 'w').write('x')
        os.symlink(sys.argv[3], 'out')
        os.symlink(sys.argv[3] + '/precious', 'outfile')
        os.mkfifo('fifo')
`;
  execFileSync('python3', ['-c', script, dir, String(depth), canary, name]);
}

function makeCanary(): string {
  const canary = fs.mkdtempSync(path.join(os.tmpdir(), 'remove-tree-canary-'));
  fs.writeFileSync(path.join(canary, 'precious'), 'keep');
  return canary;
}

test('removes a tree 100,000 levels deep without following symlinks out of it', async () => {
  const canary = makeCanary();
  try {
    const root = path.join(tmp, 'tree');
    fs.mkdirSync(root);
    deepTree(root, 100_000, canary);
    // A second deep branch and a wide level.
    deepTree(root, 3000, canary, 'b'.repeat(200));
    for (let i = 0; i < 500; i++) fs.writeFileSync(path.join(root, `f${i}`), '');
    await removeTree(root);
    expect(fs.existsSync(root)).toBe(false);
    expect(fs.readdirSync(tmp)).toEqual([]);
    expect(fs.readFileSync(path.join(canary, 'precious'), 'utf8')).toBe('keep');
  } finally {
    fs.rmSync(canary, { recursive: true, force: true });
  }
}, 300_000);

test('fs.rmSync (what tsrund used) cannot remove such a tree', () => {
  const root = path.join(tmp, 'tree');
  fs.mkdirSync(root);
  deepTree(root, 3000, tmp);
  expect(() => fs.rmSync(root, { recursive: true, force: true })).toThrow();
});

test('a missing path is not an error; a file or a symlink is unlinked, not followed', async () => {
  const canary = makeCanary();
  try {
    await removeTree(path.join(tmp, 'missing'));
    fs.symlinkSync(canary, path.join(tmp, 'link'));
    await removeTree(path.join(tmp, 'link'));
    expect(fs.existsSync(path.join(tmp, 'link'))).toBe(false);
    expect(fs.readFileSync(path.join(canary, 'precious'), 'utf8')).toBe('keep');
  } finally {
    fs.rmSync(canary, { recursive: true, force: true });
  }
});

const root = process.getuid?.() === 0;
(root && fs.existsSync(DIST_REMOVE_TREE) ? test : test.skip)('never crosses into a mount point inside the tree (needs root and a build)', () => {
  const tree = path.join(tmp, 'tree');
  fs.mkdirSync(path.join(tree, 'x/mnt'), { recursive: true });
  fs.mkdirSync(path.join(tree, 'y'), { recursive: true });
  const program = `require(${JSON.stringify(DIST_REMOVE_TREE)}).removeTree(process.argv[1]).then(() => console.log('removed'), (e) => console.log(e.message))`;
  const script = 'mount -t tmpfs none "$1/x/mnt" && echo inside > "$1/x/mnt/kept" && node -e "$2" "$1" && cat "$1/x/mnt/kept"';
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', tree, program], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe(`${tree}: not removed: it holds mount points ("x/mnt"); unmount them and retry\ninside\n`);
  // What was not on the path to the mount went; the mount's parents stayed.
  expect(fs.readdirSync(tree)).toEqual(['x']);
});
