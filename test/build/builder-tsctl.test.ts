/**
 * `tsctl build` and `tsctl builder prune` as a user runs them (needs root, docker-registry and
 * skopeo): the context sent with .dockerignore honoured, docker-like step lines, the digest, -o
 * type=oci writing an OCI layout tar that tsrund imports back, a Dockerfile outside the context.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { haveRegistryTools } from '../helpers/registry';
import { TSCTL } from '../supervisor/daemon';
import { buildFixture, runImage, writeContext } from './build-helpers';

jest.setTimeout(300_000);

const runnable = process.getuid?.() === 0 && haveRegistryTools;

(runnable ? describe : describe.skip)('tsctl build (needs root, docker-registry and skopeo)', () => {
  const { daemon, work, base: baseRef } = buildFixture();
  const tsctl = (...args: string[]) => spawnSync(TSCTL, ['--address', daemon.address, ...args], { encoding: 'utf8', timeout: 120_000 });

  test('a build prints its steps and the digest; .dockerignore keeps files out; a rebuild says CACHED; -o writes an OCI archive', async () => {
    const ctx = writeContext(work, 'cli', {
      Dockerfile: `FROM ${baseRef()}\nCOPY . /ctx/\nRUN echo run-output-line; ls /ctx\n`,
      '.dockerignore': 'secret.txt\n',
      'kept.txt': 'kept\n',
      'secret.txt': 'never sent\n',
    });
    const first = tsctl('build', '-t', 'localhost/tsrun-build/cli:1', ctx);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    const lines = first.stdout.split('\n');
    expect(lines).toContain(`#1 [1/3] FROM ${baseRef()}`);
    expect(lines).toContain('#2 [2/3] COPY . /ctx/');
    expect(lines).toContain('run-output-line');
    expect(lines).toContain('kept.txt');
    expect(lines).not.toContain('secret.txt');
    const digest = lines.filter(Boolean).pop()!;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const archive = path.join(work, 'cli.tar');
    const again = tsctl('build', '-t', 'localhost/tsrun-build/cli:1', '-o', `type=oci,dest=${archive}`, ctx);
    expect(again.status).toBe(0);
    expect(again.stdout.split('\n').filter((l) => l === '#2 CACHED' || l === '#3 CACHED')).toEqual(['#2 CACHED', '#3 CACHED']);
    expect(again.stdout.split('\n').filter(Boolean).pop()).toBe(digest);
    const imported = await daemon.client.importImages(archive, { name: 'localhost/tsrun-build/cli:imported' });
    expect(imported[0].target?.digest).toBe(digest);
    expect((await runImage(daemon.client, 'localhost/tsrun-build/cli:imported', ['cat', '/ctx/kept.txt'])).out).toBe('kept\n');
  });

  test('-f names a Dockerfile outside the context; a bad Dockerfile fails with its line; builder prune empties the cache', async () => {
    const ctx = writeContext(work, 'outside', { 'a.txt': 'a\n' });
    const dockerfile = path.join(work, 'Outside.Dockerfile');
    fs.writeFileSync(dockerfile, `FROM ${baseRef()}\nCOPY a.txt /a.txt\n`);
    const ok = tsctl('build', '-f', dockerfile, '--build-arg', 'UNUSED=1', ctx);
    expect(ok.status).toBe(0);
    fs.writeFileSync(dockerfile, `FROM ${baseRef()}\nCOPY a.txt\n`);
    const bad = tsctl('build', '-f', dockerfile, ctx);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/Dockerfile:2:\d+: /);
    const pruned = tsctl('builder', 'prune');
    expect(pruned.status).toBe(0);
    expect(pruned.stdout).toMatch(/^removed [1-9]\d* build cache entries\n$/);
    expect(fs.readdirSync(path.join(daemon.root, 'build-cache'))).toEqual([]);
  });
});
