/**
 * tsrund: recover what the state and root directories say, then serve the API on a unix socket
 * that only root may use (mode 0600). Stopping closes the server and leaves every task running
 * under its monitor.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as grpc from '@grpc/grpc-js';
import { apiServices } from '../api/load';
import { containersService } from '../services/containers';
import { eventsService, Subscriptions } from '../services/events';
import { tasksService } from '../services/tasks';
import { healthService, versionService } from '../services/version';
import { ImageService } from '../images/service';
import { imagesService } from '../services/images';
import { makePrivateDir } from '../shared/atomic-file';
import { Supervisor } from '../services/supervisor';
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
  /** Events kept for Subscribe's after_sequence (default DEFAULT_EVENT_RETENTION). */
  eventRetention?: number;
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
  const lockFd = lockStateDir(o.state);
  try {
    await claimSocketPath(o.address);
    const supervisor = new Supervisor({ root: o.root, state: o.state }, log, o.eventRetention);
    await supervisor.recover();
    const subscriptions = new Subscriptions();
    const server = new grpc.Server();
    const services = apiServices();
    server.addService(services.Containers, containersService(supervisor));
    server.addService(services.Tasks, tasksService(supervisor));
    server.addService(services.Events, eventsService(supervisor, subscriptions));
    server.addService(services.Version, versionService(supervisor));
    server.addService(services.Health, healthService(supervisor));
    const images = new ImageService({ root: o.root, authFile: o.authFile ?? null, insecure: o.insecureRegistries ?? [] });
    server.addService(services.Images, imagesService(log, images));
    supervisor.attachImages(images);
    await bindPrivate(server, o.address);
    // However the process ends (exit(), a fatal error), no socket file is left to look served.
    const removeSocket = () => fs.rmSync(o.address, { force: true });
    process.once('exit', removeSocket);
    log.info(`tsrund serving ${o.address} (root ${o.root}, state ${o.state}, ${supervisor.tasks.list().length} tasks)`);

    let stopping: Promise<void> | null = null;
    const stop = () =>
      (stopping ??= (async () => {
        supervisor.ready = false;
        subscriptions.endAll();
        await shutdown(server);
        supervisor.tasks.closeAll();
        supervisor.events.stop();
        removeSocket();
        process.off('exit', removeSocket);
        fs.closeSync(lockFd);
        log.info('tsrund stopped; tasks keep running under their monitors');
      })());
    return { supervisor, stop };
  } catch (err) {
    fs.closeSync(lockFd);
    throw err;
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
