/**
 * tsrun's entry point: global flags, then one command, runc-compatible. Errors are printed the
 * way runc prints them and exit with the status of their code (command.ts: 1, as runc's); `run`
 * exits with the container's status.
 */
import { createRequire } from 'module';
import * as path from 'path';
import { startupSnapshot } from 'v8';
import { OCI_VERSION } from '../../spec/default-config';
import { fsErrorText, TsrunError } from '../../common/errors';
import { DEFAULT_ROOT, StateStore } from '../state/store';
import { flagHelp, FlagSpec, parseFlags } from './args';
import type { Command } from './command';
import { exitStatusOf, printOut } from './command';
import { create, del, kill, run, start } from './commands/lifecycle';
import { featuresCommand } from './commands/features';
import { events } from './commands/events';
import { exec } from './commands/exec';
import { pause, ps, resume, update } from './commands/manage';
import { list, spec, state } from './commands/query';
import { Logger, LogFormat } from './log';
import { TSRUN_VERSION } from '../version';
import { phase, startTrace, traceCommand } from '../trace';
import { warmUp } from './warm-up';

const COMMANDS: Command[] = [create, del, events, exec, featuresCommand, kill, list, pause, ps, resume, run, spec, start, state, update];

const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'debug', kind: 'bool', usage: 'enable debug logging', default: false },
  { name: 'log', kind: 'string', usage: 'set the log file to write tsrun logs to (default is stderr)' },
  { name: 'log-format', kind: 'string', usage: 'set the log format ("text" (default), or "json")', default: 'text' },
  { name: 'root', kind: 'string', usage: `root directory for storage of container state`, default: DEFAULT_ROOT },
  { name: 'systemd-cgroup', kind: 'bool', usage: 'use the systemd cgroup driver (not supported)', default: false },
  { name: 'rootless', kind: 'string', usage: 'ignore cgroup permission errors ("true", "false", or "auto")', default: 'auto' },
  { name: 'help', short: 'h', kind: 'bool', usage: 'show help', default: false },
  { name: 'version', short: 'v', kind: 'bool', usage: 'print the version', default: false },
];

function usage(): string {
  const cmds = COMMANDS.map((c) => `   ${c.name.padEnd(10)} ${c.usage}`).join('\n');
  return `NAME:\n   tsrun - an OCI container runtime\n\nUSAGE:\n   tsrun [global options] command [command options] [arguments...]\n\nCOMMANDS:\n${cmds}\n\nGLOBAL OPTIONS:\n${flagHelp(GLOBAL_FLAGS)}\n`;
}

function commandUsage(c: Command): string {
  return `NAME:\n   tsrun ${c.name} - ${c.usage}\n\nUSAGE:\n   tsrun ${c.name} [command options] ${c.argsUsage}\n\nOPTIONS:\n${flagHelp(c.flags)}\n`;
}

function checkArgCount(c: Command, args: string[]): void {
  const [min, max] = typeof c.args === 'number' ? [c.args, c.args] : c.args;
  if (args.length >= min && (max < 0 || args.length <= max)) return;
  const want = min === max ? `exactly ${min}` : max < 0 ? `at least ${min}` : `${min} to ${max}`;
  throw new TsrunError(`tsrun: "${c.name}" requires ${want} argument(s)`, { code: 'invalid-argument', subject: c.name });
}

async function main(argv: string[]): Promise<number> {
  let log = new Logger(undefined, 'text', false);
  let commandName = '';
  try {
    const globals = parseFlags(argv, GLOBAL_FLAGS, 'tsrun');
    const format = globals.flags['log-format'] as string;
    if (format !== 'text' && format !== 'json') throw new TsrunError(`invalid log-format: ${format}`, { code: 'invalid-argument', subject: '--log-format' });
    log = new Logger(globals.flags.log as string | undefined, format as LogFormat, globals.flags.debug as boolean);
    if (globals.flags.version) {
      printOut(`tsrun version ${TSRUN_VERSION}\nspec: ${OCI_VERSION}\nnode: ${process.version}\n`);
      return 0;
    }
    const [name, ...rest] = globals.rest;
    commandName = name ?? '';
    if (!name || name === 'help' || globals.flags.help) {
      printOut(usage());
      return 0;
    }
    if (globals.flags['systemd-cgroup']) throw new TsrunError('the systemd cgroup driver is not supported: use cgroupfs', { code: 'unimplemented', subject: '--systemd-cgroup' });
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) throw new TsrunError(`No help topic for '${name}'`, { code: 'invalid-argument', subject: name });
    traceCommand(name);
    const parsed = phase('flags', () => parseFlags(rest, [...command.flags, { name: 'help', short: 'h', kind: 'bool', usage: 'show help' }], name));
    if (parsed.flags.help) {
      printOut(commandUsage(command));
      return 0;
    }
    checkArgCount(command, parsed.rest);
    const store = new StateStore(path.resolve(globals.flags.root as string));
    log.debug(`tsrun ${argv.join(' ')}`);
    return await phase(name, () => command.run(parsed.flags, parsed.rest, { store, log }));
  } catch (err) {
    // A failed system call no command anticipated, as "<path>: <what>" rather than in Node's words.
    const syscallFailed = (err as NodeJS.ErrnoException | null)?.syscall !== undefined;
    const message = (syscallFailed && fsErrorText(err)) || (err instanceof Error ? err.message : String(err));
    // As runc: a failed create or run says so first.
    const text = commandName === 'create' || commandName === 'run' ? `tsrun ${commandName} failed: ${message}` : message;
    log.error(text);
    if (!log.toStderr) process.stderr.write(text + '\n');
    return exitStatusOf(err);
  }
}

/** Run the command line tsrun was started with and exit with its status. */
function runCommandLine(): void {
  startTrace();
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`tsrun: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(exitStatusOf(err));
    },
  );
}

/**
 * Started from tsrun's startup snapshot (scripts/build-snapshot.js), which bin/tsrun runs with the
 * bundle's path as argv[1]. The snapshot holds the bundle's modules as evaluated where it was
 * built: moved elsewhere, it would look for the addon there, so the bundle beside the launcher is
 * loaded afresh instead.
 */
function runFromSnapshot(): void {
  const bundle = path.resolve(process.argv[1] ?? '');
  if (bundle === __filename) runCommandLine();
  else createRequire(bundle)(bundle);
}

// Building the snapshot evaluates the modules and warms them up; the command line is read when
// it starts.
if (startupSnapshot.isBuildingSnapshot()) {
  warmUp();
  startupSnapshot.setDeserializeMainFunction(runFromSnapshot);
} else {
  runCommandLine();
}
