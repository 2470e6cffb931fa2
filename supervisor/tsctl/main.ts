/**
 * tsctl: the command-line client of tsrund. Human output by default, --json for scripts; errors
 * print as `tsctl: <what tsrund said>` and exit as docker's do (./exit-status.ts); `run` exits
 * with the container's status. `help` and `completion` answer without tsrund.
 */
import type { ServiceError } from '@grpc/grpc-js';
import * as crypto from 'crypto';
import type { FlagSpec, FlagValues } from '../../runtime/cli/args';
import { TsrunError } from '../../common/errors';
import { parseSignal } from '../../runtime/signals';
import { TSRUN_VERSION } from '../../runtime/version';
import { callErrorMessage, DEFAULT_ADDRESS, TsrundClient } from '../client/client';
import {
  flushOutput,
  isStdoutClosed,
  out,
  printJson,
  STDOUT_CLOSED_EXIT,
  timeText,
  writeLogEntry,
  writeOutput,
} from './output';
import { attachCommand, createCommand, execCommand, runCommand, type CreateOptions } from './run';
import { copyCommand } from './copy';
import { COMMIT_FLAGS, commitCommand, diffCommand, inspectCommand, parseSince, statsCommand, topCommand, waitCommand } from './container-commands';
import { psCommand } from './ps';
import { commandHelp, forEachName, HELP_FLAG, JSON_FLAG, parseCommandLine, type CommandSpec } from './command';
import { helpText, parseLine, UsageError } from './parser';
import { completionScript, SHELLS, type CompletionNode } from './completion';
import { failureStatus } from './exit-status';
import { imagesCommand, PULL_FLAGS, pullCommand, PUSH_FLAGS, pushCommand, SUBCOMMANDS as IMAGE_COMMANDS } from './images';
import { LOGIN_FLAGS, loginCommand, logoutCommand } from './login';
import { BUILD_FLAGS, buildCommand, BUILDER_COMMANDS, builderCommand } from './build';
import { SECURITY_FLAGS, securityOverrides } from './security-flags';
import { storageOverrides, VOLUME_FLAGS } from './volume-flags';
import { SUBCOMMANDS as VOLUME_COMMANDS, volumeCommand } from './volumes';
import { NETWORK_RUN_FLAGS, networkOverrides } from './network-flags';
import { networkCommand, portCommand, subcommands as networkSubcommands } from './networks';
import { LIFECYCLE_RUN_FLAGS, lifecycleOverrides } from './lifecycle-flags';
import { lifecycleCommands } from './lifecycle-commands';
import { RESOURCE_RUN_FLAGS, resourceOverrides } from './resource-flags';
import { containerLabels, processOverrides, PROCESS_RUN_FLAGS, pullOptions } from './process-flags';

interface Command extends CommandSpec {
  run(c: TsrundClient, flags: FlagValues, args: string[]): Promise<number>;
}

const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'address', short: 'a', kind: 'string', usage: "tsrund's socket", default: DEFAULT_ADDRESS },
  JSON_FLAG,
  HELP_FLAG,
];

let json = false;

/** The flags of `create`, which `run` takes too. */
const CREATE_FLAGS: FlagSpec[] = [
  { name: 'bundle', short: 'b', kind: 'string', usage: 'an OCI bundle directory (config.json + rootfs)' },
  { name: 'name', kind: 'string', usage: 'the container id (default: 12 random hex digits)' },
  { name: 'tty', short: 't', kind: 'bool', usage: 'give the container a terminal', default: false },
  ...SECURITY_FLAGS,
  ...VOLUME_FLAGS,
  ...NETWORK_RUN_FLAGS,
  ...LIFECYCLE_RUN_FLAGS,
  ...RESOURCE_RUN_FLAGS,
  ...PROCESS_RUN_FLAGS,
];

/** What `create` and `run` make the container of: their flags and arguments. */
function createOptions(verb: string, f: FlagValues, args: string[]): CreateOptions {
  const bundle = f.bundle as string | undefined;
  if (!bundle && args.length === 0) throw new TsrunError(`${verb}: give --bundle DIR or an image`, { code: 'invalid-argument' });
  const network = networkOverrides(f);
  const [image, cmd] = bundle ? [undefined, args] : [args[0], args.slice(1)];
  return {
    id: f.name as string | undefined,
    bundle,
    image,
    args: cmd,
    tty: f.tty as boolean,
    security: securityOverrides(f),
    storage: storageOverrides(f),
    network,
    lifecycle: lifecycleOverrides(f),
    resources: resourceOverrides(f),
    process: processOverrides(f),
    labels: containerLabels(f),
    pull: pullOptions(f),
  };
}

const COMMANDS: Command[] = [
  {
    name: 'run',
    usage: 'create and start a container; in the foreground, exit with its status',
    argsUsage: '(--bundle DIR | IMAGE) [COMMAND [ARG...]]',
    trailing: true,
    flags: [
      ...CREATE_FLAGS,
      { name: 'detach', short: 'd', kind: 'bool', usage: 'print the id and leave it running', default: false },
      { name: 'interactive', short: 'i', kind: 'bool', usage: 'pass stdin on to the container', default: false },
    ],
    args: [0, -1],
    async run(c, f, args) {
      const created = createOptions('run', f, args);
      const r = await runCommand(c, {
        ...created,
        detach: f.detach as boolean,
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
  psCommand('ps', () => json),
  psCommand('ls', () => json),
  {
    name: 'kill',
    usage: "signal containers' tasks (SIGTERM unless --signal)",
    argsUsage: 'ID...',
    flags: [
      { name: 'signal', short: 's', kind: 'string', usage: 'signal name or number', default: 'SIGTERM' },
      { name: 'all', kind: 'bool', usage: 'signal every process of the container', default: false },
    ],
    args: [1, -1],
    async run(c, f, ids) {
      const signal = parseSignal(f.signal as string);
      return forEachName(ids, 'kill', (id) => c.kill(id, signal, { all: f.all as boolean }), messageOf);
    },
  },
  {
    name: 'rm',
    usage: 'remove containers (their stopped tasks too; --force kills running ones)',
    argsUsage: 'ID...',
    flags: [
      { name: 'force', short: 'f', kind: 'bool', usage: 'kill a running task first', default: false },
      { name: 'volumes', short: 'v', kind: 'bool', usage: 'remove its anonymous volumes too', default: false },
    ],
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
          await c.deleteContainer(id, { removeVolumes: f.volumes as boolean });
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
      { name: 'timestamps', short: 't', kind: 'bool', usage: 'show the time of each line', default: false },
      { name: 'tail', short: 'n', kind: 'string', usage: 'only the last N lines so far ("all": every one)', default: 'all' },
      { name: 'since', kind: 'string', usage: 'only lines since this time (RFC 3339, Unix seconds, or a duration such as 10m)' },
    ],
    args: [1, 1],
    async run(c, f, [id]) {
      const tail = tailOf(f.tail as string);
      const since = f.since === undefined ? undefined : parseSince(f.since as string);
      const stream = c.logs(id, { follow: f.follow as boolean, tail, since });
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
    trailing: true,
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
  ...lifecycleCommands((err) => messageOf(err), () => json),
  simple('pause', 'freeze every process of a container', (c, id) => c.pause(id)),
  simple('resume', 'thaw a paused container', (c, id) => c.resume(id)),
  {
    name: 'stats',
    usage: 'resource usage of containers (all running ones without an ID): one snapshot, as docker stats --no-stream',
    argsUsage: '[ID...]',
    flags: [{ name: 'no-stream', kind: 'bool', usage: 'one snapshot (what stats prints: it does not stream yet)', default: true }],
    args: [0, -1],
    run: (c, _f, ids) => statsCommand(c, ids, json, messageOf),
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
    usage: 'pull, push, list, remove, inspect, import, export and tag images (tsctl images --help)',
    argsUsage: 'COMMAND [ARG...]',
    flags: [],
    args: [0, -1],
    trailing: true,
    subcommands: IMAGE_COMMANDS,
    run: (c, _f, args) => imagesCommand(c, args, json),
  },
  {
    name: 'build',
    usage: 'build an image from a Dockerfile and a context directory',
    argsUsage: 'CONTEXT',
    flags: BUILD_FLAGS,
    args: [1, 1],
    run: (c, f, args) => buildCommand(c, f, args, json),
  },
  {
    name: 'builder',
    usage: "manage tsrund's build cache (tsctl builder prune)",
    argsUsage: 'COMMAND [ARG...]',
    flags: [],
    args: [0, -1],
    trailing: true,
    subcommands: BUILDER_COMMANDS,
    run: (c, _f, args) => builderCommand(c, args, json),
  },
  {
    name: 'volume',
    usage: 'create, list, inspect, remove and prune volumes (tsctl volume --help)',
    argsUsage: 'COMMAND [ARG...]',
    flags: [],
    args: [0, -1],
    trailing: true,
    subcommands: VOLUME_COMMANDS,
    run: (c, _f, args) => volumeCommand(c, args, json),
  },
  {
    name: 'network',
    usage: 'create, list, inspect, remove, connect and disconnect networks (tsctl network --help)',
    argsUsage: 'COMMAND [ARG...]',
    flags: [],
    args: [0, -1],
    trailing: true,
    // For the help and the completion only: networkCommand makes the ones it runs.
    subcommands: networkSubcommands(() => ''),
    run: (c, _f, args) => networkCommand(c, args, json, messageOf),
  },
  {
    name: 'port',
    usage: "a container's published ports (or where PRIVATE_PORT is published)",
    argsUsage: 'ID [PRIVATE_PORT[/tcp|udp]]',
    flags: [],
    args: [1, 2],
    run: (c, _f, args) => portCommand(c, args, json),
  },
  {
    name: 'create',
    usage: 'create a container (tsctl start runs it)',
    argsUsage: '(--bundle DIR | IMAGE) [COMMAND [ARG...]]',
    trailing: true,
    flags: CREATE_FLAGS,
    args: [0, -1],
    async run(c, f, args) {
      const id = await createCommand(c, createOptions('create', f, args));
      if (json) printJson({ id });
      else out(`${id}\n`);
      return 0;
    },
  },
  {
    name: 'wait',
    usage: "wait for containers' tasks to exit; print their exit statuses",
    argsUsage: 'ID...',
    flags: [],
    args: [1, -1],
    run: (c, _f, ids) => waitCommand(c, ids, messageOf),
  },
  {
    name: 'diff',
    usage: "what a container changed in its image's files (A added, C changed, D deleted)",
    argsUsage: 'ID',
    flags: [],
    args: [1, 1],
    run: (c, _f, [id]) => diffCommand(c, id, json),
  },
  {
    name: 'commit',
    usage: "a new image of a container's changes (its writable layer on top of its image)",
    argsUsage: 'CONTAINER [NAME[:TAG]]',
    flags: COMMIT_FLAGS,
    args: [1, 2],
    run: (c, f, args) => commitCommand(c, f, args, json),
  },
  {
    name: 'inspect',
    usage: 'containers as JSON, shaped as docker inspect shows them',
    argsUsage: 'ID...',
    flags: [],
    args: [1, -1],
    run: (c, _f, ids) => inspectCommand(c, ids, messageOf),
  },
  {
    name: 'rename',
    usage: 'give a container another id (its task deleted first)',
    argsUsage: 'ID NEW_ID',
    flags: [],
    args: [2, 2],
    run: async (c, _f, [id, newId]) => (await c.renameContainer(id, newId), 0),
  },
  {
    name: 'cp',
    usage: 'copy files out of a container or into it, as a tar stream ("-": the tar on stdout or stdin)',
    argsUsage: 'ID:PATH DEST|-  or  SRC|- ID:DIR',
    flags: [],
    args: [2, 2],
    run: (c, _f, args) => copyCommand(c, args),
  },
  {
    name: 'top',
    usage: "a container's processes (UID PID PPID C STIME TTY TIME CMD, as docker top)",
    argsUsage: 'ID',
    flags: [],
    args: [1, 1],
    run: (c, _f, [id]) => topCommand(c, id, json),
  },
  {
    name: 'attach',
    usage: "follow a running container's output (and pass stdin on when it has one) until it exits",
    argsUsage: 'ID',
    flags: [],
    args: [1, 1],
    run: (c, _f, [id]) => attachCommand(c, id),
  },
  {
    name: 'pull',
    usage: 'pull an image (tsctl images pull)',
    argsUsage: 'REFERENCE',
    flags: PULL_FLAGS,
    args: [1, 1],
    run: (c, f, args) => pullCommand(c, f, args, json),
  },
  {
    name: 'push',
    usage: 'push an image to a registry (tsctl images push)',
    argsUsage: 'NAME [DEST]',
    flags: PUSH_FLAGS,
    args: [1, 2],
    run: (c, f, args) => pushCommand(c, f, args, json),
  },
  {
    name: 'login',
    usage: "log in to a registry: tsrund checks the credentials and keeps them in its auth file (default server: Docker Hub)",
    argsUsage: '[SERVER]',
    flags: LOGIN_FLAGS,
    args: [0, 1],
    run: (c, f, args) => loginCommand(c, f, args, json),
  },
  {
    name: 'logout',
    usage: "remove a registry's credentials from tsrund's auth file (default server: Docker Hub)",
    argsUsage: '[SERVER]',
    flags: [],
    args: [0, 1],
    run: (c, f, args) => logoutCommand(c, f, args, json),
  },
];

function simple(name: string, usage: string, act: (c: TsrundClient, id: string) => Promise<void>): Command {
  return { name, usage, argsUsage: 'ID', flags: [], args: [1, 1], run: async (c, _f, [id]) => (await act(c, id), 0) };
}

/** --tail's N, or undefined for "all". */
function tailOf(text: string): number | undefined {
  if (text === 'all') return undefined;
  if (!/^\d{1,9}$/.test(text)) throw new TsrunError(`--tail ${JSON.stringify(text.slice(0, 80))}: give a number of lines or "all"`, { code: 'invalid-argument' });
  return Number(text);
}

/** The commands tsctl answers itself, without tsrund. */
const HELP_COMMAND: CommandSpec = { name: 'help', usage: "tsctl's help, or a command's", argsUsage: '[COMMAND [SUBCOMMAND]]', flags: [], args: [0, 2] };
const COMPLETION_COMMAND: CommandSpec = { name: 'completion', usage: `a shell completion script (${SHELLS.join(' or ')}): source <(tsctl completion bash)`, argsUsage: SHELLS.join('|'), flags: [], args: [1, 1] };
const LOCAL_COMMANDS = [HELP_COMMAND, COMPLETION_COMMAND];

function usage(): string {
  return helpText({
    usage: 'tsctl [global options] COMMAND [options] [arguments...]',
    description: "the command-line client of tsrund, tsrun's supervisor",
    flags: GLOBAL_FLAGS,
    commands: [...COMMANDS, ...LOCAL_COMMANDS],
    epilogue: 'See tsctl COMMAND --help for a command\'s flags.',
  });
}

/** Every command and flag, for the completion scripts; `help` completes the commands' names. */
function completionTree(): CompletionNode {
  const node = (c: CommandSpec): CompletionNode => ({ name: c.name, flags: [...c.flags, JSON_FLAG, HELP_FLAG], trailing: c.trailing, subcommands: c.subcommands?.map(node) });
  const names = COMMANDS.map((c) => ({ name: c.name, flags: [] }));
  return {
    name: 'tsctl',
    flags: GLOBAL_FLAGS,
    trailing: true,
    subcommands: [...COMMANDS.map(node), { ...node(HELP_COMMAND), subcommands: names }, { ...node(COMPLETION_COMMAND), subcommands: SHELLS.map((name) => ({ name, flags: [] })) }],
  };
}

/** `tsctl help [COMMAND [SUBCOMMAND]]`: the help `--help` prints there. */
function help(names: string[]): number {
  if (names.length === 0) return (out(usage()), 0);
  const cmd = [...COMMANDS, ...LOCAL_COMMANDS].find((c) => c.name === names[0]);
  const sub = names[1] === undefined ? undefined : cmd?.subcommands?.find((s) => s.name === names[1]);
  if (!cmd || (names[1] !== undefined && !sub)) throw new UsageError(`help: no command ${JSON.stringify(names.join(' ').slice(0, 80))} (see tsctl --help)`, false);
  out(sub ? commandHelp(sub, `${cmd.name} ${sub.name}`) : commandHelp(cmd, cmd.name));
  return 0;
}

let address = DEFAULT_ADDRESS;
const messageOf = (err: unknown): string => callErrorMessage(err, address);
/** The command being run, which docker's exit statuses depend on. */
let commandName = '';

async function main(argv: string[]): Promise<number> {
  const globals = parseLine(argv, GLOBAL_FLAGS, 'tsctl', { trailing: true });
  const [name, ...rest] = globals.args;
  if (globals.flags.help || !name) {
    out(usage());
    return name || globals.flags.help ? 0 : 1;
  }
  commandName = name;
  const local = LOCAL_COMMANDS.find((c) => c.name === name);
  if (local) {
    const parsed = parseCommandLine(local, local.name, rest);
    if (!parsed) return 0;
    if (local === HELP_COMMAND) return help(parsed.args);
    out(completionScript(parsed.args[0], completionTree()));
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) throw new UsageError(`unknown command ${JSON.stringify(name.slice(0, 80))} (see tsctl --help)`, false);
  const parsed = parseCommandLine(cmd, cmd.name, rest);
  if (!parsed) return 0;
  if (cmd.subcommands && parsed.args.length === 0) return (out(commandHelp(cmd, cmd.name)), 1);
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
    process.exit(failureStatus(commandName, err, message));
  },
);
