/**
 * Small files are written in batches on a worker thread (supervisor/snapshots/file-batch.ts);
 * the layer must come out as if every entry were applied in order. Differential: a seeded
 * generator makes layers over a few names, so that paths repeat, files replace directories and
 * directories files, entries go beneath files and symlinks, hardlinks point to files just
 * written, whiteouts and opaque markers come as the plain files they are in tar; many cases pass
 * a batch's size. Each layer is applied twice: as it is, and with an extended attribute on every
 * file, which keeps every file out of the batches (applied one by one, in order). The two
 * outcomes, the tree (types, contents, owners, modes, times, links, xattrs) or the refusal
 * message, must be equal.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Readable } from 'stream';
import { llistxattr, lgetxattr } from '../../runtime/native';
import { applyLayer } from '../../supervisor/snapshots/apply';
import { SeededRandom } from '../helpers/seeded-choices';
import { tarOf, type TestEntry } from './snapshots-helpers';

jest.setTimeout(300_000);

const CASES = 120;
const SEED = 0xba7c4;

/** The xattr that keeps a file out of the batches. */
const SEQUENTIAL = 'user.tsrun-test.sequential';

let scratch: string;
beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-file-batch-'));
});
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/**
 * One layer. Few names: directories d and e, leaves a, b and c, and now and then a leaf where a
 * directory is (a file replacing it, or an entry beneath a file). A "many" layer is mostly small
 * files in d and e (more than a batch holds), with hardlinks to what is a file at that point.
 */
function generate(r: SeededRandom): { entries: TestEntry[]; many: boolean } {
  const many = r.chance(0.2);
  const names = ['a', 'b', 'c'];
  const dirOf = () => Array.from({ length: r.int(3) }, () => r.pick(['d', 'e'])).join('/');
  const pathOf = () =>
    many && r.chance(0.8) ? `${r.pick(['d', 'e'])}/f${r.int(200)}` : path.posix.join(dirOf(), !many && r.chance(0.08) ? r.pick(['d', 'e']) : r.pick(names));
  const meta = () => ({ mode: r.pick([0o644, 0o600, 0o4755, 0o2711, 0o1777]), uid: r.pick([0, 1000, 65534]), gid: r.pick([0, 100]), mtime: r.pick([1_600_000_000 + r.int(1e6), 1_600_000_000.25, -5]) });
  const entries: TestEntry[] = [];
  /** What each path is after the entries so far (the last entry of it; whiteouts make devices). */
  const latest = new Map<string, string>();
  const add = (e: TestEntry) => {
    entries.push(e);
    const base = path.posix.basename(e.h.path);
    if (base === '.wh..wh..opq') return;
    if (base.startsWith('.wh.')) latest.set(path.posix.join(path.posix.dirname(e.h.path), base.slice(4)), 'char');
    else latest.set(path.posix.normalize(e.h.path), e.h.type === 'hardlink' ? 'file' : e.h.type);
  };
  const count = many ? 150 + r.int(250) : 5 + r.int(40);
  for (let i = 0; i < count; i++) {
    const p = pathOf();
    const k = r.int(100);
    const body = crypto.randomBytes(r.chance(0.02) ? (1 << 20) + 1 : r.int(3000));
    const files = [...latest].filter(([, t]) => t === 'file').map(([f]) => f);
    if (k < 50) add({ h: { path: p, type: 'file', ...meta() }, body });
    else if (k < 68) add({ h: { path: many || r.chance(0.7) ? dirOf() || '.' : p, type: 'directory', ...meta(), mode: r.pick([0o755, 0o700, 0o1777]) } });
    else if (k < 72 && !many) add({ h: { path: p, type: 'symlink', linkname: r.pick(['a', '../b', 'd/a', '/etc']), mode: 0o777, uid: 0, gid: 0 } });
    else if (k < 84 && files.length > 0) add({ h: { path: p, type: 'hardlink', linkname: r.pick(files), mode: 0o644 } });
    else if (k < 89) add({ h: { path: `${path.posix.dirname(p)}/.wh.${r.pick(names)}`, type: 'file', mode: 0o644 }, body: Buffer.alloc(0) });
    else if (k < 92) add({ h: { path: `${path.posix.dirname(p)}/.wh..wh..opq`, type: 'file', mode: 0o644 }, body: Buffer.alloc(0) });
    else add({ h: { path: p, type: 'file', ...meta(), xattrs: { 'user.kept': Buffer.from('x') } }, body });
  }
  return { entries, many };
}

type Outcome = { tree: Record<string, string> } | { error: string };

/**
 * Every entry beneath `dir`: its type, owner, mode, times, content or target, link count, xattrs.
 * An mtime before 1970 is set as the present by fs.lutimes (either way): shown as "now".
 */
function treeOf(dir: string, started: number): Record<string, string> {
  const out: Record<string, string> = {};
  const mtimeOf = (st: fs.Stats) => (st.mtimeMs >= started ? 'now' : String(st.mtimeMs));
  const walk = (rel: string) => {
    const p = path.join(dir, rel);
    const st = fs.lstatSync(p);
    const xattrs = llistxattr(p)
      .filter((n) => n !== SEQUENTIAL)
      .sort()
      .map((n) => `${n}=${lgetxattr(p, n).toString('hex')}`);
    const what = st.isFile()
      ? `file ${crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex')} links ${st.nlink} mtime ${mtimeOf(st)}`
      : st.isSymbolicLink()
        ? `symlink ${fs.readlinkSync(p)} mtime ${mtimeOf(st)}`
        : st.isDirectory()
          ? `dir mtime ${mtimeOf(st)}`
          : `other ${st.mode.toString(8)} ${st.rdev}`;
    out[rel || '.'] = `${what} ${st.uid}:${st.gid} ${(st.mode & 0o7777).toString(8)} [${xattrs.join(',')}]`;
    if (st.isDirectory()) for (const name of fs.readdirSync(p).sort()) walk(path.join(rel, name));
  };
  walk('');
  return out;
}

async function outcome(entries: TestEntry[], name: string): Promise<Outcome> {
  const dir = path.join(scratch, name);
  fs.mkdirSync(dir);
  const started = Date.now() - 1000;
  try {
    await applyLayer(Readable.from([await tarOf(entries)]), dir, 'layer');
    return { tree: treeOf(dir, started) };
  } catch (err) {
    return { error: (err as Error).message };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test(`${CASES} generated layers come out the same batched as applied entry by entry`, async () => {
  const r = new SeededRandom(SEED);
  let trees = 0;
  let refusals = 0;
  let manyTrees = 0;
  for (let c = 0; c < CASES; c++) {
    const { entries, many } = generate(r);
    const sequential = entries.map((e) => (e.h.type === 'file' ? { ...e, h: { ...e.h, xattrs: { ...e.h.xattrs, [SEQUENTIAL]: Buffer.from('1') } } } : e));
    const batched = await outcome(entries, `batched-${c}`);
    const oneByOne = await outcome(sequential, `sequential-${c}`);
    expect({ case: c, ...batched }).toEqual({ case: c, ...oneByOne });
    if ('tree' in batched) trees++;
    if ('tree' in batched && many) manyTrees++;
    else refusals++;
  }
  // Both kinds of outcome are exercised, and layers of more files than a batch holds.
  expect(trees).toBeGreaterThan(CASES / 5);
  expect(manyTrees).toBeGreaterThan(3);
  expect(refusals).toBeGreaterThan(CASES / 10);
});
