/**
 * tsrund's builds end to end (needs root, docker-registry and skopeo): a real tsrund pulls the
 * busybox base from a local registry, RUN steps run as its own tasks, the results are checked by
 * running the built images and reading their configs; the cache's hits and misses are read from
 * the result's per-step flags; a failed build leaves nothing of its own behind.
 */
import * as fs from 'fs';
import * as path from 'path';
import { haveRegistryTools } from '../helpers/registry';
import { END, header, pad } from '../helpers/tar-forge';
import { failure, TestDaemon, until } from '../supervisor/daemon';
import { build, buildFixture, drain, gnuTar, NO_OPTIONS, rebuilt, runImage, writeContext } from './build-helpers';

jest.setTimeout(300_000);

const runnable = process.getuid?.() === 0 && haveRegistryTools;

(runnable ? describe : describe.skip)('tsrund builds (needs root, docker-registry and skopeo)', () => {
  const { daemon, work, base: baseRef } = buildFixture();
  const c = () => daemon.client;
  const blobs = () => fs.readdirSync(path.join(daemon.root, 'content', 'blobs', 'sha256')).sort();
  const configOf = async (name: string) => JSON.parse((await c().getImage(name)).configJson);

  test('a single-stage build: the base pulled, COPY and RUN as layers, the image runs with what they made', async () => {
    const ctx = writeContext(work, 'single', {
      Dockerfile: `FROM ${baseRef()}\nWORKDIR /app\nCOPY hello.txt ./\nRUN echo "built by RUN" > made.txt && rm /etc/base-file\nCMD ["cat", "/app/hello.txt", "/app/made.txt"]\n`,
      'hello.txt': 'hello from the context\n',
    });
    const b = await build(c(), ctx, { tags: ['localhost/tsrun-build/single:1'] });
    expect(b.result.names).toEqual(['localhost/tsrun-build/single:1']);
    expect(b.result.steps.map((s) => s.instruction)).toEqual([`FROM ${baseRef()}`, 'WORKDIR /app', 'COPY hello.txt ./', 'RUN echo "built by RUN" > made.txt && rm /etc/base-file', 'CMD ["cat","/app/hello.txt","/app/made.txt"]']);
    const run = await runImage(c(), 'localhost/tsrun-build/single:1');
    expect(run).toEqual({ status: 0, out: 'hello from the context\nbuilt by RUN\n' });
    // The RUN's whiteout of a base file: gone in the built image.
    expect(await runImage(c(), 'localhost/tsrun-build/single:1', ['sh', '-c', 'test -e /etc/base-file && echo present || echo gone'])).toEqual({ status: 0, out: 'gone\n' });
    const config = await configOf('localhost/tsrun-build/single:1');
    expect(config.created).toBe('1970-01-01T00:00:00Z');
    expect(config.rootfs.diff_ids).toHaveLength(3);
    expect(config.history.slice(-4).map((h: { empty_layer?: boolean }) => h.empty_layer === true)).toEqual([true, false, false, true]);
  });

  test('the cache: a rebuild with no change reuses every step, makes no blob and gives the same digest; one changed file rebuilds its COPY and what follows', async () => {
    const ctx = writeContext(work, 'cache', {
      Dockerfile: `FROM ${baseRef()}\nCOPY deps.txt /app/\nRUN wc -c /app/deps.txt > /app/deps.count\nCOPY src.txt /app/\nRUN cat /app/src.txt > /app/out\nCMD ["cat", "/app/out"]\n`,
      'deps.txt': 'dependency list\n',
      'src.txt': 'version 1\n',
    });
    const first = await build(c(), ctx, { tags: ['localhost/tsrun-build/cache:1'] });
    const before = blobs();
    const again = await build(c(), ctx, { tags: ['localhost/tsrun-build/cache:1'] });
    expect(again.result.manifestDigest).toBe(first.result.manifestDigest);
    expect(rebuilt(again)).toEqual([`FROM ${baseRef()}`]);
    expect(blobs()).toEqual(before);
    fs.writeFileSync(path.join(ctx, 'src.txt'), 'version 2\n');
    const changed = await build(c(), ctx, { tags: ['localhost/tsrun-build/cache:1'] });
    expect(rebuilt(changed)).toEqual([`FROM ${baseRef()}`, 'COPY src.txt /app/', 'RUN cat /app/src.txt > /app/out', 'CMD ["cat","/app/out"]']);
    expect(changed.result.manifestDigest).not.toBe(first.result.manifestDigest);
    expect((await runImage(c(), 'localhost/tsrun-build/cache:1')).out).toBe('version 2\n');
    // An mtime alone is no change.
    fs.utimesSync(path.join(ctx, 'deps.txt'), 12345, 12345);
    expect(rebuilt(await build(c(), ctx, {}))).toEqual([`FROM ${baseRef()}`]);
    // --no-cache runs every step, and gives the same image.
    const fresh = await build(c(), ctx, { noCache: true });
    expect(fresh.result.steps.every((s) => !s.cached)).toBe(true);
    expect(fresh.result.manifestDigest).toBe(changed.result.manifestDigest);
    // Untagged, the image is recorded as docker's dangling one, and runs by that name.
    const dangling = `<none>@${fresh.result.manifestDigest}`;
    expect(fresh.result.names).toEqual([dangling]);
    expect((await runImage(c(), dangling)).out).toBe('version 2\n');
  });

  test('a multi-stage build: COPY --from a stage by name, --target stops at a stage', async () => {
    const ctx = writeContext(work, 'multi', {
      Dockerfile: [
        `FROM ${baseRef()} AS builder`,
        'RUN mkdir -p /out && echo "compiled" > /out/app && echo unused > /out/other',
        `FROM ${baseRef()}`,
        'COPY --from=builder --chown=app:app /out/app /usr/local/bin/',
        'CMD ["sh", "-c", "cat /usr/local/bin/app; stat -c %u:%g /usr/local/bin/app; test -e /out || echo no-out"]',
        '',
      ].join('\n'),
    });
    const b = await build(c(), ctx, { tags: ['localhost/tsrun-build/multi:1'] });
    expect(await runImage(c(), 'localhost/tsrun-build/multi:1')).toEqual({ status: 0, out: 'compiled\n1234:2345\nno-out\n' });
    expect(b.result.steps).toHaveLength(5);
    const target = await build(c(), ctx, { tags: ['localhost/tsrun-build/multi:builder'], target: 'builder' });
    expect(target.result.steps.map((s) => s.instruction)).toEqual([`FROM ${baseRef()} AS builder`, 'RUN mkdir -p /out && echo "compiled" > /out/app && echo unused > /out/other']);
    expect((await runImage(c(), 'localhost/tsrun-build/multi:builder', ['cat', '/out/other'])).out).toBe('unused\n');
  });

  test('every instruction: the config the image gets', async () => {
    const ctx = writeContext(work, 'all', {
      Dockerfile: [
        'ARG BASE',
        'FROM $BASE',
        'MAINTAINER someone@example.com',
        'ARG VERSION=1.0',
        'ENV APP_HOME=/srv/app GREETING="hello world"',
        'LABEL org.example.version=$VERSION "org.example.name"="app"',
        'WORKDIR $APP_HOME',
        'WORKDIR sub',
        'USER app:app',
        'EXPOSE 8080 53/udp',
        'VOLUME ["/data"]',
        'STOPSIGNAL SIGINT',
        'SHELL ["/bin/sh", "-ec"]',
        'HEALTHCHECK --interval=5s --retries=2 CMD test -e /srv/app',
        'ONBUILD RUN echo child',
        'ADD --chmod=0640 data.tar.gz /srv/unpacked/',
        'COPY --chmod=0755 *.sh /srv/bin/',
        'RUN echo "$GREETING $VERSION $(id -u) in $(pwd)"',
        'ENTRYPOINT ["/bin/sh", "-c"]',
        'CMD ["ls /srv/unpacked; stat -c %a /srv/bin/a.sh"]',
        '',
      ].join('\n'),
      'a.sh': 'echo a\n',
      'b.sh': 'echo b\n',
    });
    fs.mkdirSync(path.join(work, 'tar-src/inner'), { recursive: true });
    fs.writeFileSync(path.join(work, 'tar-src/inner/f.txt'), 'in the tar\n');
    require('child_process').execFileSync('tar', ['-C', path.join(work, 'tar-src'), '-czf', path.join(ctx, 'data.tar.gz'), 'inner']);
    const b = await build(c(), ctx, { tags: ['localhost/tsrun-build/all:1'], buildArgs: { BASE: baseRef(), VERSION: '2.5' } });
    expect(b.result.steps.every((s) => !s.cached)).toBe(true);
    const config = await configOf('localhost/tsrun-build/all:1');
    expect(config.author).toBe('someone@example.com');
    expect(config.config).toMatchObject({
      Env: expect.arrayContaining(['APP_HOME=/srv/app', 'GREETING=hello world']),
      Labels: { 'org.example.version': '2.5', 'org.example.name': 'app' },
      WorkingDir: '/srv/app/sub',
      User: 'app:app',
      ExposedPorts: { '8080/tcp': {}, '53/udp': {} },
      Volumes: { '/data': {} },
      StopSignal: 'SIGINT',
      Shell: ['/bin/sh', '-ec'],
      Healthcheck: { Test: ['CMD-SHELL', 'test -e /srv/app'], Interval: 5e9, Retries: 2 },
      OnBuild: ['RUN echo child'],
      Entrypoint: ['/bin/sh', '-c'],
      Cmd: ['ls /srv/unpacked; stat -c %a /srv/bin/a.sh'],
    });
    // The ARG is no part of the image's environment; RUN saw it, as the user USER named.
    expect(config.config.Env.some((e: string) => e.startsWith('VERSION='))).toBe(false);
    const run = await runImage(c(), 'localhost/tsrun-build/all:1');
    expect(b.output).toBe('hello world 2.5 1234 in /srv/app/sub\n');
    expect(run).toEqual({ status: 0, out: 'inner\n755\n' });
  });

  test("RUN's network: a loopback only by default, tsrund's default network with --network bridge", async () => {
    const ctx = writeContext(work, 'net', { Dockerfile: `FROM ${baseRef()}\nRUN ls /sys/class/net\n` });
    expect((await build(c(), ctx, { noCache: true })).output).toBe('lo\n');
    expect((await build(c(), ctx, { noCache: true, network: 'bridge' })).output).toBe('eth0\nlo\n');
    expect((await failure(build(c(), ctx, { network: 'host' })))?.details).toMatch(/^network: "host": a build's network is "none" or "bridge"/);
  });

  test('two builds on two fresh tsrund roots give one digest', async () => {
    const other = new TestDaemon();
    await other.start();
    try {
      const files = { Dockerfile: `FROM ${baseRef()}\nCOPY f.txt /f.txt\nRUN echo ran > /ran\nENV A=b\n`, 'f.txt': 'same\n' };
      const one = await build(c(), writeContext(work, 'repro-a', files));
      const two = await build(other.client, writeContext(work, 'repro-b', files));
      expect(two.result.manifestDigest).toBe(one.result.manifestDigest);
      // SOURCE_DATE_EPOCH as a build arg: every time in the image is that one.
      const dated = await build(c(), writeContext(work, 'repro-c', files), { tags: ['localhost/tsrun-build/dated:1'], buildArgs: { SOURCE_DATE_EPOCH: '1700000000' } });
      expect(dated.result.manifestDigest).not.toBe(one.result.manifestDigest);
      const config = await configOf('localhost/tsrun-build/dated:1');
      expect(config.created).toBe('2023-11-14T22:13:20Z');
      expect(config.history.slice(-3).map((h: { created: string }) => h.created)).toEqual(Array(3).fill('2023-11-14T22:13:20Z'));
    } finally {
      await other.cleanup();
    }
  });

  test('a client that goes away during a RUN: the task is killed, nothing of the build stays, tsrund serves', async () => {
    const ctx = writeContext(work, 'cancel', { Dockerfile: `FROM ${baseRef()}\nRUN echo started; sleep 600\n` });
    for await (const m of c().build({ ...NO_OPTIONS }, gnuTar(ctx))) {
      if (m.progress?.status === 'output' && m.progress.output.toString() === 'started\n') break;
    }
    await until(async () => (await c().listTasks()).length === 0, 20_000);
    await until(() => fs.readdirSync(path.join(daemon.root, 'snapshots', 'active')).length === 0 && fs.readdirSync(path.join(daemon.root, 'build-tmp')).length === 0, 20_000);
    expect(await c().health()).toBe('SERVING');
  });

  test('a hostile context is refused: an entry escaping by "..", a COPY through a symlink out of the context stays inside it', async () => {
    const evil = Buffer.concat([header({ name: 'Dockerfile', typeflag: '0', size: 5 }), Buffer.from('FROM '), pad(5), header({ name: '../escaped', typeflag: '0', size: 1 }), Buffer.from('x'), pad(1), END]);
    const f = await failure(drain(c().build({ ...NO_OPTIONS }, (async function* () { yield evil; })())));
    expect(f?.details).toMatch(/^context: build context: entry "..\/escaped": ".." components are refused/);
    expect(fs.existsSync(path.join(daemon.root, 'build-tmp', 'escaped'))).toBe(false);
    expect(fs.readdirSync(path.join(daemon.root, 'build-tmp'))).toEqual([]);
    const ctx = writeContext(work, 'link', { Dockerfile: `FROM ${baseRef()}\nCOPY link/passwd /x\n` });
    fs.symlinkSync('/etc', path.join(ctx, 'link'));
    expect((await failure(build(c(), ctx)))?.details).toMatch(/^Dockerfile:2:1: COPY: "link\/passwd" is not in the build context/);
  });

  describe('a failed build names the Dockerfile line and leaves no container, task, snapshot or blob behind', () => {
    const cases: [string, Record<string, string>, RegExp][] = [
      ['an unknown instruction', { Dockerfile: `FROM @BASE\nRUN true\nFORM x\n` }, /^Dockerfile:3:1: .*FORM/],
      ['COPY of a missing file', { Dockerfile: `FROM @BASE\nCOPY missing.txt /x\n` }, /^Dockerfile:2:1: COPY: "missing.txt" is not in the build context/],
      ['a source escaping the context', { Dockerfile: `FROM @BASE\nCOPY ../../etc/passwd /x\n` }, /^Dockerfile:2:1: COPY: "..\/..\/etc\/passwd" is outside the build context/],
      ['ADD of a URL', { Dockerfile: `FROM @BASE\n\nADD http://127.0.0.1:1/x /x\n` }, /^Dockerfile:3:1: ADD of a URL .* is refused/],
      ['a failing RUN', { Dockerfile: `FROM @BASE\nENV A=1\nRUN echo failing; exit 3\n` }, /^Dockerfile:3: RUN exited with status 3/],
    ];
    test.each(cases)('%s', async (_name, files, message) => {
      await build(c(), writeContext(work, 'warm', { Dockerfile: `FROM ${baseRef()}\n` }));
      const before = blobs();
      const withBase = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, v.replace('@BASE', baseRef())]));
      const f = await failure(build(c(), writeContext(work, 'bad', withBase)));
      expect(f?.details).toMatch(message);
      expect(await c().listTasks()).toEqual([]);
      expect(fs.readdirSync(path.join(daemon.root, 'snapshots', 'active'))).toEqual([]);
      expect(fs.readdirSync(path.join(daemon.root, 'build-tmp'))).toEqual([]);
      expect(blobs()).toEqual(before);
      expect(await c().health()).toBe('SERVING');
    });
  });
});
