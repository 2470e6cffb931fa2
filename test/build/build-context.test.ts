/**
 * tsctl build's context: the tar it sends (read back with readTar) and where the Dockerfile is;
 * then the same context, .dockerignore and Dockerfile built by buildah (Debian's, FROM scratch,
 * COPY . and the metadata instructions), whose copied files and config must be what our walker
 * sends and what our parser, expansion and config changes make.
 */
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { applyInstruction, DEFAULT_SHELL, type ContainerConfig } from '../../supervisor/build/config-changes';
import { declareArgs, expandInstruction, expansionVariables, globalArgValues, stageScope, withEnv } from '../../supervisor/build/dockerfile/expand';
import { parseDockerfile } from '../../supervisor/build/dockerfile/parse';
import { decompress } from '../../supervisor/archive/compression';
import { readTar, type TarHeader } from '../../supervisor/archive/tar';
import { contextTar, resolveBuildContext } from '../../supervisor/tsctl/build-context';
import { missingCommands } from '../helpers/daemons';
import { SeededRandom } from '../helpers/seeded-choices';

jest.setTimeout(120_000);

interface Seen {
  header: Pick<TarHeader, 'path' | 'type' | 'mode' | 'uid' | 'gid' | 'mtime' | 'size' | 'linkname'>;
  sha256: string | null;
}

async function readAll(stream: AsyncIterable<Buffer | string>): Promise<Seen[]> {
  const out: Seen[] = [];
  for await (const e of readTar(stream)) {
    const { path: p, type, mode, uid, gid, mtime, size, linkname } = e.header;
    let sha256: string | null = null;
    if (type === 'file') {
      const h = crypto.createHash('sha256');
      for await (const chunk of e.body) h.update(chunk as Buffer);
      sha256 = h.digest('hex');
    } else e.body.resume();
    out.push({ header: { path: p, type, mode, uid, gid, mtime, size, linkname }, sha256 });
  }
  return out;
}

const MTIME = 1_700_000_000;

/** A context with what a walker can get wrong: modes, owners, links, big and odd names, ignored trees with exceptions. */
function makeContext(root: string): void {
  const w = (rel: string, data: string | Buffer, mode = 0o644) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), data);
    fs.chmodSync(path.join(root, rel), mode);
  };
  w('Dockerfile', 'FROM scratch\nCOPY . /ctx/\n');
  w('.dockerignore', '# what docker leaves out\nnode_modules\n**/*.md\n!dir/keep.md\n*.log\nsecret\n!secret/public\n');
  w('a.txt', 'hello\n');
  w('run.sh', '#!/bin/sh\n', 0o755);
  w('private.txt', 'p', 0o600);
  w('dir/sub/deep.txt', 'deep');
  w('dir/keep.md', 'kept');
  w('dir/drop.md', 'dropped');
  w('top.md', 'dropped');
  w('x.log', 'dropped');
  w('node_modules/x/y.js', 'dropped');
  w('secret/private', 'dropped');
  w('secret/public', 'kept');
  w('big.bin', crypto.randomBytes(3 * 1024 * 1024 + 17));
  w('é ü/ñ.txt', 'utf-8');
  w(`long/${'n'.repeat(120)}/${'f'.repeat(110)}.txt`, 'long');
  w('hard1', 'linked');
  fs.linkSync(path.join(root, 'hard1'), path.join(root, 'hard2'));
  fs.symlinkSync('a.txt', path.join(root, 'link'));
  fs.symlinkSync('/nowhere/at/all', path.join(root, 'dangling'));
  fs.mkdirSync(path.join(root, 'empty'), { mode: 0o700 });
  fs.chmodSync(path.join(root, 'empty'), 0o700);
  fs.chownSync(path.join(root, 'a.txt'), 1234, 5678);
  fs.chmodSync(path.join(root, 'secret'), 0o750);
  for (const rel of walkAll(root)) fs.lutimesSync(path.join(root, rel), MTIME, MTIME);
  fs.utimesSync(root, MTIME, MTIME);
}

function walkAll(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of fs.readdirSync(path.join(root, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    out.push(r);
    if (fs.lstatSync(path.join(root, r)).isDirectory()) out.push(...walkAll(root, r));
  }
  return out.reverse(); // children before their directories, so the directories' mtimes stay
}

const isRoot = process.getuid?.() === 0;

describe('the context tar', () => {
  let scratch: string;
  let ctxDir: string;
  beforeAll(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-h-dockerfile-ctx-'));
    ctxDir = path.join(scratch, 'ctx');
    fs.mkdirSync(ctxDir);
    makeContext(ctxDir);
  });
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  test('entries in name order, ignored ones left out, metadata as on disk, links as links', async () => {
    const ctx = resolveBuildContext(ctxDir, null);
    expect(ctx.dockerfile).toEqual({ inContext: true, path: 'Dockerfile' });
    expect(ctx.buildFilesOnly).toEqual([]);
    const seen = await readAll(contextTar(ctx));
    const byPath = new Map(seen.map((s) => [s.header.path, s]));
    expect(seen.map((s) => s.header.path)).toEqual([
      '.dockerignore',
      'Dockerfile',
      'a.txt',
      'big.bin',
      'dangling',
      'dir',
      'dir/keep.md',
      'dir/sub',
      'dir/sub/deep.txt',
      'empty',
      'hard1',
      'hard2',
      'link',
      'long',
      `long/${'n'.repeat(120)}`,
      `long/${'n'.repeat(120)}/${'f'.repeat(110)}.txt`,
      'private.txt',
      'run.sh',
      'secret/public', // re-included, without its ignored directory (docker's client sends it so)
      'é ü',
      'é ü/ñ.txt',
    ]);
    expect(byPath.get('a.txt')?.header).toMatchObject({ type: 'file', mode: 0o644, uid: isRoot ? 1234 : expect.any(Number), gid: isRoot ? 5678 : expect.any(Number), mtime: MTIME, size: 6 });
    expect(byPath.get('run.sh')?.header).toMatchObject({ mode: 0o755 });
    expect(byPath.get('private.txt')?.header).toMatchObject({ mode: 0o600 });
    expect(byPath.get('empty')?.header).toMatchObject({ type: 'directory', mode: 0o700, mtime: MTIME });
    expect(byPath.get('link')?.header).toMatchObject({ type: 'symlink', linkname: 'a.txt' });
    expect(byPath.get('dangling')?.header).toMatchObject({ type: 'symlink', linkname: '/nowhere/at/all' });
    expect(byPath.get('hard2')?.header).toMatchObject({ type: 'hardlink', linkname: 'hard1' });
    const bigSha = crypto.createHash('sha256').update(fs.readFileSync(path.join(ctxDir, 'big.bin'))).digest('hex');
    expect(byPath.get('big.bin')).toMatchObject({ sha256: bigSha, header: { size: 3 * 1024 * 1024 + 17 } });
  });

  test('a FIFO is archived as one; a socket is left out', async () => {
    const dir = path.join(scratch, 'special');
    fs.mkdirSync(dir);
    const made = spawnSync('mkfifo', [path.join(dir, 'fifo')]);
    if (made.status !== 0) return; // mkfifo is coreutils; nothing to check without it
    const server = net.createServer().listen(path.join(dir, 'sock'));
    await new Promise((r) => server.once('listening', r));
    try {
      fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
      const seen = await readAll(contextTar(resolveBuildContext(dir, null)));
      expect(seen.map((s) => [s.header.path, s.header.type])).toEqual([
        ['Dockerfile', 'file'],
        ['fifo', 'fifo'],
      ]);
    } finally {
      server.close();
    }
  });

  test('the Dockerfile and .dockerignore are sent even when ignored, and said to be for the builder only', async () => {
    const dir = path.join(scratch, 'ignored');
    fs.mkdirSync(path.join(dir, 'docker'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'docker/Dockerfile.dev'), 'FROM scratch\n');
    fs.writeFileSync(path.join(dir, '.dockerignore'), '*\n');
    fs.writeFileSync(path.join(dir, 'src'), 'x');
    const ctx = resolveBuildContext(path.relative(process.cwd(), dir), path.join(dir, 'docker/Dockerfile.dev'));
    expect(ctx.dockerfile).toEqual({ inContext: true, path: 'docker/Dockerfile.dev' });
    expect(ctx.buildFilesOnly).toEqual(['.dockerignore', 'docker/Dockerfile.dev']);
    const seen = await readAll(contextTar(ctx));
    expect(seen.map((s) => s.header.path)).toEqual(['.dockerignore', 'docker/Dockerfile.dev']); // the ignored docker/ itself is not sent
  });

  test('-f: relative to the current directory; outside the context it comes with its text', () => {
    const outside = path.join(scratch, 'Dockerfile.outside');
    fs.writeFileSync(outside, 'FROM scratch\nCMD ["x"]\n');
    const ctx = resolveBuildContext('ctx', 'Dockerfile.outside', scratch);
    expect(ctx.dockerfile).toEqual({ inContext: false, path: outside, content: Buffer.from('FROM scratch\nCMD ["x"]\n') });
    expect(resolveBuildContext('.', 'ctx/Dockerfile', scratch).dockerfile).toEqual({ inContext: true, path: 'ctx/Dockerfile' });
    expect(resolveBuildContext('ctx/dir', 'ctx/Dockerfile', scratch).dockerfile).toEqual({ inContext: false, path: path.join(ctxDir, 'Dockerfile'), content: expect.any(Buffer) });
    // A symlink to a Dockerfile elsewhere is the file it names.
    fs.symlinkSync(outside, path.join(scratch, 'ctx-link-df'));
    expect(resolveBuildContext('ctx', 'ctx-link-df', scratch).dockerfile).toMatchObject({ inContext: false, path: outside });
  });

  test('the lower-case dockerfile when there is no Dockerfile', () => {
    const dir = path.join(scratch, 'lower');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'dockerfile'), 'FROM scratch\n');
    expect(resolveBuildContext(dir, null).dockerfile).toEqual({ inContext: true, path: 'dockerfile' });
  });

  test.each<[string, string | null, string]>([
    ['no-such-dir', null, 'build context no-such-dir: no such directory (give the directory with the files to build)'],
    ['ctx/a.txt', null, 'build context ctx/a.txt: not a directory'],
    ['ctx', 'missing.Dockerfile', 'cannot find the Dockerfile missing.Dockerfile: no such file (give it with -f)'],
    ['ctx', 'ctx/dir', 'Dockerfile ctx/dir: not a file (give the Dockerfile with -f)'],
  ])('refused: context %s, -f %s', (context, dockerfile, message) => {
    expect(() => resolveBuildContext(context, dockerfile, scratch)).toThrow(message);
  });

  test('a bad .dockerignore and an unreadable file are one-line errors naming them', async () => {
    const dir = path.join(scratch, 'bad');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
    fs.writeFileSync(path.join(dir, '.dockerignore'), 'a[b\n');
    expect(() => resolveBuildContext(dir, null)).toThrow(`${dir}/.dockerignore: bad pattern "a[b"`);
    fs.writeFileSync(path.join(dir, '.dockerignore'), '!\n');
    expect(() => resolveBuildContext(dir, null)).toThrow('"!" alone is no pattern');
    if (isRoot) return; // root reads a file of mode 000
    fs.writeFileSync(path.join(dir, '.dockerignore'), '');
    fs.writeFileSync(path.join(dir, 'locked'), 'x');
    fs.chmodSync(path.join(dir, 'locked'), 0);
    await expect(readAll(contextTar(resolveBuildContext(dir, null)))).rejects.toThrow('build context: cannot read locked:');
  });
});

// buildah: the same context and Dockerfile, built by an implementation we did not write. --------

const buildahMissing = missingCommands(['buildah', 'unshare']);
const buildahSkip =
  buildahMissing.length > 0 ? `this host lacks ${buildahMissing.join(', ')} (apt-get install buildah)` : !isRoot ? 'buildah with vfs storage and chroot isolation needs root here' : null;

if (buildahSkip !== null) {
  test.skip(`buildah cross-check: ${buildahSkip}`, () => undefined);
} else {
  describe('against buildah (FROM scratch)', () => {
    let scratch: string;
    beforeAll(() => {
      scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-h-dockerfile-buildah-'));
      fs.mkdirSync(path.join(scratch, 'tmp'));
    });
    afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

    /** buildah in a mount namespace of its own, its storage and temp files under `scratch`. */
    function buildah(args: string[]): string {
      const r = spawnSync(
        'unshare',
        ['--mount', '--propagation', 'private', '--', 'buildah', '--root', path.join(scratch, 'root'), '--runroot', path.join(scratch, 'runroot'), '--storage-driver', 'vfs', ...args],
        { encoding: 'utf8', timeout: 100_000, env: { ...process.env, TMPDIR: path.join(scratch, 'tmp'), BUILDAH_ISOLATION: 'chroot' } },
      );
      if (r.status !== 0) throw new Error(`buildah ${args.join(' ')}: ${r.stderr || r.error}`);
      return r.stdout;
    }

    /** Builds `dockerfile` in `ctxDir`; the image's config and its one layer's entries. */
    async function build(ctxDir: string, dockerfile: string, tag: string): Promise<{ config: Record<string, unknown>; layer: Seen[] }> {
      buildah(['bud', '--layers=false', '--isolation', 'chroot', '-f', dockerfile, '-t', tag, ctxDir]);
      const oci = path.join(scratch, `${tag}.oci`);
      buildah(['push', '--disable-compression', tag, `oci:${oci}`]);
      const blob = (d: string) => path.join(oci, 'blobs', 'sha256', d.replace('sha256:', ''));
      const index = JSON.parse(fs.readFileSync(path.join(oci, 'index.json'), 'utf8'));
      const manifest = JSON.parse(fs.readFileSync(blob(index.manifests[0].digest), 'utf8'));
      const image = JSON.parse(fs.readFileSync(blob(manifest.config.digest), 'utf8'));
      // buildah 1.28 gzips the layer whatever --disable-compression says.
      const last = manifest.layers[manifest.layers.length - 1];
      const layer = last ? await readAll(await decompress(fs.createReadStream(blob(last.digest)), 'layer')) : [];
      return { config: image.config, layer };
    }

    test('COPY . copies exactly the files our context walker sends', async () => {
      const ctxDir = path.join(scratch, 'ctx');
      fs.mkdirSync(ctxDir);
      makeContext(ctxDir);
      const { layer } = await build(ctxDir, path.join(ctxDir, 'Dockerfile'), 'h-dockerfile-copy');
      const ours = await readAll(contextTar(resolveBuildContext(ctxDir, null)));
      // buildah's layer holds ctx/ (made by COPY), ours the context's root's children; COPY sets owners to 0:0.
      const norm = (s: Seen) => ({ path: s.header.path, type: s.header.type, mode: s.header.mode, linkname: s.header.linkname, sha256: s.sha256 });
      const theirs = layer
        .filter((s) => s.header.path.startsWith('ctx/'))
        .map((s) => norm({ ...s, header: { ...s.header, path: s.header.path.slice('ctx/'.length), linkname: s.header.type === 'hardlink' ? s.header.linkname.replace(/^ctx\//, '') : s.header.linkname } }))
        .sort((a, b) => (a.path < b.path ? -1 : 1));
      const mine = ours.map(norm).sort((a, b) => (a.path < b.path ? -1 : 1));
      // buildah makes the re-included file's ignored parent (0755), which our tar leaves to the receiver, as docker's client does.
      expect(theirs.find((s) => s.path === 'secret')).toMatchObject({ type: 'directory', mode: 0o755 });
      theirs.splice(theirs.findIndex((s) => s.path === 'secret'), 1);
      expect(theirs.map((s) => s.path)).toEqual(mine.map((s) => s.path));
      // Hardlinks: either name may be the link; what matters is that both hold the same bytes.
      const content = (list: ReturnType<typeof norm>[]) => {
        const byPath = new Map(list.map((s) => [s.path, s]));
        return list.map((s) => (s.type === 'hardlink' ? { ...s, type: 'file', linkname: '', sha256: byPath.get(s.linkname)?.sha256 } : s));
      };
      expect(content(theirs).map(({ path: p, type, mode, linkname, sha256 }) => ({ path: p, type, linkname, sha256, mode: type === 'symlink' ? 0 : mode }))).toEqual(
        content(mine).map(({ path: p, type, mode, linkname, sha256 }) => ({ path: p, type, linkname, sha256, mode: type === 'symlink' ? 0 : mode })),
      );
    });

    /** The config of the last stage of `text` as our parser, scoping, expansion and config changes make it. */
    function ourConfig(text: string, buildArgs: Record<string, string>): ContainerConfig {
      const d = parseDockerfile(text);
      const c = { escape: d.escape, file: 'Dockerfile' };
      const globals = globalArgValues(d.globalArgs, buildArgs, c);
      const built = new Map<string, ContainerConfig>();
      let config: ContainerConfig = {};
      for (const stage of d.stages) {
        const image = expandInstruction(stage.from, globals, c).image;
        // buildah's start for scratch: its default PATH.
        config = image === 'scratch' ? { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] } : { ...(built.get(image) as ContainerConfig) };
        let scope = stageScope(config.Env);
        let cmdSet = false;
        for (const ins of stage.instructions) {
          if (ins.kind === 'ARG') {
            scope = declareArgs(scope, ins, buildArgs, globals, c);
            continue;
          }
          config = applyInstruction(config, expandInstruction(ins, expansionVariables(scope), c), config.Shell ?? DEFAULT_SHELL, { cmdSet });
          if (ins.kind === 'CMD') cmdSet = true;
          scope = withEnv(scope, config.Env);
        }
        if (stage.name !== null) built.set(stage.name, config);
      }
      return config;
    }

    /** buildah's config for `text` (docker format: OCI's config has no OnBuild, Shell or Healthcheck). */
    function theirConfig(text: string, buildArgs: Record<string, string>, tag: string): ContainerConfig {
      const ctxDir = path.join(scratch, tag);
      fs.mkdirSync(ctxDir);
      fs.writeFileSync(path.join(ctxDir, 'Dockerfile'), text);
      const args = Object.entries(buildArgs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]);
      buildah(['bud', '--layers=false', '--isolation', 'chroot', '--format', 'docker', ...args, '-f', path.join(ctxDir, 'Dockerfile'), '-t', tag, ctxDir]);
      const config = JSON.parse(buildah(['inspect', '--type', 'image', tag])).Docker.config;
      const labels = Object.fromEntries(Object.entries((config.Labels ?? {}) as Record<string, string>).filter(([k]) => k !== 'io.buildah.version'));
      const fields = ['Env', 'ExposedPorts', 'WorkingDir', 'User', 'Volumes', 'StopSignal', 'Entrypoint', 'Cmd', 'OnBuild', 'Shell', 'Healthcheck'] as const;
      const out: Record<string, unknown> = { Labels: labels };
      for (const f of fields) if (!unset(config[f])) out[f] = config[f];
      return out as ContainerConfig;
    }

    /** Unset as Docker's null, buildah's [], {} and "" all say it, left out. */
    const unset = (v: unknown) => v === undefined || v === null || v === '' || (typeof v === 'object' && Object.keys(v as object).length === 0);

    /** Ours with the same fields, unset ones left out as theirConfig leaves them. */
    function comparable(config: ContainerConfig): ContainerConfig {
      const out: Record<string, unknown> = { Labels: config.Labels ?? {} };
      for (const [k, v] of Object.entries(config)) if (k !== 'Labels' && !unset(v)) out[k] = v;
      return out as ContainerConfig;
    }

    test('seeded random .dockerignore files: buildah copies what our matcher and walker send', async () => {
      const files = ['a', 'a.txt', 'b/a', 'b/c/d.md', 'b/c/e.txt', '.hidden', '.git/config', 'node_modules/x/y.js', 'src/main.go', 'src/lib/util.go', 'src/lib/util_test.go', 'docs/README.md', 'README.md', 'sp ace.txt', 'Dockerfile'];
      const names = ['a', 'b', 'src', 'lib', 'docs', 'node_modules', '.git', '*.md', '*.go', '**/*.go', '**/util*', 'b/*', '*/c', '?.txt', '[ab]', 'src/**', '**', 'b/c/*.txt', 'Dockerfile', '.dockerignore', '*', 'sp\\ ace.txt', 'src/lib'];
      const rnd = new SeededRandom(1416);
      for (let n = 0; n < 12; n++) {
        const lines: string[] = [];
        const count = 1 + rnd.int(5);
        for (let i = 0; i < count; i++) {
          const name = rnd.pick(names);
          const form = rnd.pick(['', '/', './', '']);
          const trail = rnd.chance(0.2) && !name.endsWith('*') ? '/' : '';
          lines.push(`${rnd.chance(0.35) ? '!' : ''}${form}${name}${trail}`);
        }
        const ctxDir = path.join(scratch, `ignore-${n}`);
        for (const f of files) {
          fs.mkdirSync(path.dirname(path.join(ctxDir, f)), { recursive: true });
          fs.writeFileSync(path.join(ctxDir, f), f === 'Dockerfile' ? 'FROM scratch\nCOPY . /ctx/\n' : f);
        }
        fs.writeFileSync(path.join(ctxDir, '.dockerignore'), lines.join('\n') + '\n');
        const ctx = resolveBuildContext(ctxDir, null);
        const ours = (await readAll(contextTar(ctx))).map((s) => s.header).filter((h) => !ctx.buildFilesOnly.includes(h.path));
        const { layer } = await build(ctxDir, path.join(ctxDir, 'Dockerfile'), `h-dockerfile-ignore-${n}`);
        const theirs = layer.map((s) => s.header).filter((h) => h.path.startsWith('ctx/')).map((h) => ({ ...h, path: h.path.slice('ctx/'.length) }));
        const what = `.dockerignore ${JSON.stringify(lines)}`;
        // Everything but directories the same; buildah's extra directories are the parents it makes for re-included files.
        const notDirs = (hs: { path: string; type: string }[]) => hs.filter((h) => h.type !== 'directory').map((h) => h.path).sort();
        expect([what, notDirs(theirs)]).toEqual([what, notDirs(ours)]);
        const ourDirs = new Set(ours.filter((h) => h.type === 'directory').map((h) => h.path));
        for (const h of theirs.filter((t) => t.type === 'directory' && !ourDirs.has(t.path))) {
          expect([what, h.path, ours.some((o) => o.path.startsWith(`${h.path}/`))]).toEqual([what, h.path, true]);
        }
        for (const d of ourDirs) expect([what, d, theirs.some((t) => t.path === d)]).toEqual([what, d, true]);
      }
    });

    test('ENV, LABEL, EXPOSE, WORKDIR, USER, VOLUME, STOPSIGNAL, CMD, ENTRYPOINT, ONBUILD, with ARGs and every substitution form', () => {
      const text = [
        'ARG BASE=scratch',
        'FROM $BASE',
        'ARG V=1.0 W=${V}-b',
        'ARG GIVEN=default',
        'ENV A=1 B="two words" C=${V}',
        'ENV D=${A:+set}${Z:-dflt} E=$A\\$A F=\'$A\' G="${B}"',
        'ENV A=2 H=$A',
        'ENV OLD old form $A',
        'LABEL "l.one"="$B" l2=\'$A\' l3=${W} l4=$GIVEN',
        'EXPOSE 80 53/udp ${PORT:-8080}/tcp',
        'WORKDIR /w',
        'WORKDIR rel/${V}',
        'USER ${U:-app}:staff',
        'VOLUME ["/data", "/v/${V}"]',
        'VOLUME /logs',
        'STOPSIGNAL SIG${S:-INT}',
        'CMD echo "hi $A"',
        'ENTRYPOINT ["/e", "$A"]',
        'ONBUILD RUN echo $A',
        '',
      ].join('\n');
      const theirs = theirConfig(text, { GIVEN: 'from-cli' }, 'h-dockerfile-meta');
      expect(comparable(ourConfig(text, { GIVEN: 'from-cli' }))).toEqual(theirs);
      // The CMD came before the ENTRYPOINT in the stage: kept, in the shell.
      expect(theirs.Cmd).toEqual(['/bin/sh', '-c', 'echo "hi $A"']);
    });

    test('stages: the escape directive, continuations, SHELL and HEALTHCHECK inherited, ENTRYPOINT dropping the base stage\'s CMD', () => {
      const text = [
        '# escape=`',
        '',
        'FROM scratch AS base', // (buildah 1.28 compares stage names case-sensitively; Docker does not)
        'SHELL ["/bin/bash", "-o", "pipefail", "-c"]',
        'CMD ["base-cmd"]',
        'HEALTHCHECK --interval=1m30s --timeout=5s --start-period=2s --retries=4 `',
        '  # a comment inside the continuation',
        '',
        '  CMD curl -f http://localhost/ || exit 1',
        'ENV PORTS="80 443/udp" `',
        '    P=path Q=c:/x',
        'WORKDIR /base',
        'FROM base',
        'ENTRYPOINT ["run", "$P"]',
        'EXPOSE $PORTS 7000',
        'LABEL a=b `',
        '  c="${P}"',
        'env old value with  spaces',
        'WORKDIR sub',
        'FROM base AS other',
        'HEALTHCHECK NONE',
        'FROM base',
        'CMD ["second"]',
        '',
      ].join('\n');
      const last = text.split('\nFROM base AS other')[0];
      const theirs = theirConfig(last, {}, 'h-dockerfile-stages');
      expect(comparable(ourConfig(last, {}))).toEqual(theirs);
      expect(theirs.Cmd).toBeUndefined(); // the ENTRYPOINT dropped base's CMD
      expect(theirs.Healthcheck).toEqual({ Test: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'], Interval: 90e9, Timeout: 5e9, StartPeriod: 2e9, Retries: 4 });
      const other = text.split('\nFROM base\nCMD ["second"]')[0];
      expect(comparable(ourConfig(other, {}))).toEqual(theirConfig(other, {}, 'h-dockerfile-none'));
      expect(comparable(ourConfig(text, {}))).toEqual(theirConfig(text, {}, 'h-dockerfile-second'));
    });

    test('seeded random metadata Dockerfiles: the config buildah makes, or an error from both', () => {
      // (No ${U-word}: buildah 1.28 knows only the forms with a colon.)
      const values = ['x', '$A', '${A}', '${B:-d}', '${A:+alt}', '${U:-unset}', '"q $A"', "'s $A'", 'a\\ b', 'p\\$A', '/abs', 'rel', '${A}x', '"a=b"', '"${B:-q w}"'];
      const word = (rnd: SeededRandom) => Array.from({ length: 1 + rnd.int(3) }, () => rnd.pick(values)).join('');
      const rnd = new SeededRandom(1417);
      for (let n = 0; n < 16; n++) {
        const lines = ['FROM scratch', 'ARG A=arg', 'ENV B=env'];
        for (let i = 0; i < 6; i++) {
          const k = rnd.pick(['ENV', 'LABEL', 'WORKDIR', 'USER', 'VOLUME', 'CMD', 'ENTRYPOINT', 'ENV_OLD', 'EXPOSE']);
          if (k === 'ENV' || k === 'LABEL') lines.push(`${k} K${rnd.int(3)}=${word(rnd)} L${rnd.int(3)}=${word(rnd)}`);
          else if (k === 'ENV_OLD') lines.push(`ENV O${rnd.int(3)} ${word(rnd)} ${word(rnd)}`);
          else if (k === 'EXPOSE') lines.push(`EXPOSE ${rnd.pick(['80', '${P:-81}', '82/udp', '"83"'])}`);
          else if (k === 'CMD' || k === 'ENTRYPOINT') lines.push(rnd.chance(0.5) ? `${k} echo ${word(rnd)}` : `${k} ["e", "${rnd.pick(['$A', 'x', 'y z'])}"]`);
          else lines.push(`${k} ${word(rnd)}`);
        }
        const text = lines.join('\n') + '\n';
        let ours: ContainerConfig | string;
        try {
          ours = comparable(ourConfig(text, {}));
        } catch (err) {
          ours = `error: ${(err as Error).message}`;
        }
        let theirs: ContainerConfig | string;
        try {
          theirs = theirConfig(text, {}, `h-dockerfile-meta-${n}`);
        } catch (err) {
          theirs = `error: ${(err as Error).message}`;
        }
        // Either both refuse it (each in its own words) or both make the same config.
        if (typeof ours === "string" || typeof theirs === "string") expect([text, typeof ours === "string" ? "refused" : ours]).toEqual([text, typeof theirs === "string" ? "refused" : theirs]);
        else expect([text, ours]).toEqual([text, theirs]);
      }
    });

    test("where buildah 1.28 differs from Docker's documented behaviour, ours is Docker's", () => {
      const text = [
        '# escape=`',
        '',
        'FROM scratch AS base',
        'SHELL ["/bin/bash", "-c"]',
        'FROM base',
        'ENTRYPOINT run',
        'ENV W=c:\\dir X=a`$HOME',
        'EXPOSE 7000-7001',
        '',
      ].join('\n');
      const theirs = theirConfig(text, {}, 'h-dockerfile-differs');
      const ours = comparable(ourConfig(text, {}));
      // Docker wraps a shell form in the SHELL the stage has, inherited from its base too; buildah in /bin/sh -c.
      expect([theirs.Entrypoint, ours.Entrypoint]).toEqual([['/bin/sh', '-c', 'run'], ['/bin/bash', '-c', 'run']]);
      // With the ` escape a backslash is an ordinary character (the reference's c:\ example); buildah still escapes with it.
      // And it does not take the ` as the escape: `$ is no literal $ there.
      const wx = (c: ContainerConfig) => c.Env?.filter((e) => /^[WX]=/.test(e));
      expect([wx(theirs), wx(ours)]).toEqual([['W=c:dir', 'X=a`'], ['W=c:\\dir', 'X=a$HOME']]);
      // Docker's EXPOSE takes a range as its ports (nat.ParsePortSpecs); buildah keeps the range as one key.
      expect([Object.keys(theirs.ExposedPorts ?? {}), Object.keys(ours.ExposedPorts ?? {})]).toEqual([['7000-7001/tcp'], ['7000/tcp', '7001/tcp']]);
    });
  });
}
