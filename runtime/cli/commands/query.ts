/** state, list, spec. */
import * as fs from 'fs';
import * as path from 'path';
import { defaultSpec } from '../../../spec/default-config';
import { observeStatus, ownerOf, stateOutput, StateOutput } from '../../lifecycle/observe';
import { TsrunError } from '../../../common/errors';
import type { Command } from '../command';
import { printOut } from '../command';

export const state: Command = {
  name: 'state',
  usage: 'output the state of a container',
  argsUsage: '<container-id>',
  flags: [],
  args: 1,
  run(_flags, [id], { store }) {
    const recorded = store.read(id);
    if (!recorded) throw new TsrunError('container does not exist');
    printOut(JSON.stringify(stateOutput(recorded, observeStatus(store, recorded)), null, 2) + '\n');
    return 0;
  },
};

export const list: Command = {
  name: 'list',
  usage: 'lists containers started by tsrun with the given root',
  argsUsage: '',
  flags: [
    { name: 'format', short: 'f', kind: 'string', usage: 'select one of: table or json', default: 'table' },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'display only container IDs', default: false },
  ],
  args: 0,
  run(flags, _args, { store }) {
    const all: StateOutput[] = [];
    for (const id of store.ids()) {
      // As runc: a container whose record cannot be read is reported and skipped, not fatal.
      try {
        const recorded = store.read(id);
        if (recorded) all.push(stateOutput(recorded, observeStatus(store, recorded), ownerOf(store.dir(id))));
      } catch (err) {
        process.stderr.write(`load container ${id}: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    }
    if (flags.quiet) {
      printOut(all.map((s) => s.id + '\n').join(''));
    } else if (flags.format === 'json') {
      printOut(JSON.stringify(all) + '\n');
    } else if (flags.format === 'table') {
      printOut(table(['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], all.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, s.owner])));
    } else {
      throw new TsrunError(`invalid format option`);
    }
    return 0;
  },
};

/** Columns as Go's tabwriter lays out runc's: at least 12 wide, 3 spaces of padding, last column free. */
export function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(12, ...all.map((r) => r[c].length + 3)));
  return all.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('') + '\n').join('');
}

export const spec: Command = {
  name: 'spec',
  usage: 'create a new specification file',
  argsUsage: '',
  flags: [{ name: 'bundle', short: 'b', kind: 'string', usage: 'path to the root of the bundle directory', default: '' }],
  args: 0,
  run(flags) {
    const file = path.join((flags.bundle as string) || '.', 'config.json');
    if (fs.existsSync(file)) throw new TsrunError('File config.json exists. Remove it first.');
    fs.writeFileSync(file, JSON.stringify(defaultSpec(), null, '\t'), { mode: 0o666 });
    return 0;
  },
};
