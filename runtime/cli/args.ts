/**
 * Command-line parsing the way runc's (urfave/cli v1) does it: global flags, a command, the
 * command's flags, then positional arguments. Flag parsing stops at the first positional argument
 * or at "--", so `tsrun exec ID sh -c ...` keeps the container's arguments intact.
 */
import { TsrunError } from '../../common/errors';

export interface FlagSpec {
  /** Long name without dashes. */
  name: string;
  /** Single-letter alias. */
  short?: string;
  /** Other long names (docker's `--net` for `--network`). */
  aliases?: string[];
  /** 'list': a string flag that may be repeated (`-e A=1 -e B=2`), collected in order. */
  kind: 'bool' | 'string' | 'int' | 'list';
  usage: string;
  default?: string | number | boolean;
}

export type FlagValues = Record<string, string | number | boolean | string[] | undefined>;

export interface Parsed {
  flags: FlagValues;
  rest: string[];
}

function findFlag(specs: FlagSpec[], key: string): FlagSpec | undefined {
  return specs.find((s) => s.name === key || s.short === key || s.aliases?.includes(key));
}

/** Parse flags from the front of `argv`; what follows the first positional argument is `rest`. */
export function parseFlags(argv: string[], specs: FlagSpec[], where: string): Parsed {
  const flags: FlagValues = {};
  for (const s of specs) flags[s.name] = s.default;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const key = eq >= 0 ? body.slice(0, eq) : body;
    const spec = findFlag(specs, key);
    if (!spec) throw new TsrunError(`${where}: flag provided but not defined: -${key}`, { code: 'invalid-argument', subject: `-${key}` });
    let value: string | undefined = eq >= 0 ? body.slice(eq + 1) : undefined;
    if (spec.kind === 'bool') {
      flags[spec.name] = value === undefined ? true : parseBool(value, spec.name);
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new TsrunError(`${where}: flag needs an argument: -${key}`, { code: 'invalid-argument', subject: `-${key}` });
      value = argv[++i];
    }
    if (spec.kind === 'int') {
      if (!/^-?\d+$/.test(value)) throw new TsrunError(`${where}: invalid value "${value}" for flag -${key}: must be an integer`, { code: 'invalid-argument', subject: `-${key}` });
      flags[spec.name] = Number(value);
    } else if (spec.kind === 'list') {
      flags[spec.name] = [...((flags[spec.name] as string[] | undefined) ?? []), value];
    } else {
      flags[spec.name] = value;
    }
  }
  return { flags, rest: argv.slice(i) };
}

function parseBool(value: string, name: string): boolean {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new TsrunError(`invalid boolean value "${value}" for flag --${name}`, { code: 'invalid-argument', subject: `--${name}` });
}

export function flagHelp(specs: FlagSpec[]): string {
  const names = specs.map((s) => {
    const all = [`--${s.name}`, ...(s.aliases ?? []).map((a) => `--${a}`), s.short ? `-${s.short}` : ''].filter(Boolean).join(', ');
    return all + (s.kind === 'bool' ? '' : ' value');
  });
  // The usages in one column, however long a flag's names are.
  const width = Math.max(28, ...names.map((n) => n.length + 1));
  return specs.map((s, i) => `   ${names[i].padEnd(width)} ${s.usage}`).join('\n');
}
