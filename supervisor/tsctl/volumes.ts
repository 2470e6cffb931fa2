/**
 * `tsctl volume create|ls|inspect|rm|prune`, docker's output: `ls` as DRIVER and VOLUME NAME
 * columns (-q: names only), `inspect` as docker's JSON array, `prune` asking first unless -f.
 */
import * as readline from 'readline';
import { TsrunError } from '../../common/errors';
import { callErrorMessage, type TsrundClient, type Volume } from '../client/client';
import { forEachName, labelsOf, runSubCommand, type SubCommand } from './command';
import { bytesText, out, printJson, printTable, timeText } from './output';

const FILTER_FLAG = { name: 'filter', short: 'f', kind: 'list', usage: 'label=KEY[=VALUE] or dangling=true (repeatable)' } as const;

/** --filter values as the List request's fields. */
function filtersOf(values: string[] | undefined): { labelFilters: string[]; unusedOnly: boolean } {
  const labelFilters: string[] = [];
  let unusedOnly = false;
  for (const v of values ?? []) {
    if (v.startsWith('label=')) labelFilters.push(v.slice('label='.length));
    else if (v === 'dangling=true' || v === 'dangling=1') unusedOnly = true;
    else throw new TsrunError(`--filter ${JSON.stringify(v)}: give label=KEY[=VALUE] or dangling=true`, { code: 'invalid-argument', subject: '--filter' });
  }
  return { labelFilters, unusedOnly };
}

/** What `docker volume inspect` prints for a volume (and the containers using it). */
function inspectShape(v: Volume): object {
  return {
    CreatedAt: timeText(v.createdAt),
    Driver: v.driver,
    Labels: v.labels,
    Mountpoint: v.mountpoint,
    Name: v.name,
    Options: null,
    Scope: 'local',
    Anonymous: v.anonymous,
    Containers: v.containers,
  };
}

/** A yes from the user to `question` (one line of stdin). */
async function confirmed(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.question(question, resolve);
      rl.once('close', () => resolve(''));
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

export const SUBCOMMANDS: SubCommand[] = [
  {
    name: 'create',
    usage: 'create a volume (without a NAME: an anonymous one)',
    argsUsage: '[NAME]',
    flags: [{ name: 'label', short: 'l', kind: 'list', usage: 'KEY=VALUE label (repeatable)' }],
    args: [0, 1],
    async run(c, f, [name], json) {
      const v = await c.createVolume(name ?? '', { labels: labelsOf(f) });
      if (json) printJson(inspectShape(v));
      else out(`${v.name}\n`);
      return 0;
    },
  },
  {
    name: 'ls',
    usage: 'list volumes',
    argsUsage: '',
    flags: [{ name: 'quiet', short: 'q', kind: 'bool', usage: 'names only', default: false }, FILTER_FLAG],
    args: [0, 0],
    async run(c, f, _a, json) {
      const volumes = await c.listVolumes(filtersOf(f.filter as string[] | undefined));
      if (json) printJson(volumes.map(inspectShape));
      else if (f.quiet) out(volumes.map((v) => `${v.name}\n`).join(''));
      else
        printTable(
          ['DRIVER', 'VOLUME NAME'],
          volumes.map((v) => [v.driver, v.name]),
        );
      return 0;
    },
  },
  {
    name: 'inspect',
    usage: 'volumes as JSON',
    argsUsage: 'NAME...',
    flags: [],
    args: [1, -1],
    async run(c, _f, names) {
      const found: object[] = [];
      const status = await forEachName(names, 'volume inspect', async (name) => void found.push(inspectShape(await c.getVolume(name))), (err) => callErrorMessage(err, c.address));
      printJson(found);
      return status;
    },
  },
  {
    name: 'rm',
    usage: 'remove volumes (refused while a container uses one)',
    argsUsage: 'NAME...',
    flags: [],
    args: [1, -1],
    run: (c, _f, names, json) =>
      forEachName(
        names,
        'volume rm',
        async (name) => {
          await c.deleteVolume(name);
          if (!json) out(`${name}\n`);
        },
        (err) => callErrorMessage(err, c.address),
      ),
  },
  {
    name: 'prune',
    usage: 'remove the anonymous volumes no container uses (--all: named ones too)',
    argsUsage: '',
    flags: [
      { name: 'force', short: 'f', kind: 'bool', usage: 'do not ask', default: false },
      { name: 'all', short: 'a', kind: 'bool', usage: 'named volumes too', default: false },
      { name: 'filter', kind: 'list', usage: 'label=KEY[=VALUE] (repeatable)' },
    ],
    args: [0, 0],
    async run(c, f, _a, json) {
      const { labelFilters } = filtersOf(f.filter as string[] | undefined);
      const which = f.all ? 'local volumes' : 'anonymous local volumes';
      if (!f.force && !(await confirmed(`WARNING! This will remove ${which} not used by at least one container.\nAre you sure you want to continue? [y/N] `))) return 0;
      const r = await c.pruneVolumes({ all: f.all as boolean, labelFilters });
      if (json) printJson(r);
      else out(`${r.removed.length > 0 ? `Deleted Volumes:\n${r.removed.map((n) => `${n}\n`).join('')}\n` : ''}Total reclaimed space: ${bytesText(r.bytesReclaimed)}\n`);
      return 0;
    },
  },
];

/** `tsctl volume ARGS...`; `json`: whether --json was given before the subcommand. */
export function volumeCommand(c: TsrundClient, args: string[], json: boolean): Promise<number> {
  return runSubCommand('volume', SUBCOMMANDS, { list: 'ls', remove: 'rm' }, c, args, json);
}
