/**
 * tsrund: recover what the state and root directories say, then serve the API on a unix socket
 * that only root may use (mode 0600). Stopping closes the server and leaves every task running
 * under its monitor.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as grpc from '@grpc/grpc-js';
import { apiServices } from '../api/load';
import { COMMON_GRPC_OPTIONS } from '../api/grpc-options';
import { containersService } from '../services/containers';
import { eventsService, Subscriptions } from '../services/events';
import { tasksService } from '../services/tasks';
import { healthService, versionService } from '../services/version';
import { ImageService } from '../images/service';
import { imagesService } from '../services/images';
import { volumesService } from '../services/volumes';
import { buildsService } from '../services/builds';
import { networksService } from '../services/networks';
import { makePrivateDir } from '../shared/atomic-file';
import { Supervisor } from '../services/supervisor';
import { DEFAULT_NETWORK_OPTIONS, type NetworkOptions } from '../network/manager';
import { CriContext } from '../cri/context';
import { criServer } from '../cri/server';
import { StreamingServer } from '../cri/streaming/server';
import { TsrunError } from '../shared/errors';
import type { MirrorConfig } from '../registry/mirrors';
import type { Logger } from '../shared/logger';
import { claimSocketPath, lockStateDir } from './socket';

export interface DaemonOptions {
  /** Unix socket path. */
  address: string;
  root: string;
  state: string;
  /** Docker-style registry credentials (registry/credentials.ts); null: anonymous pulls only. */
  authFile?: string | null;
  /** Registries (host[:port]) spoken to over plain http besides localhost and 127.0.0.0/8. */
  insecureRegistries?: string[];
  /** A pushed blob larger than this goes in chunks of this size (default registry/push.ts's CHUNK_SIZE). */
  pushChunkSize?: number;
  /** Events kept for Subscribe's after_sequence (default DEFAULT_EVENT_RETENTION). */
  eventRetention?: number;
  /** CNI directories, the default network's bridge, the address pool, DNS upstreams (default DEFAULT_NETWORK_OPTIONS). */
  network?: NetworkOptions;
  /** Endpoints tried before each registry, for every pull (registry/mirrors.ts). */
  registryMirrors?: MirrorConfig;
  /** The unix socket to serve the Kubernetes CRI on; null: not served (--cri=false). */
  criAddress?: string | null;
  /** host:port of the CRI's streaming server (Exec, Attach, PortForward); default 127.0.0.1:0, a free port. */
  streamAddress?: string;
  /** The image each CRI sandbox's process comes from; "" (default): tsrund's built-in pause. */
  sandboxImage?: string;
}

export interface RunningDaemon {
  readonly supervisor: Supervisor;
  stop(): Promise<void>;
}

const SHUTDOWN_GRACE_MS = 2000;

export async function startDaemon(o: DaemonOptions, log: Logger): Promise<RunningDaemon> {
  for (const dir of [o.root, o.state]) makePrivateDir(dir);
  // The socket's directory may be shared (/run): only made when missing; the socket is 0600.
  fs.mkdirSync(path.dirname(o.address), { recursive: true, mode: 0o700 });
  const sockets = [o.address, ...(o.criAddress ? [o.criAddress] : [])];
  const lockFd = lockStateDir(o.state);
  let streaming: StreamingServer | null = null;
  try {
    for (const socket of sockets) await claimSocketPath(socket);
    // Before anything is recovered: an address that cannot be listened on changes nothing.
    streaming = o.criAddress ? await startStreaming(o.streamAddress ?? '127.0.0.1:0', log) : null;
    const supervisor = new Supervisor({ root: o.root, state: o.state }, log, o.eventRetention, o.network);
    await supervisor.recover();
    const subscriptions = new Subscriptions();
    const server = new grpc.Server(COMMON_GRPC_OPTIONS);
    const services = apiServices();
    server.addService(services.Containers, containersService(supervisor));
    server.addService(services.Tasks, tasksService(supervisor));
    server.addService(services.Events, eventsService(supervisor, subscriptions));
    server.addService(services.Version, versionService(supervisor));
    server.addService(services.Health, healthService(supervisor));
    server.addService(services.Volumes, volumesService(supervisor));
    server.addService(services.Networks, networksService(supervisor));
    const images = new ImageService({ root: o.root, authFile: o.authFile ?? null, insecure: o.insecureRegistries ?? [], mirrors: o.registryMirrors, pushChunkSize: o.pushChunkSize });
    server.addService(services.Images, imagesService(log, images));
    supervisor.attachImages(images);
    server.addService(services.Builds, buildsService(log, supervisor, images));
    const cri = streaming ? criServer(new CriContext(supervisor, images, { address: o.criAddress!, cniConfDir: (o.network ?? DEFAULT_NETWORK_OPTIONS).cniConfDir, sandboxImage: o.sandboxImage ?? '' }, streaming, subscriptions)) : null;
    await bindPrivate(server, o.address);
    if (cri) {
      fs.mkdirSync(path.dirname(o.criAddress!), { recursive: true, mode: 0o700 });
      await bindPrivate(cri, o.criAddress!);
    }
    // However the process ends (exit(), a fatal error), no socket file is left to look served.
    const removeSocket = () => sockets.forEach((socket) => fs.rmSync(socket, { force: true }));
    process.once('exit', removeSocket);
    log.info(`tsrund serving ${o.address}${streaming ? ` and the CRI on ${o.criAddress} (streaming on ${streaming.url})` : ''} (root ${o.root}, state ${o.state}, ${supervisor.tasks.list().length} tasks)`);

    let stopping: Promise<void> | null = null;
    const stop = () =>
      (stopping ??= (async () => {
        supervisor.ready = false;
        supervisor.restarts.close();
        subscriptions.endAll();
        await Promise.all([shutdown(server), ...(cri ? [shutdown(cri)] : []), ...(streaming ? [streaming.close()] : [])]);
        supervisor.tasks.closeAll();
        await supervisor.networks.close();
        supervisor.events.stop();
        removeSocket();
        process.off('exit', removeSocket);
        fs.closeSync(lockFd);
        log.info('tsrund stopped; tasks keep running under their monitors');
      })());
    return { supervisor, stop };
  } catch (err) {
    await streaming?.close();
    fs.closeSync(lockFd);
    throw err;
  }
}

/** The CRI's streaming server, or why it cannot listen (naming --stream-address). */
async function startStreaming(address: string, log: Logger): Promise<StreamingServer> {
  try {
    return await StreamingServer.start({ address, log: (line) => log.info(`CRI streaming: ${line}`) });
  } catch (err) {
    throw new TsrunError((err as Error).message, { code: 'invalid-argument', subject: '--stream-address' });
  }
}

/** Bind with a umask that leaves the socket 0600 from its first moment, then make sure of it. */
function bindPrivate(server: grpc.Server, address: string): Promise<void> {
  const umask = process.umask(0o177);
  return new Promise<void>((resolve, reject) => {
    server.bindAsync(`unix://${address}`, grpc.ServerCredentials.createInsecure(), (err) => {
      process.umask(umask);
      if (err) return reject(err);
      fs.chmodSync(address, 0o600);
      resolve();
    });
  });
}

function shutdown(server: grpc.Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, SHUTDOWN_GRACE_MS);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
