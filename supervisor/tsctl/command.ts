/**
 * What tsctl's commands and `tsctl images` subcommands share: their description, the --json and
 * --help flags every one takes, and the parsing of a command line against that description.
 */
import { flagHelp, parseFlags, type FlagSpec, type FlagValues } from '../../runtime/cli/args';
import { TsrunError } from '../../common/errors';
import { out } from './output';

export interface CommandSpec {
  name: string;
  usage: string;
  argsUsage: string;
  flags: FlagSpec[];
  /** [min, max]; max -1: any. */
  args: [number, number];
}

export const JSON_FLAG: FlagSpec = { name: 'json', kind: 'bool', usage: 'print JSON', default: false };
export const HELP_FLAG: FlagSpec = { name: 'help', short: 'h', kind: 'bool', usage: 'show help', default: false };

/** The COMMANDS section of a usage text. */
export function commandList(commands: CommandSpec[]): string {
  return commands.map((c) => `   ${c.name.padEnd(10)} ${c.usage}`).join('\n');
}

/**
 * `argv` (after the command's name) parsed for `cmd`, known to tsctl's user as `tsctl <path>`
 * (e.g. "images ls"): its flags and arguments, the count of arguments checked; null when --help
 * asked for the command's usage, which is printed.
 */
export function parseCommandLine(cmd: CommandSpec, path: string, argv: string[]): { flags: FlagValues; args: string[] } | null {
  const parsed = parseFlags(argv, [...cmd.flags, JSON_FLAG, HELP_FLAG], `tsctl ${path}`);
  if (parsed.flags.help) {
    out(`USAGE:\n   tsctl ${path} [options] ${cmd.argsUsage}\n\n${cmd.usage}\n\nOPTIONS:\n${flagHelp(cmd.flags)}\n`);
    return null;
  }
  const [min, max] = cmd.args;
  if (parsed.rest.length < min || (max >= 0 && parsed.rest.length > max)) {
    throw new TsrunError(`${path}: expects ${cmd.argsUsage || 'no arguments'}`, { code: 'invalid-argument' });
  }
  return { flags: parsed.flags, args: parsed.rest };
}
