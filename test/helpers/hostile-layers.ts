/**
 * A seeded generator of hostile image layers: path tricks (`..`, absolute paths, a symlink then a
 * file through it, hardlinks out, `.wh.` tricks, whiteouts of `..`), deep trees, pax/ustar
 * disagreement, sparse files, NUL in names; mixed with what a layer may legitimately hold (setuid
 * files, device nodes, names with newlines, symlinks pointing anywhere, hardlinks, whiteouts).
 * Each layer says what must happen: refused (the message), or unpacked to exactly `expect`.
 */
import { SeededRandom } from './seeded-choices';
import { END, extended, header, pad, paxData } from './tar-forge';

/** What an unpacked path must be: "dir 755", "file 4755 <content>", "symlink <target>", "char 1:3", "whiteout". */
export type Expected = Record<string, string>;

export interface HostileLayer {
  what: string;
  tar: Buffer;
  /** The one-line refusal must match this; null: the layer unpacks to exactly `expect`. */
  refused: RegExp | null;
  expect: Expected;
}

interface Piece {
  what: string;
  bytes: Buffer[];
  refused?: RegExp;
  expect?: Expected;
}

const file = (name: string | Buffer, body: string, mode = 0o644, typeflag = '0'): Buffer[] => [
  header({ name, typeflag, size: body.length, mode }),
  Buffer.from(body),
  pad(body.length),
];
const entry = (name: string, typeflag: string, extra: { linkname?: string; mode?: number; devmajor?: number; devminor?: number } = {}) => [
  header({ name, typeflag, mode: extra.mode ?? 0o755, linkname: extra.linkname, devmajor: extra.devmajor, devminor: extra.devminor }),
];
const withPax = (records: [string, string | Buffer][], rest: Buffer[]) => [extended('x', paxData(records)), ...rest];
const ESCAPE = /"\.\." components are refused|absolute paths are refused|is a symlink: writing through it is refused|passes through a symlink|not in this layer or the layers beneath it/;

/** Tricks and benign pieces; `n` keeps names unique within a layer, `canary` is a directory outside everything. */
function pieces(n: number, canary: string, rng: SeededRandom): Piece[] {
  const deep = Array.from({ length: 900 }, () => 'd').join('/');
  const long = `${'n'.repeat(200 + rng.int(50))}-${n}`;
  const tooDeep = Array.from({ length: 2100 }, () => 'd').join('/');
  return [
    { what: 'dotdot', bytes: file(`../../../../../../../..${canary}/dotdot-${n}`, 'x'), refused: ESCAPE },
    { what: 'dotdot-middle', bytes: file(`a${n}/../../escape-${n}`, 'x'), refused: ESCAPE },
    { what: 'absolute', bytes: file(`${canary}/absolute-${n}`, 'x'), refused: ESCAPE },
    { what: 'symlink-then-file', bytes: [...entry(`l${n}`, '2', { linkname: canary }), ...file(`l${n}/through-${n}`, 'x')], refused: ESCAPE },
    { what: 'symlink-then-dir', bytes: [...entry(`s${n}`, '2', { linkname: '../../../..' }), ...entry(`s${n}/made-${n}`, '5')], refused: ESCAPE },
    // A directory an earlier entry made (and wrote into), replaced by a symlink or a file, then written through.
    {
      what: 'dir-then-symlink-then-file',
      bytes: [...entry(`r${n}`, '5'), ...file(`r${n}/inside-${n}`, 'x'), ...entry(`r${n}`, '2', { linkname: canary }), ...file(`r${n}/through-${n}`, 'x')],
      refused: ESCAPE,
    },
    {
      what: 'dir-then-file-then-file',
      bytes: [...entry(`q${n}`, '5'), ...entry(`q${n}/sub-${n}`, '5'), ...file(`q${n}`, 'now a file'), ...file(`q${n}/sub-${n}/f`, 'x')],
      refused: /its parent .* is not a directory/,
    },
    {
      what: 'dir-then-hardlink-then-file',
      bytes: [...file(`hl-orig-${n}`, 'o'), ...entry(`m${n}`, '5'), ...entry(`m${n}`, '1', { linkname: `hl-orig-${n}` }), ...file(`m${n}/f`, 'x')],
      refused: /its parent .* is not a directory/,
    },
    { what: 'hardlink-out', bytes: entry(`h${n}`, '1', { linkname: `../../../../../..${canary}/precious` }), refused: ESCAPE },
    { what: 'hardlink-absolute', bytes: entry(`h${n}`, '1', { linkname: `${canary}/precious` }), refused: ESCAPE },
    { what: 'hardlink-through-symlink', bytes: [...entry(`k${n}`, '2', { linkname: canary }), ...entry(`hk${n}`, '1', { linkname: `k${n}/precious` })], refused: ESCAPE },
    { what: 'whiteout-dotdot', bytes: file(`w${n}/.wh...`, ''), refused: /is not a whiteout of a name/ },
    { what: 'whiteout-of-whiteout', bytes: file(`.wh..wh.x${n}`, ''), refused: /is not a whiteout of a name/ },
    { what: 'overlay-xattr', bytes: withPax([['SCHILY.xattr.trusted.overlay.redirect', '/etc']], file(`x${n}`, 'x')), refused: /overlayfs's own/ },
    { what: 'too-deep', bytes: withPax([['path', `${tooDeep}/f${n}`]], file(`placeholder-${n}`, 'x')), refused: /its path is \d+ bytes long beneath the snapshot directory; the limit is 4095/ },
    { what: 'nul-in-name', bytes: withPax([['path', `nul\0${n}`]], file(`placeholder-${n}`, 'x')), refused: /the pax path holds a NUL byte/ },
    { what: 'sparse', bytes: withPax([['GNU.sparse.major', '1'], ['GNU.sparse.minor', '0'], ['GNU.sparse.name', `sparse-${n}`], ['GNU.sparse.realsize', '1048576']], file(`GNUSparseFile.0/sparse-${n}`, '1\n0\n4\nabcd'.padEnd(512, '\0'))), refused: /GNU sparse file, which is not supported/ },
    { what: 'two-pax', bytes: [extended('x', paxData([['path', `first-${n}`]])), ...withPax([['path', `second-${n}`]], file(`p${n}`, 'x'))], refused: /two x headers for one entry/ },
    {
      // The ustar size says 1024 and hides a header in the body; the pax size (0) wins, as in GNU tar.
      what: 'pax-size-wins',
      bytes: [extended('x', paxData([['size', '0']])), header({ name: `visible-${n}`, typeflag: '0', size: 1024 }), ...file(`smuggled-${n}`, 'bad'), Buffer.alloc(0)],
      expect: { [`visible-${n}`]: 'file 644 ', [`smuggled-${n}`]: 'file 644 bad' },
    },
    { what: 'setuid', bytes: file(`suid-${n}`, '#!/bin/sh\n', 0o4755), expect: { [`suid-${n}`]: 'file 4755 #!/bin/sh\n' } },
    { what: 'device', bytes: entry(`null-${n}`, '3', { mode: 0o666, devmajor: 1, devminor: 3 }), expect: { [`null-${n}`]: 'char 1:3' } },
    { what: 'newline-name', bytes: withPax([['path', `new\nline-${n}`]], file(`placeholder-${n}`, 'nl')), expect: { [`new\nline-${n}`]: 'file 644 nl' } },
    { what: 'symlink-out-stored', bytes: entry(`out-${n}`, '2', { linkname: canary }), expect: { [`out-${n}`]: `symlink ${canary}` } },
    { what: 'hardlink-inside', bytes: [...file(`orig-${n}`, 'same'), ...entry(`again-${n}`, '1', { linkname: `orig-${n}` })], expect: { [`orig-${n}`]: 'file 644 same', [`again-${n}`]: 'file 644 same' } },
    { what: 'whiteout', bytes: file(`.wh.gone-${n}`, ''), expect: { [`gone-${n}`]: 'whiteout' } },
    { what: 'deep-tree', bytes: withPax([['path', `t${n}/${deep}/leaf`]], file(`placeholder-${n}`, 'deep')), expect: { [`t${n}/${deep}/leaf`]: 'file 644 deep' } },
    { what: 'long-name', bytes: withPax([['path', long]], file(`placeholder-${n}`, 'long')), expect: { [long]: 'file 644 long' } },
  ];
}

/** `count` layers from `seed`: each a few pieces, the first refusing piece deciding the outcome. */
export function hostileLayers(seed: number, count: number, canary: string): HostileLayer[] {
  const rng = new SeededRandom(seed);
  const out: HostileLayer[] = [];
  for (let i = 0; i < count; i++) {
    const chosen: Piece[] = [];
    const k = 1 + rng.int(3);
    for (let j = 0; j < k; j++) chosen.push(rng.pick(pieces(i * 10 + j, canary, rng)));
    const refusing = chosen.find((p) => p.refused);
    const expect: Expected = {};
    for (const p of chosen) Object.assign(expect, p.expect ?? {});
    out.push({
      what: chosen.map((p) => p.what).join('+'),
      tar: Buffer.concat([...chosen.flatMap((p) => p.bytes), END]),
      refused: refusing?.refused ?? null,
      expect: refusing ? {} : expect,
    });
  }
  return out;
}
