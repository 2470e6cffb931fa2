/**
 * Real registries for image tests: Debian's docker-registry (distribution 2.8) on
 * 127.0.0.1:<free port> with its own storage and config, anonymous, with htpasswd (Basic) auth,
 * or with token auth against a small token server run here (RS256 JWTs whose x5c certificate,
 * made by openssl, is the registry's root bundle). Images are built as OCI image layouts from
 * busybox and pushed with skopeo. Nothing leaves 127.0.0.1.
 */
import { ChildProcess, execFile, execFileSync, spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';

export const REGISTRY_BIN = '/usr/bin/docker-registry';
export const haveRegistryTools = fs.existsSync(REGISTRY_BIN) && fs.existsSync('/usr/bin/skopeo');

export interface User {
  username: string;
  password: string;
}

export type RegistryAuth = { kind: 'none' } | { kind: 'basic'; user: User } | { kind: 'token'; user: User };

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/**
 * A token server: Basic credentials of `user` get pull+push on every repository, and so does an
 * OAuth2 refresh-token POST with `identityToken` (what a Docker login hands out); anyone else none.
 */
class TokenServer {
  readonly server: http.Server;
  readonly requests: { authorized: boolean; scope: string }[] = [];
  readonly identityToken = `identity-${crypto.randomUUID()}`;

  constructor(
    private readonly user: User,
    private readonly key: crypto.KeyObject,
    private readonly certDer: Buffer,
  ) {
    this.server = http.createServer((req, res) => this.answer(req, res));
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString());
        if (form.get('grant_type') !== 'refresh_token' || form.get('refresh_token') !== this.identityToken) {
          res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad refresh token' }] }));
          return;
        }
        const scope = form.get('scope') ?? '';
        this.requests.push({ authorized: true, scope });
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ access_token: this.sign(form.get('service') ?? '', this.access(scope)) }));
      });
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const expected = `Basic ${Buffer.from(`${this.user.username}:${this.user.password}`).toString('base64')}`;
    const given = req.headers.authorization;
    if (given && given !== expected) {
      res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
      return;
    }
    const authorized = given === expected;
    // The spec's scope parameter may be given more than once (a mount: two repositories).
    const scope = url.searchParams.getAll('scope').join(' ');
    this.requests.push({ authorized, scope });
    const access = authorized ? this.access(scope) : [];
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: this.sign(url.searchParams.get('service') ?? '', access) }));
  }

  /** pull+push on every repository `scope` names. */
  private access(scope: string): object[] {
    return scope
      .split(' ')
      .filter(Boolean)
      .map((s) => {
        const [type, name] = s.split(':');
        return { type, name, actions: ['pull', 'push'] };
      });
  }

  private sign(service: string, access: object[]): string {
    const b64 = (o: object | Buffer) => (Buffer.isBuffer(o) ? o : Buffer.from(JSON.stringify(o))).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', x5c: [this.certDer.toString('base64')] };
    const claims = { iss: 'tsrun-test-issuer', sub: this.user.username, aud: service, exp: now + 600, nbf: now - 10, iat: now, jti: crypto.randomUUID(), access };
    const input = `${b64(header)}.${b64(claims)}`;
    return `${input}.${b64(crypto.sign('sha256', Buffer.from(input), this.key))}`;
  }
}

export class TestRegistry {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-registry-'));
  readonly storage = path.join(this.dir, 'storage');
  host = '';
  proc: ChildProcess | null = null;
  token: TokenServer | null = null;
  log = '';

  constructor(readonly auth: RegistryAuth = { kind: 'none' }) {}

  async start(): Promise<void> {
    const port = await freePort();
    this.host = `127.0.0.1:${port}`;
    const config = [
      'version: 0.1',
      'log: { level: warn }',
      `storage: { filesystem: { rootdirectory: ${this.storage} }, delete: { enabled: true } }`,
      `http: { addr: "${this.host}", secret: tsrun-test }`,
      ...(await this.authConfig()),
    ];
    const file = path.join(this.dir, 'config.yml');
    fs.writeFileSync(file, config.join('\n') + '\n');
    const proc = spawn(REGISTRY_BIN, ['serve', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    proc.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`docker-registry exited: ${this.log}`);
      const status = await new Promise<number>((resolve) =>
        http.get(`http://${this.host}/v2/`, (res) => (res.resume(), resolve(res.statusCode ?? 0))).on('error', () => resolve(0)),
      );
      if (status === 200 || status === 401) return;
      if (Date.now() > deadline) throw new Error(`docker-registry did not answer: ${this.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async authConfig(): Promise<string[]> {
    const a = this.auth;
    if (a.kind === 'basic') {
      const hash = execFileSync('python3', ['-W', 'ignore', '-c', 'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))', a.user.password], {
        encoding: 'utf8',
      }).trim();
      fs.writeFileSync(path.join(this.dir, 'htpasswd'), `${a.user.username}:${hash}\n`);
      return [`auth: { htpasswd: { realm: tsrun-test, path: ${path.join(this.dir, 'htpasswd')} } }`];
    }
    if (a.kind === 'token') {
      const keyFile = path.join(this.dir, 'token.key');
      const certFile = path.join(this.dir, 'token.crt');
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=tsrun-test-token'], {
        stdio: 'ignore',
      });
      const key = crypto.createPrivateKey(fs.readFileSync(keyFile));
      const der = new crypto.X509Certificate(fs.readFileSync(certFile)).raw;
      this.token = new TokenServer(a.user, key, der);
      const port = await freePort();
      await new Promise<void>((resolve) => this.token!.server.listen(port, '127.0.0.1', resolve));
      return [
        `auth: { token: { realm: "http://127.0.0.1:${port}/token", service: tsrun-test-registry, issuer: tsrun-test-issuer, rootcertbundle: ${certFile} } }`,
      ];
    }
    return [];
  }

  /**
   * `skopeo copy` of the layout's image `tag` to <host>/<name> (with --all: every platform of an
   * index; digests kept). Asynchronous: the token server answering skopeo runs in this process.
   */
  push(layout: string, tag: string, name: string): Promise<void> {
    const creds = this.auth.kind === 'none' ? [] : ['--dest-creds', `${this.auth.user.username}:${this.auth.user.password}`];
    const args = ['copy', '--all', '--preserve-digests', '--quiet', '--dest-tls-verify=false', ...creds, `oci:${layout}:${tag}`, `docker://${this.host}/${name}`];
    return new Promise((resolve, reject) => {
      execFile('skopeo', args, { timeout: 60_000 }, (err, _stdout, stderr) => (err ? reject(new Error(`skopeo ${args.join(' ')}: ${stderr || err.message}`)) : resolve()));
    });
  }

  /**
   * Push several images one after another: docker-registry's filesystem store once failed two
   * concurrent uploads of the same blob ("digest invalid", then "manifest blob unknown").
   */
  async pushEach(layout: string, pushes: [tag: string, name: string][]): Promise<void> {
    for (const [tag, name] of pushes) await this.push(layout, tag, name);
  }

  /** The registry's own file for a blob (to damage it). */
  blobFile(digest: string): string {
    const hex = digest.slice('sha256:'.length);
    return path.join(this.storage, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
  }

  async stop(): Promise<void> {
    if (this.proc && this.proc.exitCode === null) {
      const exited = new Promise((r) => this.proc!.once('exit', r));
      this.proc.kill('SIGTERM');
      await exited;
    }
    this.proc = null;
    if (this.token) await new Promise((r) => this.token!.server.close(r));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// Image layouts -------------------------------------------------------------------------------

export interface LayerFile {
  path: string;
  content?: string | Buffer;
  /** Copy this host file. */
  from?: string;
  symlink?: string;
  mode?: number;
}

export type Compression = 'gzip' | 'zstd' | 'none';

const LAYER_MEDIA: Record<Compression, string> = {
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  none: 'application/vnd.oci.image.layer.v1.tar',
};

export interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
  annotations?: Record<string, string>;
}

/** An OCI image layout directory being written: blobs, then tags in index.json. */
export class Layout {
  private readonly index: Desc[] = [];

  constructor(readonly dir: string) {
    fs.mkdirSync(path.join(dir, 'blobs/sha256'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    this.save();
  }

  blob(mediaType: string, content: Buffer): Desc {
    const hex = crypto.createHash('sha256').update(content).digest('hex');
    fs.writeFileSync(path.join(this.dir, 'blobs/sha256', hex), content);
    return { mediaType, digest: `sha256:${hex}`, size: content.length };
  }

  /** A layer made by GNU tar from `files`; returns its descriptor and diff id. */
  layer(files: LayerFile[], compression: Compression = 'gzip'): { desc: Desc; diffId: string } {
    const src = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-layer-'));
    try {
      for (const f of files) {
        const p = path.join(src, f.path);
        fs.mkdirSync(path.dirname(p), { recursive: true });
        if (f.symlink !== undefined) fs.symlinkSync(f.symlink, p);
        else if (f.from) fs.copyFileSync(f.from, p);
        else fs.writeFileSync(p, f.content ?? '');
        if (f.mode !== undefined) fs.chmodSync(p, f.mode);
      }
      const tar = execFileSync('tar', ['-C', src, '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-cf', '-', '.'], {
        maxBuffer: 256 << 20,
      });
      const diffId = `sha256:${crypto.createHash('sha256').update(tar).digest('hex')}`;
      const packed =
        compression === 'gzip' ? zlib.gzipSync(tar) : compression === 'zstd' ? execFileSync('zstd', ['-q', '-c'], { input: tar, maxBuffer: 256 << 20 }) : tar;
      return { desc: this.blob(LAYER_MEDIA[compression], packed), diffId };
    } finally {
      fs.rmSync(src, { recursive: true, force: true });
    }
  }

  /** An image manifest over `layers`; returns the manifest's descriptor. */
  /** `history`: one history entry a layer (buildah 1.28 refuses a base whose history does not count its layers). */
  image(layers: { desc: Desc; diffId: string }[], o: { architecture?: string; variant?: string; cmd?: string[]; layerMediaType?: string; history?: boolean } = {}): Desc {
    const architecture = o.architecture ?? 'amd64';
    const config = {
      created: '1970-01-01T00:00:00Z',
      architecture,
      ...(o.variant ? { variant: o.variant } : {}),
      os: 'linux',
      config: { Env: ['PATH=/bin'], Cmd: o.cmd ?? ['sh'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      ...(o.history ? { history: layers.map(() => ({ created: '1970-01-01T00:00:00Z', created_by: 'tsrun test/helpers/registry.ts Layout' })) } : {}),
    };
    const configDesc = this.blob('application/vnd.oci.image.config.v1+json', Buffer.from(JSON.stringify(config)));
    const manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: configDesc,
      layers: layers.map((l) => (o.layerMediaType ? { ...l.desc, mediaType: o.layerMediaType } : l.desc)),
    };
    const d = this.blob(manifest.mediaType, Buffer.from(JSON.stringify(manifest)));
    return { ...d, platform: { os: 'linux', architecture, ...(o.variant ? { variant: o.variant } : {}) } };
  }

  /** An index over platform manifests. */
  imageIndex(manifests: Desc[]): Desc {
    const body = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests };
    return this.blob(body.mediaType, Buffer.from(JSON.stringify(body)));
  }

  tag(d: Desc, tag: string): void {
    const { platform: _p, ...plain } = d;
    this.index.push({ ...plain, annotations: { 'org.opencontainers.image.ref.name': tag } });
    this.save();
  }

  private save(): void {
    fs.writeFileSync(path.join(this.dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: this.index }));
  }
}

/** A busybox image (BUSYBOX_FILES in one layer) made in `dir` and pushed to `registry` as `name` (tag v1); its manifest digest. */
export async function pushBusybox(registry: TestRegistry, dir: string, name: string): Promise<string> {
  const layout = new Layout(dir);
  const image = layout.image([layout.layer(BUSYBOX_FILES)]);
  layout.tag(image, 'v1');
  await registry.push(layout.dir, 'v1', name);
  return image.digest;
}

/** busybox as /bin/busybox with /bin/sh and /bin/cat links to it. */
export const BUSYBOX_FILES: LayerFile[] = [
  { path: 'bin/busybox', from: '/bin/busybox', mode: 0o755 },
  { path: 'bin/sh', symlink: 'busybox' },
  { path: 'bin/cat', symlink: 'busybox' },
];
