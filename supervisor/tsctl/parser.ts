/**
 * tsctl's command lines, parsed as docker's (spf13/pflag) are, with yargs: a FlagSpec table (the
 * one declaration of a command's flags) becomes yargs options here, and yargs reads their values,
 * defaults, repeats and types, and writes the help. Before yargs, each argument is sorted into a
 * flag or an operand by pflag's rules, which yargs-parser does not follow: a short flag that takes
 * a value takes the rest of its group (`-eFOO=bar`, `-p8080:80`; yargs-parser reads `-eFOO` as
 * -e -F -O -O), and a flag's value is the next argument whatever it starts with (`-e -x`).
 * tsrun keeps runc's grammar (runtime/cli/args.ts); this is tsctl's.
 */
import yargs from 'yargs/yargs';
import type { Options } from 'yargs';
import type { FlagSpec, FlagValues } from '../../runtime/cli/args';
import { TsrunError } from '../../common/errors';

/**
 * A command line tsctl refuses before it asks tsrund anything. `flag`: the error is a flag's
 * (unknown, without its value, a value of the wrong type), exit status 125 on every command as
 * docker's; otherwise (the arguments' count, an unknown command) 125 on run, create, start and exec only.
 */
export class UsageError extends TsrunError {
  constructor(
    message: string,
    readonly flag: boolean,
  ) {
    super(message, { code: 'invalid-argument' });
    this.name = 'UsageError';
  }
}

export interface Grammar {
  /** Flags end at the first operand (an image and its command, a group's subcommand), as docker's run and exec. */
  trailing?: boolean;
}

export interface ParsedLine {
  flags: FlagValues;
  args: string[];
}

const BOOL_TEXT: Record<string, boolean> = { true: true, '1': true, t: true, T: true, TRUE: true, True: true, false: false, '0': false, f: false, F: false, FALSE: false, False: false };

/** At most this much of an argument quoted back in an error: one readable line whatever was typed. */
const QUOTED = 60;
const quote = (text: string) => JSON.stringify(text.length > QUOTED ? `${text.slice(0, QUOTED)}...` : text);
/** A flag as typed, quoted when it holds what a terminal would not show as typed. */
const flagText = (text: string) => (/^[\x21-\x7e]{1,60}$/.test(text) ? text : quote(text));

/** `argv` (after the command's name) parsed for `specs`; `where` is what the user typed to get here ("tsctl run"). */
export function parseLine(argv: string[], specs: FlagSpec[], where: string, grammar: Grammar = {}): ParsedLine {
  const { tokens, operands } = sortArguments(argv, specs, where, grammar);
  const parsed = parser(specs, where).parseSync(tokens) as Record<string, unknown>;
  const flags: FlagValues = {};
  for (const s of specs) {
    const value = parsed[s.name] as FlagValues[string];
    // A repeated flag that is not a list counts once, its last value: pflag's rule.
    flags[s.name] = (s.kind !== 'list' && Array.isArray(value) ? value[value.length - 1] : value) ?? s.default;
  }
  return { flags, args: operands };
}

/** The help of a command: its usage line, what it does, its subcommands, and its flags with their short forms and defaults. */
export function helpText(o: { usage: string; description: string; flags: FlagSpec[]; commands?: { name: string; usage: string }[]; epilogue?: string }): string {
  const y = parser(o.flags, o.usage).usage(`Usage: ${o.usage}\n\n${o.description}`);
  for (const c of o.commands ?? []) y.command(c.name, c.usage);
  if (o.epilogue) y.epilogue(o.epilogue);
  let text = '';
  y.showHelp((s) => (text = s));
  // yargs names each command with the script's name, which a nested usage has already said.
  return text.replace(/^ {2}\$0 /gm, '  ') + '\n';
}

function parser(specs: FlagSpec[], where: string) {
  return yargs()
    .scriptName('$0')
    .exitProcess(false)
    .help(false)
    .version(false)
    .strictOptions()
    .wrap(100)
    .parserConfiguration({
      'camel-case-expansion': false,
      'dot-notation': false,
      'parse-numbers': false,
      'parse-positional-numbers': false,
      'boolean-negation': false,
      'greedy-arrays': false,
      'short-option-groups': false,
      'strip-aliased': true,
    })
    .options(Object.fromEntries(specs.map((s) => [s.name, yargsOption(s)])))
    .fail((message, err) => {
      throw err ?? new UsageError(`${where}: ${message} (see ${where} --help)`, true);
    });
}

/** One FlagSpec as a yargs option: what FlagValues holds of it (a list: string[], an int: number). */
function yargsOption(s: FlagSpec): Options {
  const names = [...(s.short ? [s.short] : []), ...(s.aliases ?? [])];
  const common: Options = { description: s.usage, ...(names.length ? { alias: names } : {}), ...(s.default === undefined ? {} : { default: s.default }) };
  switch (s.kind) {
    case 'bool':
      return { ...common, type: 'boolean' };
    case 'list':
      return { ...common, type: 'string', array: true };
    case 'int':
      return { ...common, type: 'number' };
    default:
      return { ...common, type: 'string' };
  }
}

/**
 * pflag's reading of `argv`: each flag as one `--name=value` token for yargs (its canonical name,
 * a bool's value spelled true or false), the operands apart. Refuses a flag the table lacks and a
 * flag without its value.
 */
function sortArguments(argv: string[], specs: FlagSpec[], where: string, grammar: Grammar): { tokens: string[]; operands: string[] } {
  const tokens: string[] = [];
  const operands: string[] = [];
  const refuse = (what: string) => new UsageError(`${where}: ${what} (see ${where} --help)`, true);
  const emit = (s: FlagSpec, value: string | undefined, shown: string) => {
    if (s.kind === 'int' && !/^-?\d{1,15}$/.test(value!)) throw refuse(`invalid value ${quote(value!)} for flag ${shown}: must be an integer`);
    if (s.kind === 'bool' && value !== undefined && !Object.hasOwn(BOOL_TEXT, value)) throw refuse(`invalid value ${quote(value)} for flag ${shown}: give true or false`);
    tokens.push(`--${s.name}=${s.kind !== 'bool' ? value : value === undefined || BOOL_TEXT[value]}`);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) return undefined;
      return argv[++i];
    };
    if (arg === '--') {
      operands.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const s = specs.find((f) => f.name === name || f.aliases?.includes(name));
      if (!s) throw refuse(`unknown flag: ${flagText(`--${name}`)}`);
      let value = eq < 0 ? undefined : arg.slice(eq + 1);
      if (value === undefined && s.kind !== 'bool' && (value = next()) === undefined) throw refuse(`flag needs an argument: --${name}`);
      emit(s, value, `--${name}`);
      continue;
    }
    if (arg.startsWith('-') && arg !== '-') {
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j];
        const s = specs.find((f) => f.short === letter);
        if (!s) throw refuse(`unknown shorthand flag: ${quote(letter)} in ${flagText(arg)}`);
        const rest = arg.slice(j + 1);
        if (s.kind === 'bool' && !rest.startsWith('=')) {
          emit(s, undefined, `-${letter}`);
          continue;
        }
        // A flag taking a value takes the rest of the group, else the next argument.
        const value = rest.startsWith('=') ? rest.slice(1) : rest !== '' ? rest : next();
        if (value === undefined) throw refuse(`flag needs an argument: -${letter}`);
        emit(s, value, `-${letter}`);
        break;
      }
      continue;
    }
    if (grammar.trailing) {
      operands.push(...argv.slice(i));
      break;
    }
    operands.push(arg);
  }
  return { tokens, operands };
}
