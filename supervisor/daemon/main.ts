/**
 * tsrund's entry point (bin/tsrund): flags, then serve until SIGTERM or SIGINT.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { flagHelp, FlagSpec, parseFlags } from '../../runtime/cli/args';
import { exitStatusOf } from '../../runtime/cli/command';
import { TsrunError } from '../../common/errors';
import { DEFAULT_ADDRESS } from '../api/load';
import { DEFAULT_CRI_ADDRESS } from '../api/cri/load';
import { startDaemon } from './daemon';
import { parseStreamAddress } from '../cri/streaming/server';
import { DEFAULT_EVENT_RETENTION } from '../services/supervisor';
import { LineLogger, LOG_LEVELS, LogLevel } from './logger';
import { DEFAULT_NETWORK_OPTIONS, type NetworkOptions } from '../network/manager';
import { parseIpv4Cidr } from '../network/subnets';
import { ImageService } from '../images/service';
import { mirrorConfig, MirrorConfigError, type MirrorConfig } from '../registry/mirrors';
import { readHostsDir } from '../registry/hosts-dir';
import { CHUNK_SIZE } from '../registry/push';

const FLAGS: FlagSpec[] = [
  { name: 'address', short: 'a', kind: 'string', usage: 'unix socket to serve the API on', default: DEFAULT_ADDRESS },
  { name: 'root', kind: 'string', usage: 'directory of persistent metadata (container records, logs)', default: '/var/lib/tsrund' },
  { name: 'state', kind: 'string', usage: 'directory of runtime state (task directories, the lock)', default: '/run/tsrund' },
  { name: 'log-level', kind: 'string', usage: `one of ${LOG_LEVELS.join(', ')}`, default: 'info' },
  { name: 'auth-file', kind: 'string', usage: 'registry credentials, Docker config.json style ({"auths": ...})', default: '/etc/tsrund/auth.json' },
  { name: 'insecure-registry', kind: 'list', usage: 'host[:port] of a registry to pull from over plain http (repeatable)' },
  { name: 'registry-mirror', kind: 'list', usage: 'HOST=ENDPOINT: try ENDPOINT (http://... or https://...) before registry HOST on every pull (repeatable; in order)' },
  { name: 'registry-config-dir', kind: 'string', usage: 'registry hosts in containerd\'s layout: DIR/<host>/hosts.toml (server, [host."URL"] capabilities)', default: '/etc/tsrund/certs.d' },
  { name: 'push-chunk-size', kind: 'int', usage: 'bytes: a pushed blob larger goes to the registry in PATCHes of this size', default: CHUNK_SIZE },
  { name: 'event-retention', kind: 'int', usage: 'events the journal keeps for subscribers that resume', default: DEFAULT_EVENT_RETENTION },
  { name: 'cni-bin-dir', kind: 'list', usage: `a directory of CNI plugins (repeatable; default ${DEFAULT_NETWORK_OPTIONS.cniBinDirs.join(' then ')})` },
  { name: 'cni-conf-dir', kind: 'string', usage: 'the CNI network configuration lists (the networks)', default: DEFAULT_NETWORK_OPTIONS.cniConfDir },
  { name: 'bridge', kind: 'string', usage: 'the Linux bridge of the default network, "bridge"', default: DEFAULT_NETWORK_OPTIONS.bridge },
  { name: 'network-pool', kind: 'string', usage: 'IPv4 CIDR the /24 subnets of networks created without one come from', default: DEFAULT_NETWORK_OPTIONS.pool },
  { name: 'dns-upstream', kind: 'list', usage: 'a DNS server the embedded one forwards other names to (repeatable; default the host\'s resolv.conf nameservers; none: no forwarding)' },
  { name: 'cri', kind: 'bool', usage: 'serve the Kubernetes CRI (runtime.v1) for kubelet and crictl; --cri=false: do not', default: true },
  { name: 'cri-address', kind: 'string', usage: 'unix socket to serve the CRI on', default: DEFAULT_CRI_ADDRESS },
  { name: 'sandbox-image', kind: 'string', usage: "an image whose process each pod's sandbox runs (pulled through the mirrors when missing) instead of tsrund's built-in pause", default: '' },
  { name: 'stream-address', kind: 'string', usage: "host:port of the CRI's streaming server (exec, attach, port-forward URLs); port 0: a free one", default: '127.0.0.1:0' },
  { name: 'help', short: 'h', kind: 'bool', usage: 'show help', default: false },
];

async function main(argv: string[]): Promise<number> {
  const { flags, rest } = parseFlags(argv, FLAGS, 'tsrund');
  if (flags.help) {
    process.stdout.write(`USAGE:\n   tsrund [options]\n\nOPTIONS:\n${flagHelp(FLAGS)}\n`);
    return 0;
  }
  if (rest.length > 0) throw new TsrunError(`unexpected argument ${JSON.stringify(rest[0])}`, { code: 'invalid-argument' });
  const level = flags['log-level'] as string;
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    throw new TsrunError(`--log-level ${level}: use one of ${LOG_LEVELS.join(', ')}`, { code: 'invalid-argument', subject: '--log-level' });
  const retention = flags['event-retention'] as number;
  if (!(retention >= 1)) throw new TsrunError(`--event-retention ${retention}: give at least 1`, { code: 'invalid-argument', subject: '--event-retention' });
  const chunkSize = flags['push-chunk-size'] as number;
  if (!(chunkSize >= 1)) throw new TsrunError(`--push-chunk-size ${chunkSize}: give at least 1 byte`, { code: 'invalid-argument', subject: '--push-chunk-size' });
  const log = new LineLogger(level as LogLevel);
  // A failure no request handler caught is a bug to log, not a reason to stop serving everyone.
  process.on('unhandledRejection', (reason) => log.error(`unhandled rejection: ${(reason as Error)?.stack ?? String(reason)}`));
  process.on('uncaughtException', (err) => log.error(`uncaught exception: ${err.stack ?? String(err)}`));
  const daemon = await startDaemon(
    {
      address: path.resolve(flags.address as string),
      root: path.resolve(flags.root as string),
      state: path.resolve(flags.state as string),
      authFile: path.resolve(flags['auth-file'] as string),
      insecureRegistries: (flags['insecure-registry'] as string[] | undefined) ?? [],
      eventRetention: retention,
      pushChunkSize: chunkSize,
      network: networkOptions(flags),
      registryMirrors: registryMirrors(flags),
      criAddress: flags.cri ? criAddress(flags, path.resolve(flags.address as string)) : null,
      streamAddress: streamAddress(flags),
      sandboxImage: sandboxImage(flags),
    },
    log,
  );
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      log.info(`${signal}: stopping`);
      daemon.stop().then(resolve);
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    process.once('SIGHUP', onSignal);
  });
  return 0;
}

/** The network flags checked: a bridge name Linux takes, a pool that is a CIDR, upstreams that are addresses. */
function networkOptions(flags: Record<string, unknown>): NetworkOptions {
  const bridge = flags.bridge as string;
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(bridge)) throw new TsrunError(`--bridge ${bridge}: a link name of 1 to 15 letters, digits, "_", "." or "-"`, { code: 'invalid-argument', subject: '--bridge' });
  const pool = flags['network-pool'] as string;
  const { network, prefix } = parseIpv4Cidr(pool, '--network-pool');
  if (prefix > 24) throw new TsrunError(`--network-pool ${pool}: give a /24 or larger`, { code: 'invalid-argument', subject: '--network-pool' });
  const upstreams = (flags['dns-upstream'] as string[] | undefined) ?? hostNameservers();
  const bad = upstreams.find((u) => u !== 'none' && net.isIP(u) === 0);
  if (bad !== undefined) throw new TsrunError(`--dns-upstream ${bad}: give an IP address, or none`, { code: 'invalid-argument', subject: '--dns-upstream' });
  return {
    cniBinDirs: ((flags['cni-bin-dir'] as string[] | undefined) ?? DEFAULT_NETWORK_OPTIONS.cniBinDirs).map((d) => path.resolve(d)),
    cniConfDir: path.resolve(flags['cni-conf-dir'] as string),
    bridge,
    pool: network,
    dnsUpstreams: upstreams.filter((u) => u !== 'none'),
  };
}

/** --registry-mirror and the hosts.toml files of --registry-config-dir, read once at the start. */
function registryMirrors(flags: Record<string, unknown>): MirrorConfig {
  try {
    return mirrorConfig((flags['registry-mirror'] as string[] | undefined) ?? [], readHostsDir(path.resolve(flags['registry-config-dir'] as string)));
  } catch (err) {
    if (err instanceof MirrorConfigError) throw new TsrunError(err.message, { code: 'invalid-argument' });
    throw err;
  }
}

/** --cri-address, which cannot be the API's own socket. */
function criAddress(flags: Record<string, unknown>, api: string): string {
  const address = path.resolve(flags['cri-address'] as string);
  if (address === api) throw new TsrunError(`--cri-address ${address} is also --address: give the CRI a socket of its own`, { code: 'invalid-argument', subject: '--cri-address' });
  return address;
}

/** --sandbox-image, normalized ("docker.io/library/..."): a bad reference stops tsrund at its start. */
function sandboxImage(flags: Record<string, unknown>): string {
  const ref = flags['sandbox-image'] as string;
  return ref === '' ? '' : ImageService.normalize('--sandbox-image', ref);
}

/** --stream-address as host:port. */
function streamAddress(flags: Record<string, unknown>): string {
  const address = flags['stream-address'] as string;
  try {
    parseStreamAddress(address);
  } catch (err) {
    throw new TsrunError((err as Error).message, { code: 'invalid-argument', subject: '--stream-address' });
  }
  return address;
}

/** The nameservers of the host's /etc/resolv.conf (none when it has none, or no such file). */
function hostNameservers(): string[] {
  const text = fs.existsSync('/etc/resolv.conf') ? fs.readFileSync('/etc/resolv.conf', 'utf8') : '';
  return [...text.matchAll(/^\s*nameserver\s+(\S+)/gm)].map((m) => m[1]);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const known = err instanceof TsrunError;
    const message = known ? (err as Error).message : ((err as Error).stack ?? String(err));
    process.stderr.write(`${message.startsWith('tsrund:') ? '' : 'tsrund: '}${message}\n`);
    process.exit(exitStatusOf(err));
  },
);
