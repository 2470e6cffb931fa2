/**
 * ImageService through a real tsrund's CRI socket, pulling from real docker-registry processes on
 * 127.0.0.1: anonymous, htpasswd (Basic) and token-authenticated ones with the request's
 * AuthConfig, and mirrors: a registry host that is only ever a name (127.0.0.9/127.0.0.10 on
 * ports nothing listens on) whose images come from the mirror in front of it. The store is
 * tsrund's own: what the CRI pulls, tsrund's Images service lists, and the other way round.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import * as grpc from '@grpc/grpc-js';
import type { Image } from '../../supervisor/api/generated/cri-types';
import { BUSYBOX_FILES, freePort, haveRegistryTools, Layout, TestRegistry, type Desc } from '../helpers/registry';
import { failure, TestDaemon } from '../supervisor/daemon';
import { CriClient } from './client';

const maybe = haveRegistryTools ? describe : describe.skip;
const user = { username: 'cc-user', password: 'cc-secret' };

maybe('CRI ImageService over tsrund store', () => {
  const plain = new TestRegistry();
  const mirror = new TestRegistry();
  const basic = new TestRegistry({ kind: 'basic', user });
  const token = new TestRegistry({ kind: 'token', user });
  const daemon = new TestDaemon();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-images-'));
  let cri: CriClient;
  let image: Desc;
  let configDigest: string;
  /** Registry hosts that only mirrors serve: nothing listens there. */
  let flagHost: string;
  let fileHost: string;
  let deadPort: number;

  beforeAll(async () => {
    await Promise.all([plain.start(), mirror.start(), basic.start(), token.start()]);
    flagHost = `127.0.0.9:${await freePort()}`;
    fileHost = `127.0.0.10:${await freePort()}`;
    deadPort = await freePort();
    const layout = new Layout(path.join(work, 'layout'));
    image = layout.image([layout.layer(BUSYBOX_FILES)]);
    layout.tag(image, 'one');
    configDigest = JSON.parse(fs.readFileSync(path.join(layout.dir, 'blobs/sha256', image.digest.slice(7)), 'utf8')).config.digest;
    await Promise.all([
      plain.pushEach(layout.dir, [['one', 'cc/busybox:1'], ['one', 'cc/busybox:2']]),
      mirror.push(layout.dir, 'one', 'cc/mirrored:1'),
      basic.push(layout.dir, 'one', 'cc/private:1'),
      token.push(layout.dir, 'one', 'cc/private:1'),
    ]);
    const certs = path.join(work, 'certs.d');
    fs.mkdirSync(path.join(certs, fileHost), { recursive: true });
    fs.writeFileSync(
      path.join(certs, fileHost, 'hosts.toml'),
      [
        '# the registry itself is the plain one; two mirrors before it, the first one down',
        `server = "http://${plain.host}"`,
        '',
        `[host."http://127.0.0.1:${deadPort}"]`,
        '  capabilities = ["pull", "resolve"]',
        '',
        `[host."http://${mirror.host}"]`,
        "  capabilities = ['pull', 'resolve']",
        '',
      ].join('\n'),
    );
    await daemon.start(['--registry-mirror', `${flagHost}=http://${mirror.host}`, '--registry-config-dir', certs]);
    cri = new CriClient(daemon.criAddress);
  }, 120_000);

  afterAll(async () => {
    cri?.close();
    await daemon.cleanup();
    await Promise.all([plain.stop(), mirror.stop(), basic.stop(), token.stop()]);
    fs.rmSync(work, { recursive: true, force: true });
  });

  const status = async (ref: string, verbose = false) => cri.image('imageStatus', { image: { image: ref }, verbose });
  const pull = (ref: string, auth: Record<string, string> = {}) => cri.image('pullImage', { image: { image: ref }, auth });
  const remove = (ref: string) => cri.image('removeImage', { image: { image: ref } });

  test('PullImage answers the image id (the config digest); ImageStatus finds it by name, id and repository@digest', async () => {
    const ref = `${plain.host}/cc/busybox:1`;
    expect(await pull(ref)).toEqual({ imageRef: configDigest });
    const expected: Partial<Image> = {
      id: configDigest,
      repoTags: [ref],
      repoDigests: [`${plain.host}/cc/busybox@${image.digest}`],
      uid: null,
      username: '',
      pinned: false,
    };
    const got = (await status(ref)).image!;
    expect(got).toMatchObject(expected);
    expect(got.size).toBeGreaterThan(fs.statSync('/bin/busybox').size / 4);
    for (const other of [configDigest, configDigest.slice(7), `${plain.host}/cc/busybox@${image.digest}`]) expect((await status(other)).image).toEqual(got);
    // One store: tsrund's own Images service has the same image.
    expect((await daemon.client.listImages()).map((i) => i.name)).toContain(ref);
  });

  test('ListImages groups the names of one image; the filter names an image; tsrund pulls show up too', async () => {
    for await (const _ of daemon.client.pullImage(`${plain.host}/cc/busybox:2`));
    const all = (await cri.image('listImages')).images;
    expect(all).toHaveLength(1);
    expect(all[0].repoTags).toEqual([`${plain.host}/cc/busybox:1`, `${plain.host}/cc/busybox:2`]);
    expect(all[0].repoDigests).toEqual([`${plain.host}/cc/busybox@${image.digest}`]);
    expect((await cri.image('listImages', { filter: { image: { image: `${plain.host}/cc/busybox:2` } } })).images.map((i) => i.id)).toEqual([configDigest]);
    expect((await cri.image('listImages', { filter: { image: { image: `${plain.host}/cc/none:1` } } })).images).toEqual([]);
    const streamed = await cri.stream('ImageService', 'streamImages');
    expect(streamed.flatMap((m) => m.images)).toEqual(all);
  });

  test('ImageStatus of an image that is not there leaves image unset; verbose gives the config; bad requests name the field', async () => {
    expect(await status(`${plain.host}/cc/none:1`)).toEqual({ image: null, info: {} });
    expect(await status('sha256:' + 'f'.repeat(64))).toEqual({ image: null, info: {} });
    const verbose = await status(`${plain.host}/cc/busybox:1`, true);
    const info = JSON.parse(verbose.info.info);
    expect(info).toMatchObject({ id: configDigest, manifestDigest: image.digest, imageSpec: { rootfs: { type: 'layers' } } });
    expect(info.names).toEqual([`${plain.host}/cc/busybox:1`, `${plain.host}/cc/busybox:2`]);
    expect(await failure(cri.image('imageStatus', {}))).toEqual({ code: grpc.status.INVALID_ARGUMENT, details: 'image.image: is required' });
    expect(await failure(status('UPPER/Case'))).toEqual({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringMatching(/^image\.image: image reference "UPPER\/Case": /) });
  });

  test('ImageFsInfo: the store filesystem, bytes and inodes in use as du counts them', async () => {
    const fsInfo = await cri.image('imageFsInfo');
    expect(fsInfo.imageFilesystems).toHaveLength(1);
    const u = fsInfo.imageFilesystems[0];
    expect(u.fsId).toEqual({ mountpoint: daemon.root });
    const dirs = ['content', 'snapshots'].map((d) => path.join(daemon.root, d));
    const du = (args: string[]) => execFileSync('du', ['-s', '-c', ...args, ...dirs], { encoding: 'utf8' }).trim().split('\n').pop()!.split('\t')[0];
    expect(u.usedBytes!.value).toBe(Number(du(['-B1'])));
    expect(u.inodesUsed!.value).toBe(Number(du(['--inodes'])));
    expect(Math.abs(u.timestamp / 1e6 - Date.now())).toBeLessThan(60_000);
  });

  test('RemoveImage removes every name of the image, and again is no error; bad requests name the field', async () => {
    expect(await remove(`${plain.host}/cc/busybox:2`)).toEqual({});
    expect(await status(`${plain.host}/cc/busybox:1`)).toEqual({ image: null, info: {} });
    expect((await daemon.client.listImages()).map((i) => i.name)).toEqual([]);
    expect(await remove(`${plain.host}/cc/busybox:2`)).toEqual({});
    expect(await remove(configDigest)).toEqual({});
    expect(await failure(cri.image('removeImage', { image: { image: '' } }))).toEqual({ code: grpc.status.INVALID_ARGUMENT, details: 'image.image: is required' });
  });

  test('PullImage errors: no image, a bad reference, a tag the registry lacks', async () => {
    expect(await failure(cri.image('pullImage', {}))).toEqual({ code: grpc.status.INVALID_ARGUMENT, details: 'image.image: is required' });
    expect(await failure(pull('a\0b'))).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringMatching(/^image\.image: /) });
    const missing = await failure(pull(`${plain.host}/cc/busybox:nope`));
    expect(missing).toEqual({ code: grpc.status.NOT_FOUND, details: expect.stringContaining(`manifest ${plain.host}/cc/busybox:nope: not found`) });
  });

  describe('the request AuthConfig', () => {
    afterEach(async () => {
      for (const i of (await cri.image('listImages')).images) await remove(i.id);
    });

    test('Basic: refused without it; username/password, or auth (base64), let the pull through', async () => {
      const ref = `${basic.host}/cc/private:1`;
      expect((await failure(pull(ref)))?.details).toContain('unauthorized: the registry asks for credentials');
      expect(await pull(ref, { username: user.username, password: user.password })).toEqual({ imageRef: configDigest });
      await remove(ref);
      const auth = Buffer.from(`${user.username}:${user.password}`).toString('base64');
      expect(await pull(ref, { auth, serverAddress: basic.host })).toEqual({ imageRef: configDigest });
    });

    test('Basic: a wrong password, credentials for another registry, auth that is not user:password', async () => {
      const ref = `${basic.host}/cc/private:1`;
      expect((await failure(pull(ref, { username: user.username, password: 'wrong' })))?.details).toContain('the registry refused the credentials');
      const elsewhere = await failure(pull(ref, { username: user.username, password: user.password, serverAddress: plain.host }));
      expect(elsewhere?.details).toContain(`the pull's credentials are for ${plain.host}`);
      expect(await failure(pull(ref, { auth: Buffer.from('no-colon').toString('base64') }))).toEqual({
        code: grpc.status.INVALID_ARGUMENT,
        details: 'auth.auth: is not base64 of "user:password"',
      });
      expect((await cri.image('listImages')).images).toEqual([]);
    });

    test('token auth: user/password, identity_token (a refresh token traded by POST), registry_token (sent as is)', async () => {
      const ref = `${token.host}/cc/private:1`;
      expect((await failure(pull(ref)))?.details).toContain('unauthorized');
      expect(await pull(ref, { username: user.username, password: user.password })).toEqual({ imageRef: configDigest });
      await remove(ref);
      expect(await pull(ref, { identityToken: token.token!.identityToken })).toEqual({ imageRef: configDigest });
      await remove(ref);
      expect((await failure(pull(ref, { identityToken: 'cc-wrong' })))?.details).toContain('refused the credentials');

      const realm = new URL(`http://127.0.0.1:${(token.token!.server.address() as { port: number }).port}/token`);
      realm.searchParams.set('service', 'tsrun-test-registry');
      realm.searchParams.set('scope', 'repository:cc/private:pull');
      const bearer = await new Promise<string>((resolve, reject) =>
        http
          .get(realm, { headers: { Authorization: `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}` } }, (res) => {
            let body = '';
            res.on('data', (d) => (body += d));
            res.on('end', () => resolve(JSON.parse(body).token));
          })
          .on('error', reject),
      );
      expect(await pull(ref, { registryToken: bearer })).toEqual({ imageRef: configDigest });
      await remove(ref);
      expect((await failure(pull(ref, { registryToken: 'cc-not-a-token' })))?.details).toContain('unauthorized');
    });
  });

  describe('registry mirrors', () => {
    afterEach(async () => {
      for (const i of (await cri.image('listImages')).images) await remove(i.id);
    });

    test('--registry-mirror: an image only the mirror has, named by a registry nothing serves; tsrund Images.Pull too', async () => {
      const ref = `${flagHost}/cc/mirrored:1`;
      expect(await pull(ref)).toEqual({ imageRef: configDigest });
      expect((await status(ref)).image).toMatchObject({ repoTags: [ref], repoDigests: [`${flagHost}/cc/mirrored@${image.digest}`] });
      await remove(ref);
      const msgs = [];
      for await (const m of daemon.client.pullImage(ref)) msgs.push(m);
      expect(msgs[msgs.length - 1].image?.name).toBe(ref);
    });

    test('hosts.toml: a mirror that is down is passed over, the next one serves; what it lacks comes from the server', async () => {
      expect(await pull(`${fileHost}/cc/mirrored:1`)).toEqual({ imageRef: configDigest });
      // The mirror has no cc/busybox: the server named in hosts.toml (the plain registry) has.
      expect(await pull(`${fileHost}/cc/busybox:1`)).toEqual({ imageRef: configDigest });
      expect((await cri.image('listImages')).images[0].repoTags).toEqual([`${fileHost}/cc/busybox:1`, `${fileHost}/cc/mirrored:1`]);
    });

    test('when every endpoint fails, the error is the registry own, with what the mirrors said', async () => {
      const err = await failure(pull(`${flagHost}/cc/nothing:1`));
      expect(err?.code).toBe(grpc.status.UNAVAILABLE);
      expect(err?.details).toMatch(new RegExp(`^registry unreachable: GET http://${flagHost.replace(/\./g, '\\.')}/v2/cc/nothing/manifests/1: .*mirrors tried first: http://${mirror.host}: manifest .*not found`));
    });

    test('Status verbose info lists the mirrors in the order they are tried', async () => {
      const config = JSON.parse((await cri.runtime('status', { verbose: true })).info.config);
      expect(config.registryMirrors).toEqual({
        [flagHost]: [`http://${mirror.host}/v2/`],
        [fileHost]: [`http://127.0.0.1:${deadPort}/v2/`, `http://${mirror.host}/v2/`, `http://${plain.host}/v2/`],
      });
    });
  });
});
