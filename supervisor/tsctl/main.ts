/**
 * tsctl: the command-line client of tsrund. Human output by default, --json for scripts; errors
 * print as `tsctl: <what tsrund said>` and exit 1; `run` exits with the container's status.
 */
import type { ServiceError } from '@grpc/grpc-js';
import * as crypto from 'crypto';
import { flagHelp, FlagSpec, FlagValues, parseFlags } from '../../runtime/cli/args';
import { exitStatusOf } from '../../runtime/cli/command';
import { TsrunError } from '../../common/errors';
import { parseSignal } from '../../runtime/signals';
import { TSRUN_VERSION } from '../../runtime/version';
import { callErrorMessage, DEFAULT_ADDRESS, TsrundClient } from '../client/client';
import type { Container, Task } from '../api/types';
import {
  ago,
  bytesText,
  flushOutput,
  isStdoutClosed,
  out,
  printJson,
  printTable,
  STDOUT_CLOSED_EXIT,
  timeText,
  writeLogEntry,
  writeOutput,
} from './output';
import { execCommand, runCommand } from './run';
import { commandList, HELP_FLAG, JSON_FLAG, parseCommandLine, type CommandSpec } from './command';
import { imagesCommand, PULL_FLAGS, pullCommand } from './images';

interface Command extends CommandSpec {
  run(c: TsrundClient, flags: FlagValues, args: string[]): Promise<number>;
}

const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'address', short: 'a', kind: 'string', usage: "tsrund's socket", default: DEFAULT_ADDRESS },
  JSON_FLAG,
  HELP_FLAG,
];

let json = false;

const COMMANDS: Command[] = [
  {
    name: 'run',
    usage: 'create and start a container; in the foreground, exit with its status',
    argsUsage: '(--bundle DIR | IMAGE) [COMMAND [ARG...]]',
    flags: [
      { name: 'bundle', short: 'b', kind: 'string', usage: 'an OCI bundle directory (config.json + rootfs)' },
      { name: 'name', kind: 'string', usage: 'the container id (default: 12 random hex digits)' },
      { name: 'rm', kind: 'bool', usage: 'remove the container once it exits', default: false },
      { name: 'detach', short: 'd', kind: 'bool', usage: 'print the id and leave it running', default: false },
      { name: 'tty', short: 't', kind: 'bool', usage: 'give the container a terminal', default: false },
      { name: 'interactive', short: 'i', kind: 'bool', usage: 'pass stdin on to the container', default: false },
    ],
    args: [0, -1],
    async run(c, f, args) {
      const bundle = f.bundle as string | undefined;
      if (!bundle && args.length === 0) throw new TsrunError('run: give --bundle DIR or an image', { code: 'invalid-argument' });
      if (f.detach && f.rm) throw new TsrunError('run: --rm and --detach do not go together', { code: 'invalid-argument' });
      const [image, cmd] = bundle ? [undefined, args] : [args[0], args.slice(1)];
      const r = await runCommand(c, {
        id: f.name as string | undefined,
        bundle,
        image,
        args: cmd,
        rm: f.rm as boolean,
        detach: f.detach as boolean,
        tty: f.tty as boolean,
        interactive: f.interactive as boolean,
      });
      if (r.exitStatus === null) {
        if (json) printJson({ id: r.id });
        else out(`${r.id}\n`);
        return 0;
      }
      return r.exitStatus;
    },
  },
  {
    name: 'ls',
    usage: 'list containers and their tasks',
    argsUsage: '[LABEL_FILTER...]',
    flags: [],
    args: [0, -1],
    async run(c, _f, filters) {
      const [containers, tasks] = await Promise.all([c.listContainers(filters), c.listTasks()]);
      const byId = new Map(tasks.map((t) => [t.id, t]));
      if (json) return (printJson(containers.map((k) => ({ container: jsonContainer(k), task: byId.get(k.id) ?? null }))), 0);
      printTable(
        ['ID', 'STATUS', 'PID', 'CREATED', 'SOURCE', 'LABELS'],
        containers.map((k) => {
          const t = byId.get(k.id);
          return [
            k.id,
            t ? statusText(t) : 'no task',
            t && t.status !== 'STOPPED' ? String(t.pid) : '',
            ago(k.createdAt),
            k.bundle || k.image,
            labelsText(k.labels),
          ];
        }),
      );
      return 0;
    },
  },
  {
    name: 'ps',
    usage: "list the processes of a container's task",
    argsUsage: 'ID',
    flags: [],
    args: [1, 1],
    async run(c, _f, [id]) {
      const pids = await c.listPids(id);
      if (json) printJson(pids);
      else
        printTable(
          ['PID'],
          pids.map((p) => [String(p)]),
        );
      return 0;
    },
  },
  {
    name: 'kill',
    usage: "signal a container's task (SIGTERM unless --signal)",
    argsUsage: 'ID',
    flags: [
      { name: 'signal', short: 's', kind: 'string', usage: 'signal name or number', default: 'SIGTERM' },
      { name: 'all', kind: 'bool', usage: 'signal every process of the container', default: false },
    ],
    args: [1, 1],
    async run(c, f, [id]) {
      await c.kill(id, parseSignal(f.signal as string), { all: f.all as boolean });
      return 0;
    },
  },
  {
    name: 'rm',
    usage: 'remove containers (their stopped tasks too; --force kills running ones)',
    argsUsage: 'ID...',
    flags: [{ name: 'force', short: 'f', kind: 'bool', usage: 'kill a running task first', default: false }],
    args: [1, -1],
    async run(c, f, ids) {
      let failed = 0;
      for (const id of ids) {
        try {
          const hasTask = await c.getTask(id).then(
            () => true,
            (err: ServiceError) => (err.code === 5 ? false : Promise.reject(err)),
          );
          if (hasTask) await c.deleteTask(id, { force: f.force as boolean });
          await c.deleteContainer(id);
          if (!json) out(`${id}\n`);
        } catch (err) {
          failed++;
          process.stderr.write(`tsctl: rm ${id}: ${messageOf(err)}\n`);
        }
      }
      return failed > 0 ? 1 : 0;
    },
  },
  {
    name: 'logs',
    usage: "print a container's output (-f: follow until it exits)",
    argsUsage: 'ID',
    flags: [
      { name: 'follow', short: 'f', kind: 'bool', usage: 'keep printing until the task exits', default: false },
      { name: 'timestamps', kind: 'bool', usage: 'show the time of each line', default: false },
    ],
    args: [1, 1],
    async run(c, f, [id]) {
      const stream = c.logs(id, { follow: f.follow as boolean });
      process.once('SIGINT', () => stream.cancel());
      try {
        for await (const e of stream) {
          if (json) await writeOutput('stdout', JSON.stringify({ time: timeText(e.time), stream: e.stream, text: e.text, partial: e.partial }) + '\n');
          else await writeLogEntry(e, f.timestamps ? timeText(e.time) + ' ' : '');
        }
      } catch (err) {
        stream.cancel();
        throw err;
      }
      return 0;
    },
  },
  {
    name: 'exec',
    usage: 'run another process in a running container; in the foreground, exit with its status',
    argsUsage: 'ID COMMAND [ARG...]',
    flags: [
      { name: 'exec-id', kind: 'string', usage: 'a name for the process (default: random)' },
      { name: 'tty', short: 't', kind: 'bool', usage: 'give the process a terminal', default: false },
      { name: 'interactive', short: 'i', kind: 'bool', usage: 'pass stdin on', default: false },
      { name: 'detach', short: 'd', kind: 'bool', usage: 'print the pid and leave it running', default: false },
      { name: 'env', short: 'e', kind: 'list', usage: 'NAME=VALUE added to the environment (repeatable)' },
      { name: 'cwd', short: 'w', kind: 'string', usage: 'working directory in the container', default: '' },
      { name: 'user', short: 'u', kind: 'string', usage: 'UID[:GID] to run as', default: '' },
    ],
    args: [2, -1],
    async run(c, f, [id, ...args]) {
      const r = await execCommand(c, {
        id,
        execId: (f['exec-id'] as string | undefined) ?? `exec-${crypto.randomBytes(4).toString('hex')}`,
        args,
        env: (f.env as string[] | undefined) ?? [],
        cwd: f.cwd as string,
        user: f.user as string,
        detach: f.detach as boolean,
        tty: f.tty as boolean,
        interactive: f.interactive as boolean,
      });
      if (r.exitStatus !== null) return r.exitStatus;
      if (json) printJson({ pid: r.pid });
      else out(`${r.pid}\n`);
      return 0;
    },
  },
  {
    name: 'events',
    usage: 'print events as they happen (until interrupted), across tsrund restarts',
    argsUsage: '',
    flags: [
      { name: 'type', kind: 'string', usage: 'only events of this type (comma-separated list)' },
      { name: 'id', kind: 'string', usage: 'only events of these containers (comma-separated list)' },
      { name: 'since-seq', kind: 'int', usage: 'first the retained events after this sequence (the last one seen)', default: 0 },
    ],
    args: [0, 0],
    async run(c, f) {
      const list = (v: unknown) => (typeof v === 'string' && v !== '' ? v.split(',') : []);
      const since = f['since-seq'] as number;
      if (since < 0) throw new TsrunError(`events: --since-seq ${since}: give a sequence tsrund printed, or 0 for new events only`, { code: 'invalid-argument' });
      const stream = c.subscribeResuming({ types: list(f.type), ids: list(f.id), afterSequence: since });
      process.once('SIGINT', () => stream.cancel());
      process.once('SIGTERM', () => stream.cancel());
      for await (const e of stream) {
        const line = { sequence: e.sequence, time: timeText(e.timestamp), type: e.type, id: e.id, pid: e.pid, exitStatus: e.exitStatus };
        if (json) out(JSON.stringify(line) + '\n');
        else
          out(
            `${line.time} #${e.sequence} ${e.type} ${e.id}${e.pid ? ` pid=${e.pid}` : ''}${e.type === 'exit' || e.type === 'delete' ? ` status=${e.exitStatus}` : ''}\n`,
          );
      }
      return 0;
    },
  },
  simple('pause', 'freeze every process of a container', (c, id) => c.pause(id)),
  simple('resume', 'thaw a paused container', (c, id) => c.resume(id)),
  {
    name: 'stats',
    usage: "resource usage of a container's task",
    argsUsage: 'ID',
    flags: [],
    args: [1, 1],
    async run(c, _f, [id]) {
      const s = await c.stats(id);
      if (json) return (printJson(s), 0);
      const limit = (n: number) => (n === 0 ? 'unlimited' : bytesText(n));
      printTable(
        ['ID', 'MEMORY', 'LIMIT', 'CPU', 'PIDS'],
        [
          [
            id,
            bytesText(s.memoryUsageBytes),
            limit(s.memoryLimitBytes),
            `${(s.cpuUsageNanoseconds / 1e9).toFixed(3)}s`,
            `${s.pidsCurrent}${s.pidsLimit ? `/${s.pidsLimit}` : ''}`,
          ],
        ],
      );
      return 0;
    },
  },
  {
    name: 'version',
    usage: "tsctl's and tsrund's versions",
    argsUsage: '',
    flags: [],
    args: [0, 0],
    async run(c) {
      const server = await c.version();
      if (json) return (printJson({ client: { version: TSRUN_VERSION }, server }), 0);
      out(
        `Client:\n  Version: ${TSRUN_VERSION}\nServer:\n  Version: ${server.version}\n  API: ${server.api}\n  Node: ${server.node}\n  Pid: ${server.pid}\n`,
      );
      return 0;
    },
  },
  {
    name: 'images',
    usage: 'pull, list, remove, inspect, import, export and tag images (tsctl images --help)',
    argsUsage: 'COMMAND [ARG...]',
    flags: [],
    args: [0, -1],
    run: (c, _f, args) => imagesCommand(c, args, json),
  },
  {
    name: 'pull',
    usage: 'pull an image (tsctl images pull)',
    argsUsage: 'REFERENCE',
    flags: PULL_FLAGS,
    args: [1, 1],
    run: (c, f, args) => pullCommand(c, f, args, json),
  },
];

function simple(name: string, usage: string, act: (c: TsrundClient, id: string) => Promise<void>): Command {
  return { name, usage, argsUsage: 'ID', flags: [], args: [1, 1], run: async (c, _f, [id]) => (await act(c, id), 0) };
}

function statusText(t: Task): string {
  return t.status === 'STOPPED' ? `stopped (${t.exitStatus})` : t.status.toLowerCase();
}

function labelsText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** The container as JSON output shows it: the config parsed, timestamps as text. */
function jsonContainer(k: Container): object {
  const { specJson, createdAt, ...rest } = k;
  return { ...rest, createdAt: timeText(createdAt), spec: JSON.parse(specJson) };
}

function usage(): string {
  return `USAGE:\n   tsctl [global options] command [command options] [arguments...]\n\nCOMMANDS:\n${commandList(COMMANDS)}\n\nGLOBAL OPTIONS:\n${flagHelp(GLOBAL_FLAGS)}\n`;
}

let address = DEFAULT_ADDRESS;
const messageOf = (err: unknown): string => callErrorMessage(err, address);

async function main(argv: string[]): Promise<number> {
  const globals = parseFlags(argv, GLOBAL_FLAGS, 'tsctl');
  const [name, ...rest] = globals.rest;
  if (globals.flags.help || !name) {
    out(usage());
    return name || globals.flags.help ? 0 : 1;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) throw new TsrunError(`unknown command ${JSON.stringify(name)} (see tsctl --help)`, { code: 'invalid-argument' });
  const parsed = parseCommandLine(cmd, cmd.name, rest);
  if (!parsed) return 0;
  json = (globals.flags.json as boolean) || (parsed.flags.json as boolean);
  address = globals.flags.address as string;
  const client = new TsrundClient(address);
  try {
    return await cmd.run(client, parsed.flags, parsed.args);
  } finally {
    client.close();
  }
}

main(process.argv.slice(2)).then(
  async (code) => {
    await flushOutput();
    process.exit(code);
  },
  async (err: unknown) => {
    await flushOutput();
    // The reader of stdout went away (`tsctl logs c | head`): end quietly, as a Unix tool does.
    if (isStdoutClosed(err)) process.exit(STDOUT_CLOSED_EXIT);
    const message = messageOf(err);
    process.stderr.write(`${message.startsWith('tsctl') ? '' : 'tsctl: '}${message}\n`);
    process.exit(exitStatusOf(err));
  },
);
