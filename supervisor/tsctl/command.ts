/**
 * What tsctl's commands and subcommands (`tsctl images ...`, `tsctl network ...`) share: their
 * description, the --json and --help flags every one takes, the parsing of a command line against
 * that description (./parser.ts), and the --label flag's KEY=VALUE pairs.
 */
import type { FlagSpec, FlagValues } from '../../runtime/cli/args';
import { TsrunError } from '../../common/errors';
import type { TsrundClient } from '../client/client';
import { out } from './output';
import { helpText, parseLine, UsageError } from './parser';

export interface CommandSpec {
  name: string;
  usage: string;
  argsUsage: string;
  flags: FlagSpec[];
  /** [min, max]; max -1: any. */
  args: [number, number];
  /** Flags end at the first argument: what follows is the container's command (run, create, exec) or a subcommand's line. */
  trailing?: boolean;
  /** A group's commands (`tsctl images ls`), for its help and the shell completion. */
  subcommands?: CommandSpec[];
}

export const JSON_FLAG: FlagSpec = { name: 'json', kind: 'bool', usage: 'print JSON', default: false };
export const HELP_FLAG: FlagSpec = { name: 'help', short: 'h', kind: 'bool', usage: 'show help', default: false };

/** A command of a group (`tsctl images ls`); `json`: print JSON. */
export interface SubCommand extends CommandSpec {
  run(c: TsrundClient, f: FlagValues, args: string[], json: boolean): Promise<number>;
}

/** The help of `tsctl <path>`: its flags, and a group's commands. */
export function commandHelp(cmd: CommandSpec, path: string): string {
  const usage = cmd.subcommands ? `tsctl ${path} COMMAND [options] [arguments...]` : `tsctl ${path} [options] ${cmd.argsUsage}`.trimEnd();
  return helpText({
    usage,
    description: cmd.usage,
    flags: [...cmd.flags, JSON_FLAG, HELP_FLAG],
    commands: cmd.subcommands,
    epilogue: cmd.subcommands ? `See tsctl ${path} COMMAND --help for a command's flags.` : undefined,
  });
}

/**
 * `argv` (after the command's name) parsed for `cmd`, known to tsctl's user as `tsctl <path>`
 * (e.g. "images ls"): its flags and arguments, the count of arguments checked; null when --help
 * asked for the command's help, which is printed.
 */
export function parseCommandLine(cmd: CommandSpec, path: string, argv: string[]): { flags: FlagValues; args: string[] } | null {
  const parsed = parseLine(argv, [...cmd.flags, JSON_FLAG, HELP_FLAG], `tsctl ${path}`, { trailing: cmd.trailing });
  if (parsed.flags.help) {
    out(commandHelp(cmd, path));
    return null;
  }
  const [min, max] = cmd.args;
  if (parsed.args.length < min || (max >= 0 && parsed.args.length > max)) {
    throw new UsageError(`${path}: expects ${cmd.argsUsage || 'no arguments'} (see tsctl ${path} --help)`, false);
  }
  return parsed;
}

/**
 * `tsctl <group> ARGS...`: the subcommand ARGS name first (or its other name in `aliases`) run on
 * the rest (tsctl's main prints the group's help when none is named). `json`: --json came before.
 */
export async function runSubCommand(
  group: string,
  subs: SubCommand[],
  aliases: Record<string, string>,
  c: TsrundClient,
  args: string[],
  json: boolean,
): Promise<number> {
  const [name, ...rest] = args;
  const sub = subs.find((s) => s.name === (aliases[name] ?? name));
  if (!sub) {
    const names = subs.map((s) => s.name).join(', ');
    const what = name === undefined ? 'give a command' : `unknown command ${JSON.stringify(name.slice(0, 80))}`;
    throw new UsageError(`${group}: ${what} (one of ${names}; see tsctl ${group} --help)`, false);
  }
  const parsed = parseCommandLine(sub, `${group} ${sub.name}`, rest);
  if (!parsed) return 0;
  return sub.run(c, parsed.flags, parsed.args, json || (parsed.flags.json as boolean));
}

/** The labels of a command's repeatable `--label KEY=VALUE`. */
export function labelsOf(f: FlagValues): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const l of (f.label as string[] | undefined) ?? []) {
    const eq = l.indexOf('=');
    if (eq <= 0) throw new TsrunError(`--label ${JSON.stringify(l)}: expected KEY=VALUE`, { code: 'invalid-argument' });
    labels[l.slice(0, eq)] = l.slice(eq + 1);
  }
  return labels;
}

/**
 * `act` on each of `names` in turn: a failure is one line on stderr (`tsctl: <verb> <name>: …`)
 * and the others go on, as docker's rm, inspect and stop do; 1 when any failed.
 */
export async function forEachName(names: string[], verb: string, act: (name: string) => Promise<void>, messageOf: (err: unknown) => string): Promise<number> {
  let failed = 0;
  for (const name of names) {
    try {
      await act(name);
    } catch (err) {
      failed++;
      process.stderr.write(`tsctl: ${verb} ${name.slice(0, 80)}: ${messageOf(err)}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}
