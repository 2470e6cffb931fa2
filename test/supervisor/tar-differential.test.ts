/**
 * Differential test of tsrund's tar reader against GNU tar (`tar -tvf`) and Python's tarfile: a
 * seeded generator forges archives (ustar, pax, GNU and V7 headers; long names three ways; pax
 * sizes over ustar ones; base-256 numbers; and oddities: two extended headers for one entry, a
 * body after a symlink, junk in fields, non-UTF-8 names, truncation, ...). For each, when GNU tar
 * and Python list the same entries (names, types, sizes, link targets), tsrund lists them too or
 * refuses with a one-line TarError; where they disagree or fail, tsrund refuses. Archives
 * without an oddity must be read exactly. Also: files over 8 GiB (a sparse archive on disk) and
 * GNU sparse files in every format GNU tar writes (refused naming the entry).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Readable } from 'stream';
import { readTar, TarError } from '../../supervisor/archive/tar';
import { SeededRandom } from '../helpers/seeded-choices';
import { base256, BLOCK, END, extended, header, pad, paxData, type Magic } from '../helpers/tar-forge';

jest.setTimeout(300_000);

interface Listed {
  name: string;
  type: string;
  size: number;
  link: string;
}
type Listing = { ok: Listed[] } | { error: string };

const CASES = 300;
const SEED = 0x7a2;

async function tsrundList(input: AsyncIterable<Buffer> | Buffer): Promise<Listing> {
  const out: Listed[] = [];
  try {
    for await (const { header: h, body } of readTar(Buffer.isBuffer(input) ? Readable.from([input]) : input)) {
      body.on('error', () => undefined).resume();
      out.push({ name: h.path, type: h.type, size: h.type === 'file' ? h.size : 0, link: h.linkname });
    }
  } catch (err) {
    if (!(err instanceof TarError)) throw err;
    return { error: err.message };
  }
  return { ok: out };
}

const PY_LIST = `
import base64, json, sys, tarfile, io
T = {tarfile.REGTYPE: 'file', tarfile.AREGTYPE: 'file', tarfile.CONTTYPE: 'file', tarfile.DIRTYPE: 'directory',
     tarfile.SYMTYPE: 'symlink', tarfile.LNKTYPE: 'hardlink', tarfile.CHRTYPE: 'char', tarfile.BLKTYPE: 'block',
     tarfile.FIFOTYPE: 'fifo'}
def listing(f):
    try:
        with tarfile.open(fileobj=f, mode='r:') as t:
            return {'ok': [{'name': m.name, 'type': T.get(m.type, 'other:' + repr(m.type)), 'size': m.size if m.isreg() else 0,
                            'link': m.linkname} for m in t.getmembers()]}
    except Exception as e:
        return {'error': type(e).__name__ + ': ' + str(e)}
if sys.argv[1] == '-':
    print(json.dumps([listing(io.BytesIO(base64.b64decode(a))) for a in json.load(sys.stdin)]))
else:
    print(json.dumps([listing(open(sys.argv[1], 'rb'))]))
`;

function pythonList(archives: Buffer[] | string): Listing[] {
  const r = spawnSync('python3', ['-c', PY_LIST, typeof archives === 'string' ? archives : '-'], {
    input: typeof archives === 'string' ? '' : JSON.stringify(archives.map((a) => a.toString('base64'))),
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  if (r.status !== 0) throw new Error(`python3: ${r.stderr}`);
  return JSON.parse(r.stdout) as Listing[];
}

/** A C-quoted string at the start of `s` (GNU tar --quoting-style=c): its bytes and the rest. */
function unquote(s: string): [string, string] {
  if (s[0] !== '"') throw new Error(`unquoted name in ${JSON.stringify(s)}`);
  const bytes: number[] = [];
  const esc: Record<string, number> = { n: 10, t: 9, r: 13, '\\': 92, '"': 34, a: 7, b: 8, f: 12, v: 11, '?': 63 };
  let i = 1;
  for (; s[i] !== '"'; i++) {
    if (s[i] !== '\\') {
      bytes.push(...Buffer.from(s[i]));
      continue;
    }
    const c = s[++i];
    if (/[0-7]/.test(c)) {
      bytes.push(parseInt(s.slice(i, i + 3), 8));
      i += 2;
    } else bytes.push(esc[c]);
  }
  return [Buffer.from(bytes).toString('utf8'), s.slice(i + 1)];
}

const GNU_TYPE: Record<string, string> = { '-': 'file', C: 'file', d: 'directory', l: 'symlink', h: 'hardlink', c: 'char', b: 'block', p: 'fifo' };

function gnuList(input: Buffer | string): Listing {
  const args = ['--numeric-owner', '--quoting-style=c', '-tvf', typeof input === 'string' ? input : '-'];
  const r = spawnSync('tar', args, { input: typeof input === 'string' ? '' : input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) return { error: r.stderr.trim() };
  const out: Listed[] = [];
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const m = /^(\S)\S* \S+ +(\S+) \S+ \S+ (".*)$/.exec(line);
    if (!m) return { error: `unparsed line ${JSON.stringify(line)}` };
    const [name, rest] = unquote(m[3]);
    const type = GNU_TYPE[m[1]] ?? `other:${m[1]}`;
    const link = rest.startsWith(' -> ') ? unquote(rest.slice(4))[0] : rest.startsWith(' link to ') ? unquote(rest.slice(9))[0] : '';
    out.push({ name: type === 'directory' ? name.replace(/\/+$/, '') : name, type, size: type === 'file' ? Number(m[2]) : 0, link });
  }
  return { ok: out };
}

// The generator ---------------------------------------------------------------------------

const NAMES = ['a', 'dir/b', 'ünïcödé', 'sp ace', 'new\nline', 'x'.repeat(99), 'd/'.repeat(60) + 'deep', 'long-'.repeat(40), 'p/'.repeat(70) + 'q'];
const ODDITIES = [
  'two-pax',
  'long-name-and-pax-path',
  'two-long-names',
  'symlink-with-size',
  'dir-with-size',
  'truncate',
  'no-end',
  'junk-after-nul',
  'spaces-in-number',
  'not-utf8',
  'global-path',
  'global-comment',
  'file-trailing-slash',
  'bad-pax-length',
  'prefix-on-gnu',
  'pax-size-lies-small',
  'pax-size-lies-large',
  'pax-size-not-number',
  'unknown-type',
  'bad-checksum',
  'hdrcharset-binary',
  'sparse-pax',
] as const;
type Oddity = (typeof ODDITIES)[number];

interface Case {
  tar: Buffer;
  oddity: Oddity | null;
  what: string;
}

function generate(rng: SeededRandom): Case {
  const oddity: Oddity | null = rng.chance(0.5) ? rng.pick(ODDITIES) : null;
  const parts: Buffer[] = [];
  const n = 1 + rng.int(5);
  const oddAt = rng.int(n);
  const what: string[] = [];
  const used = new Set<string>();
  for (let i = 0; i < n; i++) {
    const odd = i === oddAt ? oddity : null;
    let name = rng.pick(NAMES) + (i > 0 ? `-${i}` : '');
    if (used.has(name)) name += `-${i}`;
    used.add(name);
    const kind = rng.pick(['file', 'file', 'file', 'directory', 'symlink', 'hardlink', 'fifo', 'char'] as const);
    const first = [...used][0];
    let typeflag = { file: '0', directory: '5', symlink: '2', hardlink: '1', fifo: '6', char: '3' }[kind];
    const ascii = /^[\x20-\x7e]*$/.test(name);
    let magic: Magic = rng.pick(['ustar', 'gnu', 'ustar'] as const);
    if (ascii && name.length < 100 && rng.chance(0.15)) magic = 'v7';
    let size = kind === 'file' ? rng.int(1500) : 0;
    if (kind === 'file' && magic === 'v7' && rng.chance(0.3)) typeflag = '\0';
    if (kind === 'directory' && magic === 'v7') typeflag = rng.chance(0.5) ? '5' : '\0';
    const linkname = kind === 'symlink' ? rng.pick(['target', '../up', '/abs/olute', 't'.repeat(150)]) : kind === 'hardlink' ? first : '';
    const pax: [string, string | Buffer][] = [];
    let ustarName: string | Buffer = kind === 'directory' && (typeflag === '\0' || rng.chance(0.5)) ? `${name}/` : name;
    let prefix = '';
    let longName: string | null = null;
    const nameFits = ascii && Buffer.byteLength(ustarName) < 100;
    if (!nameFits) {
      const slash = name.lastIndexOf('/', 154);
      const how = rng.pick(['pax', 'gnu', 'prefix'] as const);
      if (how === 'prefix' && magic === 'ustar' && ascii && slash > 0 && name.length - slash - 1 < 100) {
        prefix = name.slice(0, slash);
        ustarName = name.slice(slash + 1) + (kind === 'directory' && typeof ustarName === 'string' && ustarName.endsWith('/') ? '/' : '');
      } else if (how === 'gnu' || (how === 'prefix' && magic === 'gnu')) {
        longName = typeof ustarName === 'string' ? ustarName : name;
        ustarName = Buffer.from(name).subarray(0, 99);
      } else {
        pax.push(['path', typeof ustarName === 'string' ? ustarName : name]);
        ustarName = Buffer.from(name).subarray(0, 99);
      }
    }
    if (Buffer.byteLength(linkname) >= 100) pax.push(['linkpath', linkname]);
    const raw: Record<string, Buffer> = {};
    let ustarSize = size;
    if (kind === 'file') {
      const sizeHow = rng.pick(['octal', 'octal', 'base256', 'pax'] as const);
      if (sizeHow === 'base256') raw.size = base256(BigInt(size), 12);
      if (sizeHow === 'pax') {
        pax.push(['size', String(size)]);
        ustarSize = rng.pick([0, size]);
      }
    }
    let uid = 0;
    if (rng.chance(0.2)) {
      uid = 3_000_000 + rng.int(1000);
      if (rng.chance(0.5)) raw.uid = base256(BigInt(uid), 8);
      else pax.push(['uid', String(uid)]);
    }
    let mtime = rng.int(2_000_000_000);
    if (rng.chance(0.1)) raw.mtime = base256(BigInt(mtime), 12);
    if (rng.chance(0.05)) pax.push(['mtime', `${mtime}.25`]);
    if (rng.chance(0.1)) pax.push(['comment', 'harmless']);
    // Oddities: each makes readers disagree, or is refused by tsrund for a stated reason.
    const extra: Buffer[] = [];
    switch (odd) {
      case 'two-pax':
        extra.push(extended('x', paxData([['path', 'decoy']])));
        break;
      case 'long-name-and-pax-path':
        pax.push(['path', `${name}-pax`]);
        extra.push(extended('L', Buffer.from(`${name}-gnu\0`)));
        break;
      case 'two-long-names':
        extra.push(extended('L', Buffer.from('first\0')), extended('L', Buffer.from('second\0')));
        break;
      case 'symlink-with-size':
        if (kind === 'symlink' || kind === 'hardlink' || kind === 'fifo' || kind === 'char') {
          ustarSize = 600;
          size = 600;
        }
        break;
      case 'dir-with-size':
        if (kind === 'directory') {
          ustarSize = 512;
          size = 512;
        }
        break;
      case 'junk-after-nul':
        raw.mode = Buffer.from('0000644\0');
        raw.uid = Buffer.from('0000\0xyz');
        break;
      case 'spaces-in-number':
        raw.uid = Buffer.from('  12 34\0');
        break;
      case 'not-utf8':
        ustarName = Buffer.from([0x61, 0xff, 0xfe, 0x62]);
        pax.splice(0, pax.length, ...pax.filter(([k]) => k !== 'path'));
        longName = null;
        break;
      case 'global-path':
        parts.push(extended('g', paxData([['path', 'everything']])));
        break;
      case 'global-comment':
        parts.push(extended('g', paxData([['comment', 'made by a test']])));
        break;
      case 'file-trailing-slash':
        if (kind === 'file') pax.push(['path', `${name}/`]);
        break;
      case 'bad-pax-length':
        extra.push(Buffer.concat([header({ name: 'PaxHeader', typeflag: 'x', size: 20 }), Buffer.from('99 path=x\n'.padEnd(20, '\0')), pad(20)]));
        break;
      case 'prefix-on-gnu':
        magic = 'gnu';
        prefix = 'junk';
        break;
      case 'pax-size-lies-small':
        if (kind === 'file') {
          pax.push(['size', String(Math.max(0, size - 700))]);
          size = Math.max(0, size - 700);
        }
        break;
      case 'pax-size-lies-large':
        if (kind === 'file') {
          pax.push(['size', String(size + 1024)]);
          size += 1024;
        }
        break;
      case 'pax-size-not-number':
        pax.push(['size', rng.pick([' 12', '+12', '0x10', '1e3', '', '1_0'])]);
        break;
      case 'unknown-type':
        typeflag = rng.pick(['X', 'V', 'M', 'D']);
        break;
      case 'bad-checksum':
        break;
      case 'hdrcharset-binary':
        pax.push(['hdrcharset', 'BINARY']);
        break;
      case 'sparse-pax':
        pax.push(['GNU.sparse.major', '1'], ['GNU.sparse.minor', '0'], ['GNU.sparse.name', name], ['GNU.sparse.realsize', '4096']);
        break;
    }
    const dedup = new Map(pax);
    if (dedup.size > 0) parts.push(extended('x', paxData([...dedup])));
    parts.push(...extra);
    if (longName !== null) parts.push(extended('L', Buffer.from(`${longName}\0`)));
    let h = header({ name: ustarName, typeflag, size: ustarSize, uid, mtime, linkname: linkname.length < 100 ? linkname : linkname.slice(0, 99), magic, prefix, raw, devmajor: kind === 'char' ? 1 : 0, devminor: kind === 'char' ? 3 : 0 });
    if (odd === 'bad-checksum') h = Buffer.concat([h.subarray(0, 150), Buffer.from('9'), h.subarray(151)]);
    parts.push(h);
    // The body: as many bytes as the (pax or ustar) size the writer meant, padded.
    const bodyLen = typeflag === '0' || typeflag === '\0' || typeflag === '7' || odd === 'symlink-with-size' || odd === 'dir-with-size' ? size : 0;
    const body = Buffer.alloc(bodyLen, 0x41 + i);
    if (bodyLen > 0 && rng.chance(0.5)) {
      // A body that looks like a header: the classic smuggling, found only by a reader that pads wrongly.
      header({ name: `smuggled-${i}`, typeflag: '0', size: 0 }).copy(body, 0, 0, Math.min(BLOCK, bodyLen));
    }
    parts.push(body, pad(bodyLen));
    what.push(`${kind}:${JSON.stringify(name)}${odd ? `:${odd}` : ''}`);
  }
  let tar = Buffer.concat([...parts, oddity === 'no-end' ? Buffer.alloc(0) : END]);
  if (oddity === 'truncate') tar = tar.subarray(0, 1 + rng.int(tar.length - END.length - 1));
  return { tar, oddity, what: what.join(' ') };
}

const same = (a: Listing, b: Listing) => 'ok' in a && 'ok' in b && JSON.stringify(a.ok) === JSON.stringify(b.ok);

test(`${CASES} seeded archives: tsrund reads what GNU tar and Python read, or refuses where they disagree`, async () => {
  const rng = new SeededRandom(SEED);
  const cases = Array.from({ length: CASES }, () => generate(rng));
  const py = pythonList(cases.map((c) => c.tar));
  const tally = { agreedRead: 0, agreedRefused: 0, othersDisagreeRefused: 0, bothOthersFailed: 0 };
  const problems: string[] = [];
  for (const [i, c] of cases.entries()) {
    const ours = await tsrundList(c.tar);
    const gnu = gnuList(c.tar);
    const where = `case ${i} (${c.what})`;
    if ('error' in ours && (ours.error.includes('\n') || !ours.error.startsWith('tar: '))) problems.push(`${where}: not a one-line tar error: ${ours.error}`);
    if (same(gnu, py[i])) {
      if ('ok' in ours) {
        if (!same(ours, gnu)) problems.push(`${where}: tsrund read ${JSON.stringify(ours.ok)}, GNU tar and Python ${JSON.stringify((gnu as { ok: Listed[] }).ok)}`);
        else tally.agreedRead++;
      } else {
        if (c.oddity === null) problems.push(`${where}: a plain archive both read was refused: ${ours.error}`);
        tally.agreedRefused++;
      }
    } else {
      if ('ok' in ours) problems.push(`${where}: GNU tar (${JSON.stringify(gnu)}) and Python (${JSON.stringify(py[i])}) disagree, tsrund read ${JSON.stringify(ours.ok)}`);
      else if ('error' in gnu && 'error' in py[i]) tally.bothOthersFailed++;
      else tally.othersDisagreeRefused++;
    }
  }
  expect(problems).toEqual([]);
  // The generator does reach every branch (a generator that only made refusals would prove nothing).
  expect(tally.agreedRead).toBeGreaterThan(CASES / 4);
  expect(tally.othersDisagreeRefused).toBeGreaterThan(10);
});

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tar-diff-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** An archive on disk with one file of `size` bytes (a hole: nothing written) then a small file. */
function hugeArchive(file: string, size: number, how: 'pax' | 'base256'): void {
  const big =
    how === 'pax'
      ? Buffer.concat([extended('x', paxData([['size', String(size)]])), header({ name: 'huge', typeflag: '0', size: 0 })])
      : header({ name: 'huge', typeflag: '0', raw: { size: base256(BigInt(size), 12) } });
  const after = Buffer.concat([header({ name: 'after', typeflag: '0', size: 5 }), Buffer.from('after'), pad(5), END]);
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, big, 0, big.length, 0);
    fs.writeSync(fd, after, 0, after.length, big.length + size + pad(size).length);
  } finally {
    fs.closeSync(fd);
  }
}

test.each(['pax', 'base256'] as const)('a file over 8 GiB (%s size) is read with its size and the entry after it is found', async (how) => {
  const size = 8 * 1024 ** 3 + 4097;
  const file = path.join(tmp, `huge-${how}.tar`);
  hugeArchive(file, size, how);
  expect(fs.statSync(file).blocks * 512).toBeLessThan(1 << 20);
  const want = { ok: [{ name: 'huge', type: 'file', size, link: '' }, { name: 'after', type: 'file', size: 5, link: '' }] };
  expect(gnuList(file)).toEqual(want);
  expect(pythonList(file)[0]).toEqual(want);
  expect(await tsrundList(fs.createReadStream(file, { highWaterMark: 1 << 20 }))).toEqual(want);
});

const gnuSparse = spawnSync('tar', ['--version']).status === 0;
(gnuSparse ? test.each : test.skip.each)(['0.0', '0.1', '1.0', 'old-gnu'])('a GNU sparse file (%s) is refused naming the entry', async (version) => {
  const dir = fs.mkdtempSync(path.join(tmp, 'sparse-'));
  const fd = fs.openSync(path.join(dir, 'holey'), 'w');
  fs.writeSync(fd, 'data', 0, 'utf8');
  fs.writeSync(fd, 'more', 1 << 20, 'utf8');
  fs.closeSync(fd);
  const format = version === 'old-gnu' ? ['--format=gnu'] : ['--format=pax', `--sparse-version=${version}`];
  const tar = spawnSync('tar', ['-C', dir, '--sparse', ...format, '-cf', '-', 'holey'], { maxBuffer: 16 << 20 }).stdout;
  const ours = await tsrundList(tar);
  expect(ours).toEqual({ error: expect.stringMatching(/holey.*GNU sparse file, which is not supported: archive it without --sparse$/) });
});
