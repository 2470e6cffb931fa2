/** pause, resume, ps, update: acting on a live container through its cgroups. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import type { LinuxResources } from '../../../spec/types';
import { loadCgroupManager } from '../../cgroups';
import { pauseContainer, resumeContainer, updateContainer } from '../../lifecycle/stored';
import { TsrunError } from '../../../common/errors';
import type { FlagSpec, FlagValues } from '../args';
import type { Command } from '../command';
import { printOut } from '../command';

export const pause: Command = {
  name: 'pause',
  usage: 'pause suspends all processes inside the container',
  argsUsage: '<container-id>',
  flags: [],
  args: 1,
  async run(_flags, [id], { store }) {
    await pauseContainer(store, id);
    return 0;
  },
};

export const resume: Command = {
  name: 'resume',
  usage: 'resumes all processes that have been previously paused',
  argsUsage: '<container-id>',
  flags: [],
  args: 1,
  async run(_flags, [id], { store }) {
    await resumeContainer(store, id);
    return 0;
  },
};

/** Keep `ps` output's header and the lines whose PID column is one of `pids`, as runc does. */
export function filterPsOutput(output: string, pids: number[]): string {
  const lines = output.split('\n');
  const pidIndex = lines[0].trim().split(/\s+/).indexOf('PID');
  if (pidIndex < 0) throw new TsrunError("couldn't find PID field in ps output");
  const wanted = new Set(pids);
  const kept = [lines[0]];
  for (const line of lines.slice(1)) {
    if (line.length === 0) continue;
    const field = line.trim().split(/\s+/)[pidIndex];
    if (!/^\d+$/.test(field ?? '')) throw new TsrunError(`unable to parse pid: ${JSON.stringify(field)} in ps output line ${JSON.stringify(line)}`);
    if (wanted.has(Number(field))) kept.push(line);
  }
  return kept.join('\n') + '\n';
}

export const ps: Command = {
  name: 'ps',
  usage: 'ps displays the processes running inside a container',
  argsUsage: '<container-id> [ps options]',
  flags: [{ name: 'format', short: 'f', kind: 'string', usage: 'select one of: table or json', default: 'table' }],
  args: [1, -1],
  run(flags, [id, ...psArgs], { store }) {
    const state = store.read(id);
    if (!state) throw new TsrunError('container does not exist');
    const pids = state.cgroups === null ? [] : loadCgroupManager(state.cgroups).pids();
    if (flags.format === 'json') {
      // runc encodes an empty Go slice: null.
      printOut((pids.length === 0 ? 'null' : JSON.stringify(pids)) + '\n');
      return 0;
    }
    if (flags.format !== 'table') throw new TsrunError('invalid format option');
    const r = spawnSync('ps', psArgs.length > 0 ? psArgs : ['-ef'], { encoding: 'utf8' });
    if (r.error) throw new TsrunError(`ps: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}`);
    if (r.status !== 0) throw new TsrunError(`ps exited with status ${r.status}: ${r.stdout}${r.stderr}`);
    printOut(filterPsOutput(r.stdout, pids));
    return 0;
  },
};

const RAM_UNITS: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

/** A size as runc's flags read it (docker's RAMInBytes): "1024", "512k", "64m", "1.5g", "2GiB". */
export function parseRamBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(text);
  if (!m) throw new Error(`invalid size: '${text}'`);
  return Math.floor(Number(m[1]) * RAM_UNITS[(m[2] ?? '').toLowerCase()]);
}

/** runc's update flags tsrun does not implement: refused by name instead of ignored. */
const REFUSED_FLAGS: ReadonlyMap<string, string> = new Map([
  ['l3-cache-schema', 'Intel RDT'],
  ['mem-bw-schema', 'Intel RDT'],
]);

const updateFlags: FlagSpec[] = [
  { name: 'resources', short: 'r', kind: 'string', usage: "path to the file containing the resources to update or '-' to read from the standard input" },
  { name: 'blkio-weight', kind: 'string', usage: 'Specifies per cgroup weight, range is from 10 to 1000 (default: 0)' },
  { name: 'cpu-period', kind: 'string', usage: 'CPU CFS period to be used for hardcapping (in usecs). 0 to use system default' },
  { name: 'cpu-quota', kind: 'string', usage: 'CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period' },
  { name: 'cpu-share', kind: 'string', usage: 'CPU shares (relative weight vs. other containers)' },
  { name: 'cpu-rt-period', kind: 'string', usage: 'CPU realtime period to be used for hardcapping (in usecs). 0 to use system default' },
  { name: 'cpu-rt-runtime', kind: 'string', usage: 'CPU realtime hardcap limit (in usecs). Allowed cpu time in a given period' },
  { name: 'cpuset-cpus', kind: 'string', usage: 'CPU(s) to use' },
  { name: 'cpuset-mems', kind: 'string', usage: 'Memory node(s) to use' },
  { name: 'memory', kind: 'string', usage: 'Memory limit (in bytes)' },
  { name: 'memory-reservation', kind: 'string', usage: 'Memory reservation or soft_limit (in bytes)' },
  { name: 'memory-swap', kind: 'string', usage: "Total memory usage (memory + swap); set '-1' to enable unlimited swap" },
  { name: 'pids-limit', kind: 'int', usage: 'Maximum number of pids allowed in the container (default: 0)', default: 0 },
  ...[...REFUSED_FLAGS].map(([name, what]): FlagSpec => ({ name, kind: 'string', usage: `not supported (${what})` })),
];

function integerFlag(flags: FlagValues, name: string, unsigned: boolean): number | undefined {
  const text = flags[name] as string | undefined;
  if (text === undefined || text === '') return undefined;
  if (!(unsigned ? /^\d+$/ : /^-?\d+$/).test(text)) {
    throw new TsrunError(`invalid value for ${name}: "${text}" is not ${unsigned ? 'an unsigned' : 'an'} integer`);
  }
  return Number(text);
}

function memoryFlag(flags: FlagValues, name: string): number | undefined {
  const text = flags[name] as string | undefined;
  if (text === undefined || text === '') return undefined;
  if (text === '-1') return -1;
  try {
    return parseRamBytes(text);
  } catch (err) {
    throw new TsrunError(`invalid value for ${name}: ${(err as Error).message}`);
  }
}

/** The resources the flags ask for (runc's names); flags left out stay undefined. */
export function resourcesFromFlags(flags: FlagValues): LinuxResources {
  for (const name of REFUSED_FLAGS.keys()) {
    if (flags[name] !== undefined) throw new TsrunError(`update: --${name} is not supported by tsrun (${REFUSED_FLAGS.get(name)})`);
  }
  const pidsLimit = flags['pids-limit'] as number;
  const blkioWeight = integerFlag(flags, 'blkio-weight', true);
  return {
    ...(blkioWeight !== undefined ? { blockIO: { weight: blkioWeight } } : {}),
    memory: {
      limit: memoryFlag(flags, 'memory'),
      reservation: memoryFlag(flags, 'memory-reservation'),
      swap: memoryFlag(flags, 'memory-swap'),
    },
    cpu: {
      shares: integerFlag(flags, 'cpu-share', true),
      quota: integerFlag(flags, 'cpu-quota', false),
      period: integerFlag(flags, 'cpu-period', true),
      realtimePeriod: integerFlag(flags, 'cpu-rt-period', true),
      realtimeRuntime: integerFlag(flags, 'cpu-rt-runtime', false),
      cpus: flags['cpuset-cpus'] as string | undefined,
      mems: flags['cpuset-mems'] as string | undefined,
    },
    ...(pidsLimit !== 0 ? { pids: { limit: pidsLimit } } : {}),
  };
}

/** The -r document: a LinuxResources JSON object from a file or, for "-", standard input. */
function readResourcesFile(file: string): LinuxResources {
  const where = file === '-' ? 'standard input' : file;
  let text: string;
  try {
    text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new TsrunError(`update: read ${where}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text) as LinuxResources;
  } catch (err) {
    throw new TsrunError(`update: ${where} is not valid JSON: ${(err as Error).message}`);
  }
}

export const update: Command = {
  name: 'update',
  usage: 'update container resource constraints',
  argsUsage: '<container-id>',
  flags: updateFlags,
  args: 1,
  async run(flags, [id], { store, log }) {
    // As runc: with -r every other flag is ignored.
    const file = flags.resources as string | undefined;
    for (const warning of await updateContainer(store, id, file ? readResourcesFile(file) : resourcesFromFlags(flags))) log.warn(warning);
    return 0;
  },
};
