/**
 * Bad command lines generated from tsrun's command table (so a new command or flag is covered
 * without touching this file): an unknown flag, a flag without its value, a value that is not an
 * integer, too few or too many arguments, a container that does not exist. Each fails with its
 * exit status and exactly one line on stderr that names what is wrong (the flag, the command, the
 * container), in tsrun's words and never in Node's.
 */
import type { Command } from '../../runtime/cli/command';
import { featuresCommand } from '../../runtime/cli/commands/features';
import { events } from '../../runtime/cli/commands/events';
import { exec } from '../../runtime/cli/commands/exec';
import { create, del, kill, run, start } from '../../runtime/cli/commands/lifecycle';
import { pause, ps, resume, update } from '../../runtime/cli/commands/manage';
import { list, spec, state } from '../../runtime/cli/commands/query';
import { Tsrun } from '../helpers/tsrun';
import { NODE_INTERNAL_TEXT } from '../supervisor/messages';

const COMMANDS: Command[] = [create, del, events, exec, featuresCommand, kill, list, pause, ps, resume, run, spec, start, state, update];
const MISSING = 'no-such-container';
/** runc's exit status for an exec that failed once its command line was read (tsrun keeps it); every other failure exits 1. */
const exitOf = (k: Case) => (k.command.name === 'exec' && k.names === NOT_EXIST ? 255 : 1);
/** runc's wording for a container that does not exist: it names no id, so neither does tsrun. */
const NOT_EXIST = /container does not exist/;

interface Case {
  what: string;
  command: Command;
  argv: string[];
  names: RegExp;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const minArgs = (c: Command) => (typeof c.args === 'number' ? c.args : c.args[0]);
const maxArgs = (c: Command) => (typeof c.args === 'number' ? c.args : c.args[1]);
const someArgs = (c: Command) => Array.from({ length: minArgs(c) }, (_, i) => (i === 0 ? MISSING : 'x'));

function casesOf(c: Command): Case[] {
  const out: Case[] = [
    { what: 'an unknown flag', command: c, argv: [c.name, '--no-such-flag', ...someArgs(c)], names: /flag provided but not defined: -no-such-flag/ },
  ];
  if (minArgs(c) > 0) out.push({ what: 'too few arguments', command: c, argv: [c.name], names: new RegExp(`\\\\?"${c.name}\\\\?" requires`) });
  if (maxArgs(c) >= 0) out.push({ what: 'too many arguments', command: c, argv: [c.name, ...someArgs(c), 'a', 'b', 'c'], names: new RegExp(`\\\\?"${c.name}\\\\?" requires`) });
  for (const f of c.flags) {
    if (f.kind === 'bool') continue;
    out.push({ what: `--${f.name} without its value`, command: c, argv: [c.name, `--${f.name}`], names: new RegExp(`flag needs an argument: -${escape(f.name)}`) });
    if (f.kind === 'int')
      out.push({ what: `--${f.name} not an integer`, command: c, argv: [c.name, `--${f.name}`, 'many', ...someArgs(c)], names: new RegExp(`-${escape(f.name)}: must be an integer`) });
  }
  if (c.argsUsage.startsWith('<container-id>') && c.name !== 'create' && c.name !== 'run')
    out.push({ what: 'a container that does not exist', command: c, argv: [c.name, ...someArgs(c), ...(c.name === 'exec' ? ['true'] : [])], names: NOT_EXIST });
  return out;
}

const CASES = COMMANDS.flatMap(casesOf).map((k) => [`${k.command.name}: ${k.what}`, k] as const);

let tsrun: Tsrun;
beforeAll(() => {
  tsrun = new Tsrun();
});
afterAll(() => tsrun.cleanup());

test('the generated cases cover every command', () => {
  expect(new Set(CASES.map(([, k]) => k.command.name))).toEqual(new Set(COMMANDS.map((c) => c.name)));
});

test.each(CASES)('%s: one line naming it', (_name, k) => {
  const r = tsrun.cmd(k.argv);
  const lines = r.stderr.trimEnd().split('\n');
  expect({ code: r.code, lines: lines.length }).toEqual({ code: exitOf(k), lines: 1 });
  expect(lines[0]).toMatch(k.names);
  expect(lines[0]).not.toMatch(NODE_INTERNAL_TEXT);
});

test('a bundle that does not exist is named by its path, not in Node\'s words', () => {
  const r = tsrun.cmd(['spec', '--bundle', '/nonexistent/bundle']);
  expect(r.code).toBe(1);
  expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/msg="\/nonexistent\/bundle\/config\.json: no such file or directory"$/)]);
});
