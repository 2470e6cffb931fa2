/**
 * tsctl's process run flags (supervisor/tsctl/process-flags.ts, run-image.ts): -e, --env-file,
 * -w, -u, --entrypoint, --label, --label-file, --read-only, --rm (with -d too), --pull and
 * --platform, parsed as docker spells them and then run by the real bin/tsctl against a real
 * tsrund, each looked for inside the container (or in what tsrund keeps) afterwards.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { containerLabels, processOverrides, pullOptions, readKeyValueFile } from '../../supervisor/tsctl/process-flags';
import { platformMatches } from '../../supervisor/tsctl/run-image';
import { buildBusyboxArchive } from '../helpers/oci-image';
import { BUSYBOX_FILES, haveRegistryTools, Layout, TestRegistry } from '../helpers/registry';
import { seededRandom } from '../helpers/seeded-random';
import { TSCTL, until } from './daemon';
import { useDaemon } from './fixtures';

jest.setTimeout(120_000);

const noFiles = (file: string): string => {
  throw Object.assign(new Error(`ENOENT: no such file or directory, open '${file}'`), { code: 'ENOENT', syscall: 'open', path: file });
};

describe('the flags, parsed', () => {
  test('-e NAME=VALUE kept, -e NAME from tsctl\'s environment (left out when unset), the env files first', () => {
    const files: Record<string, string> = { '/f.env': '\uFEFF# a comment\n\n  FROM_FILE=1 two=3\nSHARED\nUNSET_HERE\nEMPTY=\r\n' };
    const o = processOverrides(
      { env: ['A=x=y', 'SHARED', 'NOPE'], 'env-file': ['/f.env'], workdir: '/w', user: 'nobody:tty', 'read-only': true, rm: true },
      { env: { SHARED: 'from tsctl' }, readFile: (f) => files[f] ?? noFiles(f) },
    );
    expect(o).toEqual({
      env: ['FROM_FILE=1 two=3', 'SHARED=from tsctl', 'EMPTY=', 'A=x=y', 'SHARED=from tsctl'],
      cwd: '/w',
      user: 'nobody:tty',
      entrypoint: [],
      readOnly: true,
      autoRemove: true,
    });
    expect(processOverrides({ entrypoint: '' }, { env: {} }).entrypoint).toEqual(['']);
    expect(processOverrides({ entrypoint: 'sh -c' }, { env: {} }).entrypoint).toEqual(['sh -c']);
    expect(processOverrides({}, { env: {} })).toEqual({ env: [], cwd: '', user: '', entrypoint: [], readOnly: false, autoRemove: false });
  });

  test('a bad env-file line is an error naming FILE:LINE; a missing file names it', () => {
    expect(() => readKeyValueFile('--env-file', 'a.env', 'OK=1\n# fine\n=nameless\n', () => null)).toThrow('--env-file a.env:3: "=nameless" has no name before "="');
    expect(() => readKeyValueFile('--env-file', 'a.env', '\n\nBAD NAME=1\n', () => null)).toThrow('--env-file a.env:3: the name "BAD NAME" has white space in it');
    expect(() => processOverrides({ 'env-file': ['/none.env'] }, { readFile: noFiles })).toThrow('--env-file /none.env: no such file or directory');
    expect(() => processOverrides({ env: ['=v'] }, { env: {} })).toThrow('--env "=v": give NAME=VALUE or NAME');
  });

  test('seeded env files (names, values, white space, "=", "#", CR, a BOM, non-ASCII): each line gives at most its one entry, in order, or the first bad one is named', () => {
    const pieces = ['A', 'b_2', ' ', '\t', '=', '#', 'é', '\r', '', 'x=y', '==', 'ü=1'];
    for (let seed = 1; seed <= 300; seed++) {
      const random = seededRandom(seed);
      const pick = () => pieces[Math.floor(random() * pieces.length)];
      const lines = Array.from({ length: 1 + Math.floor(random() * 6) }, () => Array.from({ length: Math.floor(random() * 5) }, pick).join(''));
      const text = (random() < 0.2 ? '\uFEFF' : '') + lines.join('\n');
      const asked: string[] = [];
      let got: string[] | Error;
      try {
        got = readKeyValueFile('--env-file', 'f', text, (name) => (asked.push(name), null));
      } catch (err) {
        got = err as Error;
      }
      // What each line is, by docker's rules, in the simplest words.
      const kinds = text.replace(/^\uFEFF/, '').split(/\r?\n/).map((raw) => {
        const line = raw.trimStart();
        if (line === '' || line.startsWith('#')) return { skip: true };
        const name = line.split('=')[0];
        return { skip: false, bad: name === '' || /\s/.test(name), line, bare: !line.includes('=') };
      });
      const firstBad = kinds.findIndex((k) => !k.skip && k.bad);
      if (firstBad >= 0) {
        expect(got).toBeInstanceOf(Error);
        expect((got as Error).message.startsWith(`--env-file f:${firstBad + 1}: `)).toBe(true);
      } else {
        const kept = kinds.filter((k) => !k.skip);
        expect(got).toEqual(kept.filter((k) => !k.bare).map((k) => k.line));
        expect(asked).toEqual(kept.filter((k) => k.bare).map((k) => k.line));
      }
    }
  });

  test('labels: the label files first, then --label; KEY alone is an empty value', () => {
    const read = (f: string) => (f === '/l' ? 'a=file\n# c\nb\n' : noFiles(f));
    expect(containerLabels({ label: ['a=flag', 'c'], 'label-file': ['/l'] }, read)).toEqual({ a: 'flag', b: '', c: '' });
    expect(() => containerLabels({ 'label-file': ['/l2'] }, (f) => (f === '/l2' ? 'x y=1\n' : noFiles(f)))).toThrow('--label-file /l2:1: the name "x y" has white space in it');
  });

  test('--pull always|missing|never (default missing); --platform os/arch[/variant]', () => {
    expect(pullOptions({})).toEqual({ pull: 'missing', platform: '' });
    expect(pullOptions({ pull: 'never', platform: 'linux/arm64/v8' })).toEqual({ pull: 'never', platform: 'linux/arm64/v8' });
    expect(() => pullOptions({ pull: 'sometimes' })).toThrow('--pull "sometimes": give always, missing or never');
    expect(() => pullOptions({ platform: 'amd64' })).toThrow(/--platform "amd64": give os\/architecture\[\/variant\]/);
    expect(platformMatches('linux/amd64', 'linux/amd64')).toBe(true);
    expect(platformMatches('linux/arm64', 'linux/arm64/v8')).toBe(true);
    expect(platformMatches('linux/arm64/v8', 'linux/arm64')).toBe(true);
    expect(platformMatches('linux/arm/v7', 'linux/arm/v6')).toBe(false);
    expect(platformMatches('linux/arm64', 'linux/amd64')).toBe(false);
  });
});

describe('through tsrund', () => {
  const f = useDaemon();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-tsctl-process-'));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
  const run = promisify(execFile);
  const tsctl = async (args: string[], env: NodeJS.ProcessEnv = {}) => run(TSCTL, ['--address', f.daemon.address, ...args], { env: { ...process.env, ...env } });
  const failed = (args: string[]) => tsctl(args).then(
    (r) => Promise.reject(new Error(`tsctl ${args.join(' ')} succeeded: ${r.stdout}`)),
    (err: { code: number; stdout: string; stderr: string }) => err,
  );
  const ids = async () => (await f.c().listContainers()).map((c) => c.id).sort();
  const volumes = async () => (await f.c().listVolumes()).map((v) => v.name).sort();
  const ref = 'localhost/tsrun-test/process-flags:1';
  let n = 0;
  const name = () => `pf-${process.pid}-${n++}`;

  beforeAll(async () => {
    await tsctl(['images', 'import', buildBusyboxArchive(work, ref).file]);
  });

  test('-e, --env-file, -w, -u USER:GROUP (names from the image), from inside; --rm leaves nothing', async () => {
    const envFile = path.join(work, 'vars.env');
    fs.writeFileSync(envFile, '# docker format\nFILE_VAR=from file\nPASSED\nA=file loses\n');
    const id = name();
    const before = await ids();
    const { stdout } = await tsctl(
      ['run', '--rm', '--name', id, '-e', 'A=flag wins', '-e', 'PASSED', '-e', 'NOT_SET_ANYWHERE', '--env-file', envFile, '-w', '/tmp', '-u', 'nobody:tty', ref,
        'sh', '-c', 'echo "$A|$PASSED|$FILE_VAR|${NOT_SET_ANYWHERE-unset}"; pwd; id -u; id -g; echo "$HOME"'],
      { PASSED: 'from tsctl', NOT_SET_ANYWHERE: undefined },
    );
    // HOME is nobody's in the image's /etc/passwd.
    expect(stdout).toBe('flag wins|from tsctl|from file|unset\n/tmp\n65534\n5\n/\n');
    expect(await ids()).toEqual(before);
    // A name the image lacks: refused naming the field, nothing made.
    const bad = await failed(['run', '--rm', '--name', name(), '-u', 'nosuchuser', ref, 'true']);
    expect(bad.stderr).toMatch(/overrides\.user: image .*nosuchuser/);
    expect(await ids()).toEqual(before);
  });

  test("--entrypoint replaces the Entrypoint and drops the image's Cmd; '' clears it", async () => {
    expect((await tsctl(['run', '--rm', '--entrypoint', 'echo', ref, 'a', 'b'])).stdout).toBe('a b\n');
    // The image's Cmd is ["sh"]: gone, echo prints an empty line.
    expect((await tsctl(['run', '--rm', '--entrypoint', 'echo', ref])).stdout).toBe('\n');
    expect((await tsctl(['run', '--rm', '--entrypoint', '', ref, 'echo', 'cleared'])).stdout).toBe('cleared\n');
    const before = await ids();
    expect((await failed(['run', '--rm', '--entrypoint', '', ref])).stderr).toMatch(/has no Entrypoint or Cmd: give the command to run/);
    expect(await ids()).toEqual(before);
  });

  test('--label, -l and --label-file: the container record\'s labels, and ls filters on them', async () => {
    const labelFile = path.join(work, 'labels');
    fs.writeFileSync(labelFile, 'team=file\nowner=pf\n');
    const id = name();
    expect((await tsctl(['create', '--name', id, '--label-file', labelFile, '--label', 'team=flag', '-l', 'bare', ref, 'true'])).stdout).toBe(`${id}\n`);
    expect((await f.c().getContainer(id)).labels).toEqual({ team: 'flag', owner: 'pf', bare: '' });
    expect((await tsctl(['ls', '-a', '-q', '--filter', 'label=team=flag'])).stdout).toBe(`${id}\n`);
    await f.c().deleteContainer(id);
  });

  test('--read-only: / refuses writes; /dev, /dev/shm, a volume and a tmpfs take them', async () => {
    const vols = await volumes();
    const script = [
      'touch /root-file 2>&1 || true',
      'touch /etc/x 2>&1 || true',
      'for d in /dev /dev/shm /data /scratch; do touch $d/f && echo "$d ok"; done',
      'grep " / " /proc/mounts | grep -q "[ ,]ro[ ,]" && echo "/ is ro"',
    ].join('; ');
    const { stdout } = await tsctl(['run', '--rm', '--read-only', '-v', '/data', '--tmpfs', '/scratch', ref, 'sh', '-c', script]);
    expect(stdout).toBe(
      "touch: /root-file: Read-only file system\ntouch: /etc/x: Read-only file system\n/dev ok\n/dev/shm ok\n/data ok\n/scratch ok\n/ is ro\n",
    );
    // --rm took the anonymous volume too.
    expect(await volumes()).toEqual(vols);
    const id = name();
    await tsctl(['create', '--name', id, '--read-only', ref, 'true']);
    expect(JSON.parse((await f.c().getContainer(id)).specJson).root).toMatchObject({ readonly: true });
    await f.c().deleteContainer(id);
  });

  test('foreground --rm: the exit status and output as before, the container gone when tsctl returns', async () => {
    const id = name();
    const r = await failed(['run', '--rm', '--name', id, ref, 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(r).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    expect(await ids()).not.toContain(id);
    await expect(f.c().getContainer(id)).rejects.toMatchObject({ code: 5 });
    // A command that cannot start: tsctl gives up on it, the container goes all the same.
    const missing = name();
    expect((await failed(['run', '--rm', '--name', missing, ref, '/no/such/command'])).stderr).toMatch(/no\/such\/command/);
    expect(await ids()).not.toContain(missing);
  });

  test('-d --rm: tsrund removes the container and its anonymous volume once it exits', async () => {
    const id = name();
    const vols = await volumes();
    expect((await tsctl(['run', '-d', '--rm', '--name', id, '-v', '/data', ref, 'sh', '-c', 'sleep 0.5'])).stdout).toBe(`${id}\n`);
    const c = await f.c().getContainer(id);
    expect(c.overrides).toMatchObject({ autoRemove: true });
    expect((await f.c().getTask(id)).status).toBe('RUNNING');
    expect((await volumes()).length).toBe(vols.length + 1);
    await until(async () => !(await ids()).includes(id), 10_000);
    expect((await f.c().listTasks()).map((t) => t.id)).not.toContain(id);
    expect(await volumes()).toEqual(vols);
    await until(() => f.daemon.stderr.includes(`container ${id}: removed once its task exited (auto-remove)`));
  });

  test('bad input changes nothing: --rm with --restart, a bad env-file line, --pull sometimes, --pull never of a missing image', async () => {
    const before = await ids();
    const badEnv = path.join(work, 'bad.env');
    fs.writeFileSync(badEnv, 'GOOD=1\n\nNOT A NAME=2\n');
    const cases: [string[], RegExp][] = [
      [['run', '-d', '--rm', '--restart', 'always', ref, 'true'], /--rm and --restart do not go together/],
      [['create', '--rm', '--restart', 'on-failure:2', ref, 'true'], /--rm and --restart do not go together/],
      [['run', '--env-file', badEnv, ref, 'true'], new RegExp(`--env-file ${badEnv}:3: the name "NOT A NAME" has white space in it`)],
      [['run', '--env-file', path.join(work, 'none.env'), ref, 'true'], new RegExp(`--env-file ${work}/none\\.env: no such file or directory`)],
      [['run', '--pull', 'sometimes', ref, 'true'], /--pull "sometimes": give always, missing or never/],
      [['run', '--pull', 'never', 'localhost/tsrun-test/absent:1', 'true'], /image localhost\/tsrun-test\/absent:1 not present; pull it or use --pull missing/],
      [['run', '--entrypoint', 'echo', '--bundle', f.bundle(['true']).dir], /overrides\.entrypoint: only an image has an entrypoint/],
    ];
    for (const [args, message] of cases) {
      const r = await failed([...args.slice(0, 1), '--name', name(), ...args.slice(1)]);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
      expect(r.code).not.toBe(0);
    }
    expect(await ids()).toEqual(before);
    expect((await f.c().version()).version).toBeTruthy();
  });

  (haveRegistryTools ? describe : describe.skip)('--pull and --platform against a local docker-registry', () => {
    const registry = new TestRegistry();
    const arch = process.arch === 'x64' ? 'amd64' : process.arch;
    const other = arch === 'amd64' ? 'arm64' : 'amd64';
    beforeAll(async () => {
      await registry.start();
      const layout = new Layout(path.join(work, 'layout'));
      const busybox = layout.layer(BUSYBOX_FILES);
      layout.tag(layout.image([busybox], { architecture: arch }), 'single');
      // The index's manifest for this machine is its own (not pf-busybox's), so that pulling the other one does not bring it.
      const host = layout.image([busybox, layout.layer([{ path: 'etc/arch', content: 'host\n' }])], { architecture: arch });
      const foreign = layout.image([layout.layer([{ path: 'etc/arch', content: `${other}\n` }])], { architecture: other });
      layout.tag(layout.imageIndex([{ ...host, platform: { os: 'linux', architecture: arch } }, foreign]), 'multiarch');
      await registry.push(layout.dir, 'single', 'tsrun/pf-busybox:1');
      await registry.push(layout.dir, 'multiarch', 'tsrun/pf-multiarch:1');
    });
    afterAll(() => registry.stop());

    test('missing: run pulls first, progress on stderr; then it is here; always pulls again; never runs what is here', async () => {
      const image = `${registry.host}/tsrun/pf-busybox:1`;
      const first = await tsctl(['run', '--rm', image, 'sh', '-c', 'echo pulled']);
      expect(first.stdout).toBe('pulled\n');
      expect(first.stderr).toMatch(new RegExp(`^Unable to find image '${image}' locally\n1: Pulling from ${registry.host}/tsrun/pf-busybox\n`));
      expect(first.stderr).toMatch(/[0-9a-f]{12}: Download complete\n/);
      expect(first.stderr).toMatch(new RegExp(`Digest: sha256:[0-9a-f]{64}\nStatus: Downloaded newer image for ${image}\n$`));
      expect((await f.c().getImage(image)).image?.name).toBe(image);
      expect(await tsctl(['run', '--rm', image, 'sh', '-c', 'echo here'])).toEqual({ stdout: 'here\n', stderr: '' });
      const again = await tsctl(['create', '--pull', 'always', '--name', name(), image, 'true']);
      expect(again.stderr).toMatch(new RegExp(`Status: Image is up to date for ${image}\n$`));
      expect(again.stderr).not.toContain('Unable to find');
      await f.c().deleteContainer(again.stdout.trim());
      expect(await tsctl(['run', '--rm', '--pull', 'never', image, 'sh', '-c', 'echo never'])).toEqual({ stdout: 'never\n', stderr: '' });
    });

    test('--platform: the pull is of that platform; an image here for another platform is refused', async () => {
      const image = `${registry.host}/tsrun/pf-busybox:1`;
      const before = await ids();
      expect((await tsctl(['run', '--rm', '--platform', `linux/${arch}`, image, 'sh', '-c', 'echo same'])).stdout).toBe('same\n');
      const r = await failed(['run', '--rm', '--platform', `linux/${other}`, image, 'true']);
      expect(r.stderr).toBe(`tsctl: image ${image} is here for linux/${arch}, not for linux/${other} (--platform): tsrund runs an image for its own platform\n`);
      // Not here: the pull is of that platform's manifest only, which is not tsrund's: refused, nothing made.
      const multi = `${registry.host}/tsrun/pf-multiarch:1`;
      const pulled = await failed(['run', '--rm', '--platform', `linux/${other}`, multi, 'true']);
      expect(pulled.stderr).toMatch(new RegExp(`^Unable to find image '${multi}' locally\n`));
      expect(pulled.stderr).toMatch(new RegExp(`tsctl: image ${multi}: pulled, but it has no manifest for tsrund's platform here\n$`));
      expect((await f.c().getImage(multi, { platform: `linux/${other}` })).configJson).toContain(`"architecture":"${other}"`);
      expect(await ids()).toEqual(before);
    });
  });
});
