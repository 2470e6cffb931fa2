/**
 * tsctl's container verbs beyond run/exec/logs, as docker's: wait, diff, inspect, top, stats, and
 * the --since of logs (create and attach are run.ts's). Each a client of tsrund's API (Containers.*, Tasks.*).
 */
import { TsrunError } from '../../common/errors';
import type { FlagSpec, FlagValues } from '../../runtime/cli/args';
import type { TsrundClient } from '../client/client';
import { GrpcStatus } from '../client/client';
import * as os from 'os';
import type { Container, ProcessInfo, StatsResponse, Task, Timestamp } from '../api/types';
import { timestampFromRfc3339, timestampOf } from '../api/timestamp';
import { forEachName } from './command';
import { bytesText, out, printJson, printTable, timeText } from './output';

/** `tsctl wait ID...`: each task's exit status once it exited, a line each (docker wait). */
export function waitCommand(c: TsrundClient, ids: string[], messageOf: (err: unknown) => string): Promise<number> {
  return forEachName(ids, 'wait', async (id) => out(`${(await c.wait(id)).exitStatus}\n`), messageOf);
}

/** `tsctl diff ID`: "A /path", "C /path", "D /path" lines (docker diff). */
export async function diffCommand(c: TsrundClient, id: string, json: boolean): Promise<number> {
  const changes = await c.diffContainer(id);
  if (json) printJson(changes);
  else out(changes.map((ch) => `${ch.kind} ${ch.path}\n`).join(''));
  return 0;
}

export const COMMIT_FLAGS: FlagSpec[] = [
  { name: 'message', short: 'm', kind: 'string', usage: "the commit message (the history entry's comment)", default: '' },
  { name: 'author', short: 'a', kind: 'string', usage: 'the author ("Name <email>")', default: '' },
  { name: 'change', short: 'c', kind: 'list', usage: 'a Dockerfile instruction applied to the config: CMD ENTRYPOINT ENV EXPOSE HEALTHCHECK LABEL ONBUILD USER VOLUME WORKDIR STOPSIGNAL (repeatable)' },
  { name: 'pause', short: 'p', kind: 'bool', usage: 'pause a running container while its layer is read (--pause=false not to)', default: true },
  { name: 'compression', kind: 'string', usage: 'the layer compression: gzip or zstd', default: 'gzip' },
];

/** `tsctl commit CONTAINER [NAME[:TAG]]`: the new image's manifest digest (docker prints its id). */
export async function commitCommand(c: TsrundClient, f: FlagValues, [id, reference]: string[], json: boolean): Promise<number> {
  const r = await c.commitContainer(id, {
    reference: reference ?? '',
    message: f.message as string,
    author: f.author as string,
    changes: (f.change as string[] | undefined) ?? [],
    pause: f.pause as boolean,
    compression: f.compression as string,
  });
  if (json) printJson({ name: r.image?.name ?? '', manifestDigest: r.manifestDigest });
  else out(`${r.manifestDigest}\n`);
  return 0;
}

const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/;

/**
 * docker logs --since: RFC 3339 ("2026-12-02T03:00:00Z"), Unix seconds ("1764644400"), or a
 * duration before `now` ("10m", "1h30m", "45s").
 */
export function parseSince(text: string, now = Date.now()): Timestamp {
  const at = timestampFromRfc3339(text);
  if (at) return at;
  if (/^\d+(\.\d+)?$/.test(text)) return timestampOf(new Date(Number(text) * 1000));
  const m = DURATION.exec(text);
  if (m && text !== '') {
    const ms = (Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)) * 1000;
    return timestampOf(new Date(now - ms));
  }
  throw new TsrunError(
    `--since ${JSON.stringify(text.slice(0, 80))}: give RFC 3339 time, Unix seconds or a duration such as 10m or 1h30m`,
    { code: 'invalid-argument' },
  );
}

/** docker's State.Status of a container with `task` (null: none). */
export function dockerStatus(task: Task | null): string {
  if (!task) return 'created';
  return (
    {
      CREATED: 'created',
      RUNNING: 'running',
      PAUSED: 'paused',
      STOPPED: 'exited',
    }[task.status as string] ?? task.status.toLowerCase()
  );
}

interface SpecShape {
  hostname?: string;
  process?: {
    args?: string[];
    env?: string[];
    cwd?: string;
    user?: { uid: number; gid: number };
  };
  mounts?: {
    destination: string;
    source?: string;
    type?: string;
    options?: string[];
  }[];
}

/**
 * The container's command as docker shows it: its config's process.args without tsrund's init
 * (--init puts "/sbin/tsrun-init --" before them; docker's own init is not in its command either).
 */
export function commandOf(k: Container): string[] {
  const args = (JSON.parse(k.specJson) as SpecShape).process?.args ?? [];
  const end = k.overrides?.init ? args.indexOf('--') : -1;
  return end >= 0 ? args.slice(end + 1) : args;
}

/** The container as `docker inspect` shows one, where tsrund's records say it. */
export function dockerInspect(k: Container, task: Task | null): object {
  const spec = JSON.parse(k.specJson) as SpecShape;
  const args = commandOf(k);
  const live = task !== null && (task.status === 'RUNNING' || task.status === 'PAUSED');
  const net = k.networkStatus;
  const volumes = k.overrides?.volumes ?? [];
  return {
    Id: k.id,
    Created: timeText(k.createdAt),
    Path: args[0] ?? '',
    Args: args.slice(1),
    State: {
      Status: dockerStatus(task),
      Running: task?.status === 'RUNNING',
      Paused: task?.status === 'PAUSED',
      Pid: live ? task.pid : 0,
      ExitCode: task?.status === 'STOPPED' ? task.exitStatus : 0,
      StartedAt: timeText(task?.createdAt ?? null),
      FinishedAt: timeText(task?.exitedAt ?? null),
    },
    Image: k.image,
    Name: `/${k.id}`,
    RestartCount: 0,
    Config: {
      Hostname: net?.hostname || spec.hostname || '',
      User: spec.process?.user ? `${spec.process.user.uid}:${spec.process.user.gid}` : '',
      Env: spec.process?.env ?? [],
      // The image's Entrypoint and Cmd are one command in the stored config.
      Cmd: args,
      Entrypoint: k.overrides?.entrypoint.length ? k.overrides.entrypoint : null,
      Image: k.image,
      WorkingDir: spec.process?.cwd ?? '',
      Labels: k.labels,
    },
    NetworkSettings: {
      Ports: Object.fromEntries(
        (net?.ports ?? []).map((p) => [`${p.containerPort}/${p.protocol || 'tcp'}`, [{ HostIp: p.hostIp, HostPort: String(p.hostPort) }]]),
      ),
      // Keyed by the interface: an endpoint does not name its network.
      Networks: Object.fromEntries(
        (net?.endpoints ?? []).map((e) => [
          e.interface,
          {
            IPAddress: e.ipv4Address.split('/')[0],
            IPPrefixLen: Number(e.ipv4Address.split('/')[1] ?? 0),
            Gateway: '',
            MacAddress: e.macAddress,
            Aliases: e.aliases,
          },
        ]),
      ),
    },
    Mounts: volumes.map((v) => ({
      Type: v.type || 'volume',
      Name: v.type === 'bind' ? '' : v.source,
      Source: v.type === 'bind' ? v.source : '',
      Destination: v.destination,
      RW: !v.readOnly,
    })),
  };
}

/** `tsctl inspect ID...`: a JSON array, one docker-shaped object per container found. */
export async function inspectCommand(c: TsrundClient, ids: string[], messageOf: (err: unknown) => string): Promise<number> {
  const found: object[] = [];
  const status = await forEachName(
    ids,
    'inspect',
    async (id) => {
      const k = await c.getContainer(id);
      const task = await c.getTask(id).catch((err: { code?: number }) => (err.code === GrpcStatus.NOT_FOUND ? null : Promise.reject(err)));
      found.push(dockerInspect(k, task));
    },
    messageOf,
  );
  printJson(found);
  return status;
}

const two = (n: number) => String(n).padStart(2, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** ps's STIME: "HH:MM" when it started today, else "MonDD". */
function startText(at: Date, now: Date): string {
  if (at.toDateString() === now.toDateString()) return `${two(at.getHours())}:${two(at.getMinutes())}`;
  return `${MONTHS[at.getMonth()]}${two(at.getDate())}`;
}

/** ps's TIME: cumulative CPU "[DD-]HH:MM:SS". */
function cpuText(ns: number): string {
  const s = Math.floor(ns / 1e9);
  const days = Math.floor(s / 86400);
  const hms = `${two(Math.floor((s % 86400) / 3600))}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
  return days > 0 ? `${days}-${hms}` : hms;
}

/** docker top's default columns (ps -ef): UID PID PPID C STIME TTY TIME CMD. */
export function topRows(processes: ProcessInfo[], now = new Date()): string[][] {
  return processes.map((p) => {
    const started = new Date(p.startedAt ? p.startedAt.seconds * 1000 + p.startedAt.nanos / 1e6 : now.getTime());
    const elapsedNs = Math.max(1, now.getTime() - started.getTime()) * 1e6;
    return [
      String(p.uid),
      String(p.pid),
      String(p.ppid),
      String(Math.floor((p.cpuNanoseconds * 100) / elapsedNs)),
      startText(started, now),
      p.tty || '?',
      cpuText(p.cpuNanoseconds),
      p.command,
    ];
  });
}

/** `tsctl top ID`: the task's processes, as docker top shows them. */
export async function topCommand(c: TsrundClient, id: string, json: boolean): Promise<number> {
  const processes = await c.top(id);
  if (json) printJson(processes.map((p) => ({ ...p, startedAt: timeText(p.startedAt) })));
  else printTable(['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'], topRows(processes));
  return 0;
}

/** How long `stats` samples CPU time: CPU % is the time used over this interval. */
const CPU_SAMPLE_MS = 500;

/** A snapshot row of docker stats --no-stream: CPU % from two samples `ms` apart. */
async function statsRow(c: TsrundClient, id: string, ms: number): Promise<{ id: string; cpuPercent: number; stats: StatsResponse }> {
  const first = await c.stats(id);
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, ms));
  const stats = await c.stats(id);
  const elapsedNs = Number(process.hrtime.bigint() - t0);
  return { id, cpuPercent: ((stats.cpuUsageNanoseconds - first.cpuUsageNanoseconds) * 100) / elapsedNs, stats };
}

/**
 * `tsctl stats [ID...]`: one snapshot (docker stats --no-stream) of the containers named, or of
 * every running one: CONTAINER ID, CPU % (of one CPU), MEM USAGE / LIMIT (no limit: the host's
 * memory, as docker shows), MEM %, PIDS. With --json and one ID, tsrund's Stats as before.
 */
export async function statsCommand(c: TsrundClient, ids: string[], json: boolean, messageOf: (err: unknown) => string): Promise<number> {
  if (json && ids.length === 1) return (printJson(await c.stats(ids[0])), 0);
  const named = ids.length > 0 ? ids : (await c.listTasks()).filter((t) => t.status === 'RUNNING').map((t) => t.id);
  const rows: Awaited<ReturnType<typeof statsRow>>[] = [];
  // Sampled together: the snapshot takes one interval, not one per container.
  const status = await Promise.all(
    named.map((id) => forEachName([id], 'stats', async () => void rows.push(await statsRow(c, id, CPU_SAMPLE_MS)), messageOf)),
  ).then((s) => Math.max(0, ...s));
  rows.sort((a, b) => named.indexOf(a.id) - named.indexOf(b.id));
  if (json) return (printJson(rows), status);
  printTable(
    ['CONTAINER ID', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'PIDS'],
    rows.map(({ id, cpuPercent, stats: s }) => {
      const limit = s.memoryLimitBytes || os.totalmem();
      return [id, `${cpuPercent.toFixed(2)}%`, `${bytesText(s.memoryUsageBytes)} / ${bytesText(limit)}`, `${((s.memoryUsageBytes * 100) / limit).toFixed(2)}%`, String(s.pidsCurrent)];
    }),
  );
  return status;
}
