/**
 * `tsctl ps` (and `tsctl ls`), as `docker ps` lists containers: the running ones unless -a (a
 * status filter or -n/-l takes every state, as docker's daemon does), newest first, in docker's
 * columns and words. The formatting is pure functions of the records and a clock; psCommand is
 * the one edge (Containers.List, Tasks.List).
 */
import { TsrunError } from '../../common/errors';
import type { FlagSpec, FlagValues } from '../../runtime/cli/args';
import type { TsrundClient } from '../client/client';
import type { Container, PortMapping, Task, Timestamp } from '../api/types';
import type { CommandSpec } from './command';
import { commandOf, dockerStatus } from './container-commands';
import { ago, humanDuration, msOf, out, printJson, tableText, timeText } from './output';

/** A container and its task (null: none). */
export interface PsEntry {
  container: Container;
  task: Task | null;
}

/** Whether the container is restarting: its policy waits for a back-off or makes the next task. */
const restarting = (k: Container): boolean => k.restartStatus?.restarting === true;

/** docker ps's State column ("running", "exited", ... and "restarting"). */
export function psState(e: PsEntry): string {
  return restarting(e.container) ? 'restarting' : dockerStatus(e.task);
}

/**
 * docker ps's STATUS: "Up 5 minutes", "Up 5 minutes (Paused)", "Exited (3) 2 seconds ago",
 * "Restarting (1) 3 seconds ago", "Created". A task's start is its creation (tsctl creates it as
 * it starts it).
 */
export function statusText(e: PsEntry, now: number): string {
  const t = e.task;
  const since = (ts: Timestamp | null) => humanDuration(Math.max(0, now - msOf(ts)));
  if (restarting(e.container)) return t?.status === 'STOPPED' ? `Restarting (${t.exitStatus}) ${since(t.exitedAt)} ago` : 'Restarting';
  if (!t || t.status === 'CREATED') return 'Created';
  if (t.status === 'RUNNING') return `Up ${since(t.createdAt)}`;
  if (t.status === 'PAUSED') return `Up ${since(t.createdAt)} (Paused)`;
  if (t.status === 'STOPPED') return `Exited (${t.exitStatus}) ${since(t.exitedAt)} ago`;
  return t.status;
}

/** Whether docker ps lists the container without -a: it runs (paused and restarting ones too). */
export function isUp(e: PsEntry): boolean {
  return restarting(e.container) || e.task?.status === 'RUNNING' || e.task?.status === 'PAUSED';
}

/** A string as Go's strconv.Quote writes it (what docker's COMMAND column shows). */
export function goQuote(s: string): string {
  const named: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '"': '\\"', '\\': '\\\\' };
  let q = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (named[ch]) q += named[ch];
    else if (code < 0x20 || code === 0x7f) q += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code >= 0x80 && code < 0xa0) q += `\\u00${code.toString(16)}`;
    else q += ch;
  }
  return q + '"';
}

/** COMMAND: the process's arguments joined, cut to 20 characters ending in "…" unless `noTrunc`, quoted. */
export function commandText(args: readonly string[], noTrunc: boolean): string {
  const command = args.join(' ');
  const chars = [...command];
  return goQuote(noTrunc || chars.length <= 20 ? command : chars.slice(0, 19).join('') + '…');
}

/**
 * PORTS as docker shows published ports: "0.0.0.0:8080->80/tcp"; a run of consecutive ports
 * published on the same numbers as one range ("0.0.0.0:8000-8002->8000-8002/tcp"), in the order
 * docker's grouping gives (a run ended by a gap first, then the open run of each address and
 * protocol in the order first seen), those published on other numbers after them; joined with
 * ", ". An empty host address is every one: 0.0.0.0.
 */
export function portsText(ports: readonly PortMapping[]): string {
  const ip = (p: PortMapping) => p.hostIp || '0.0.0.0';
  const proto = (p: PortMapping) => p.protocol || 'tcp';
  // As Go compares strings: byte by byte.
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const sorted = [...ports].sort((a, b) => a.containerPort - b.containerPort || cmp(ip(a), ip(b)) || a.hostPort - b.hostPort || cmp(proto(a), proto(b)));
  interface Run {
    ip: string;
    proto: string;
    first: number;
    last: number;
  }
  const shown = (r: Run) => {
    const span = r.first === r.last ? `${r.first}` : `${r.first}-${r.last}`;
    return `${r.ip}:${span}->${span}/${r.proto}`;
  };
  // A Map keeps a key where it was first set: the open runs in the order first seen.
  const open = new Map<string, Run>();
  const ended: string[] = [];
  const elsewhere: string[] = [];
  for (const p of sorted) {
    if (p.hostPort !== p.containerPort) {
      elsewhere.push(`${ip(p)}:${p.hostPort}->${p.containerPort}/${proto(p)}`);
      continue;
    }
    const key = `${ip(p)} ${proto(p)}`;
    const run = open.get(key);
    if (run && p.containerPort === run.last + 1) run.last = p.containerPort;
    else {
      if (run) ended.push(shown(run));
      open.set(key, { ip: ip(p), proto: proto(p), first: p.containerPort, last: p.containerPort });
    }
  }
  return [...ended, ...[...open.values()].map(shown), ...elsewhere].join(', ');
}

/** docker's table ids: the first 12 characters (an id tsctl generates is 12 hex digits). */
const shortId = (id: string, noTrunc: boolean) => (noTrunc ? id : id.slice(0, 12));

/** The fields of --format's {{.Name}} placeholders, and their table headers. */
const FIELDS: Record<string, { header: string; value: (e: PsEntry, o: { noTrunc: boolean; now: number }) => string }> = {
  ID: { header: 'CONTAINER ID', value: (e, o) => shortId(e.container.id, o.noTrunc) },
  Image: { header: 'IMAGE', value: (e) => e.container.image || e.container.bundle },
  Command: { header: 'COMMAND', value: (e, o) => commandText(commandOf(e.container), o.noTrunc) },
  CreatedAt: { header: 'CREATED AT', value: (e) => timeText(e.container.createdAt) },
  RunningFor: { header: 'CREATED', value: (e, o) => ago(e.container.createdAt, o.now) },
  Status: { header: 'STATUS', value: (e, o) => statusText(e, o.now) },
  State: { header: 'STATE', value: (e) => psState(e) },
  Ports: { header: 'PORTS', value: (e) => (isUp(e) ? portsText(e.container.networkStatus?.ports ?? []) : '') },
  Names: { header: 'NAMES', value: (e) => e.container.id },
  Labels: {
    header: 'LABELS',
    value: (e) =>
      Object.entries(e.container.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
  },
};

/** docker ps's default table. */
const DEFAULT_FORMAT = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

type Piece = string | { field: string };

/**
 * A --format template: text and {{.Field}} placeholders ("table " first: a table with a header;
 * "\t" and "\n" written as two characters are a tab and a newline, as docker's CLI reads them).
 */
export function parseFormat(format: string): { table: boolean; pieces: Piece[] } {
  const table = /^table(\s|$)/.test(format);
  const text = (table ? format.slice(5) : format).trim().replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const pieces: Piece[] = [];
  const re = /\{\{(.*?)\}\}/g;
  let at = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    pieces.push(text.slice(at, m.index));
    const field = /^\s*\.([A-Za-z]+)\s*$/.exec(m[1])?.[1];
    if (!field || !FIELDS[field])
      throw new TsrunError(`--format: {{${m[1].slice(0, 40)}}} is not supported: give {{.Field}} with Field one of ${Object.keys(FIELDS).join(', ')}`, {
        code: 'invalid-argument',
        subject: '--format',
      });
    pieces.push({ field });
    at = m.index + m[0].length;
  }
  pieces.push(text.slice(at));
  if (/\{\{|\}\}/.test(pieces.filter((p): p is string => typeof p === 'string').join(''))) {
    throw new TsrunError('--format: an unclosed {{ or a stray }}', { code: 'invalid-argument', subject: '--format' });
  }
  return { table, pieces: pieces.filter((p) => p !== '') };
}

export interface PsOptions {
  noTrunc: boolean;
  now: number;
}

/** The output of `entries` in `format` (docker ps's default when undefined). */
export function formatEntries(entries: readonly PsEntry[], format: string | undefined, o: PsOptions): string {
  const { table, pieces } = parseFormat(format ?? DEFAULT_FORMAT);
  const render = (e: PsEntry | null) => pieces.map((p) => (typeof p === 'string' ? p : e ? FIELDS[p.field].value(e, o) : FIELDS[p.field].header)).join('');
  if (!table) return entries.map((e) => `${render(e)}\n`).join('');
  // A table's columns are its tab-separated cells, aligned as docker's tabwriter aligns them.
  const rows = [render(null), ...entries.map(render)].map((line) => line.split('\t'));
  const width = Math.max(...rows.map((r) => r.length));
  const padded = rows.map((r) => [...r, ...Array<string>(width - r.length).fill('')]);
  return tableText(padded[0], padded.slice(1), 10);
}

export interface ContainerFilter {
  key: 'status' | 'exited' | 'label' | 'id' | 'name' | 'ancestor';
  value: string;
}

const FILTER_KEYS = ['status', 'exited', 'label', 'id', 'name', 'ancestor'] as const;
const STATES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

/** docker ps --filter KEY=VALUE (status, exited, label, id, name, ancestor). */
export function parseContainerFilter(text: string): ContainerFilter {
  const eq = text.indexOf('=');
  const key = text.slice(0, eq) as ContainerFilter['key'];
  if (eq <= 0 || !FILTER_KEYS.includes(key)) {
    throw new TsrunError(`--filter ${JSON.stringify(text.slice(0, 80))}: expected KEY=VALUE, KEY one of ${FILTER_KEYS.join(', ')}`, { code: 'invalid-argument' });
  }
  const value = text.slice(eq + 1);
  if (key === 'status' && !STATES.includes(value)) {
    throw new TsrunError(`--filter ${JSON.stringify(text.slice(0, 80))}: the status is one of ${STATES.join(', ')}`, { code: 'invalid-argument' });
  }
  if (key === 'exited' && !/^\d{1,3}$/.test(value)) {
    throw new TsrunError(`--filter ${JSON.stringify(text.slice(0, 80))}: give an exit code (0-255)`, { code: 'invalid-argument' });
  }
  return { key, value };
}

/**
 * Whether the entry passes every filter, as docker ps: filters of one key match when any of
 * them does; `id` is a prefix, `name` a part of the name, `label` KEY or KEY=VALUE, `status`
 * docker's state, `exited` the exit code of a container that exited (it does not take every
 * state, as docker's does not: with -a), `ancestor` the image (with or without its registry and path).
 */
export function passesFilters(e: PsEntry, filters: readonly ContainerFilter[]): boolean {
  const k = e.container;
  const test = (f: ContainerFilter): boolean => {
    switch (f.key) {
      case 'status':
        return psState(e) === f.value;
      case 'exited':
        return e.task?.status === 'STOPPED' && e.task.exitStatus === Number(f.value);
      case 'id':
        return k.id.startsWith(f.value);
      case 'name':
        return k.id.includes(f.value);
      case 'ancestor':
        return k.image === f.value || k.image.split('/').pop() === f.value;
      case 'label': {
        const eq = f.value.indexOf('=');
        return eq < 0 ? f.value in k.labels : k.labels[f.value.slice(0, eq)] === f.value.slice(eq + 1);
      }
    }
  };
  return FILTER_KEYS.every((key) => {
    const of = filters.filter((f) => f.key === key);
    return of.length === 0 || of.some(test);
  });
}

export interface Selection {
  all: boolean;
  filters: ContainerFilter[];
  /** -n: the last N created, every state; -1: no limit. */
  last: number;
}

/** What docker ps lists of `entries`: newest first, filtered, running ones unless -a, a status filter or -n. */
export function selectEntries(entries: readonly PsEntry[], s: Selection): PsEntry[] {
  const everyState = s.all || s.last >= 0 || s.filters.some((f) => f.key === 'status');
  const chosen = [...entries]
    .sort((a, b) => msOf(b.container.createdAt) - msOf(a.container.createdAt) || a.container.id.localeCompare(b.container.id))
    .filter((e) => (everyState || isUp(e)) && passesFilters(e, s.filters));
  return s.last >= 0 ? chosen.slice(0, s.last) : chosen;
}

const FLAGS: FlagSpec[] = [
  { name: 'all', short: 'a', kind: 'bool', usage: 'every container (default: the running ones)', default: false },
  { name: 'quiet', short: 'q', kind: 'bool', usage: 'only the ids (whole: tsctl takes no prefixes of them)', default: false },
  { name: 'filter', short: 'f', kind: 'list', usage: 'status=, exited=, label=, id=, name= or ancestor= (repeatable, as docker ps)' },
  { name: 'last', short: 'n', kind: 'int', usage: 'the last N created containers, of every state', default: -1 },
  { name: 'latest', short: 'l', kind: 'bool', usage: 'the last created container, of any state', default: false },
  { name: 'no-trunc', kind: 'bool', usage: 'whole ids and commands', default: false },
  { name: 'format', kind: 'string', usage: 'a template of {{.ID}} {{.Image}} {{.Command}} {{.RunningFor}} {{.Status}} {{.Ports}} {{.Names}} ... ("table ..." for a table)' },
];

/** The `ps` command under `name` (`ps` or `ls`); `json`: whether --json was given. */
export function psCommand(
  name: string,
  json: () => boolean,
): CommandSpec & { run(c: TsrundClient, f: FlagValues, args: string[]): Promise<number> } {
  return {
    name,
    usage: name === 'ps' ? 'list containers as docker ps: the running ones (-a: all), newest first' : 'list containers (tsctl ps)',
    argsUsage: '',
    flags: FLAGS,
    args: [0, 0],
    async run(c, f) {
      const last = f.last as number;
      if (last < -1) throw new TsrunError(`${name}: --last ${last}: give a number of containers (0 or more)`, { code: 'invalid-argument', subject: '--last' });
      const selection = {
        all: f.all as boolean,
        filters: ((f.filter as string[] | undefined) ?? []).map(parseContainerFilter),
        last: f.latest && last === -1 ? 1 : last,
      };
      const format = f.format as string | undefined;
      if (format !== undefined) parseFormat(format);
      const [containers, tasks] = await Promise.all([c.listContainers(), c.listTasks()]);
      const byId = new Map(tasks.map((t) => [t.id, t]));
      const chosen = selectEntries(
        containers.map((k) => ({ container: k, task: byId.get(k.id) ?? null })),
        selection,
      );
      // Whole ids: what the other verbs take (tsrund resolves no prefixes).
      if (f.quiet) return (out(chosen.map((e) => `${e.container.id}\n`).join('')), 0);
      if (json()) return (printJson(chosen.map((e) => ({ container: jsonContainer(e.container), task: e.task }))), 0);
      out(formatEntries(chosen, format, { noTrunc: f['no-trunc'] as boolean, now: Date.now() }));
      return 0;
    },
  };
}

/** The container as JSON output shows it: the config parsed, timestamps as text. */
function jsonContainer(k: Container): object {
  const { specJson, createdAt, ...rest } = k;
  return { ...rest, createdAt: timeText(createdAt), spec: JSON.parse(specJson) };
}
