/**
 * More cases on runtime.md operations: the shape of the state through the lifecycle, errors for
 * ids that name no container, bad create input, and what create and delete must and must not touch.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Case, CaseContext, expect } from '../case';
import { ContainerState } from '../driver';
import { processExists as isProcessAlive } from '../../test/helpers/tsrun';
import { SEMVER, created, describeState, isState, started } from './lifecycle';
import { expectCreateFails, waitFor } from './util';

const SPEC_STATUSES = ['creating', 'created', 'running', 'stopped'];

/** Every way a state document breaks runtime.md § State, empty when it conforms. */
function stateProblems(s: ContainerState, id: string): string[] {
  const problems: string[] = [];
  if (typeof s.ociVersion !== 'string' || !SEMVER.test(s.ociVersion)) problems.push(`ociVersion ${JSON.stringify(s.ociVersion)} is not SemVer`);
  if (s.id !== id) problems.push(`id is ${JSON.stringify(s.id)}`);
  if (!SPEC_STATUSES.includes(s.status)) problems.push(`status ${JSON.stringify(s.status)} is none of ${SPEC_STATUSES.join(', ')}`);
  const live = s.status === 'created' || s.status === 'running';
  if (live && !(Number.isInteger(s.pid) && (s.pid as number) > 0)) problems.push(`pid ${JSON.stringify(s.pid)} while ${s.status}`);
  if (typeof s.bundle !== 'string' || !path.isAbsolute(s.bundle)) problems.push(`bundle ${JSON.stringify(s.bundle)} is not an absolute path`);
  const annotations = s.annotations;
  if (annotations !== undefined && (typeof annotations !== 'object' || annotations === null || Object.values(annotations).some((v) => typeof v !== 'string'))) {
    problems.push(`annotations ${JSON.stringify(annotations)} is not a map of strings`);
  }
  return problems;
}

/** The state of `id`, failing the case unless it has status `status` and conforms. */
function conformingState(ctx: CaseContext, id: string, status: string): ContainerState {
  const s = ctx.runtime.state(id);
  expect(isState(s) && s.status === status, `expected status ${status}: ${describeState(s)}`);
  const problems = stateProblems(s, id);
  expect(problems.length === 0, `state while ${status}: ${problems.join('; ')}`);
  return s;
}

/** A case that an operation on an id naming no container fails. */
function unknownIdCase(operation: string, args: string[]): Case {
  return {
    id: `lifecycle.${operation}-unknown-id`,
    clause: `runtime.md § ${operation[0].toUpperCase()}${operation.slice(1)}`,
    level: 'MUST',
    requirement: `${operation} of an id that names no container is an error`,
    async check(ctx) {
      const id = ctx.runtime.newId('absent');
      const r = ctx.runtime.cmd([operation, id, ...args]);
      expect(r.code !== 0, `${operation} of the unknown id ${id} succeeded`);
    },
  };
}

/** dev:ino of what a path leads to, for telling executables apart. */
function identity(p: string): string {
  const st = fs.statSync(p);
  return `${st.dev}:${st.ino}`;
}

export const operationCases: Case[] = [
  {
    id: 'lifecycle.state-shape',
    clause: 'runtime.md § State',
    level: 'MUST',
    requirement: 'created, running and stopped states each carry a SemVer ociVersion, the id, a status from the spec, a pid while created or running, an absolute bundle and string annotations',
    async check(ctx) {
      const { id } = created(ctx, ['sleep', '30']);
      conformingState(ctx, id, 'created');
      const r = ctx.runtime.cmd(['start', id]);
      expect(r.code === 0, `start failed (exit ${r.code}): ${r.stderr.trim().slice(0, 300)}`);
      conformingState(ctx, id, 'running');
      expect(ctx.runtime.cmd(['kill', id, 'KILL']).code === 0, 'kill KILL failed');
      await ctx.runtime.waitForStatus(id, 'stopped');
      conformingState(ctx, id, 'stopped');
    },
  },
  {
    id: 'lifecycle.bundle-absolute',
    clause: 'runtime.md § State',
    level: 'MUST',
    requirement: 'the state bundle is the absolute path of the bundle even when create was given it relative to the working directory',
    async check(ctx) {
      const b = ctx.bundle(['sleep', '30']);
      const id = ctx.runtime.newId('relbundle');
      const r = ctx.runtime.cmd(['create', '--bundle', path.basename(b.dir), id], 20_000, path.dirname(b.dir));
      expect(r.code === 0, `create with a relative --bundle failed (exit ${r.code}): ${r.stderr.trim().slice(0, 300)}`);
      const s = ctx.runtime.state(id);
      expect(isState(s), `state: ${describeState(s)}`);
      expect(path.isAbsolute(s.bundle) && fs.realpathSync(s.bundle) === fs.realpathSync(b.dir), `bundle is ${JSON.stringify(s.bundle)}, want ${b.dir}`);
    },
  },
  unknownIdCase('start', []),
  unknownIdCase('kill', ['TERM']),
  unknownIdCase('delete', []),
  {
    id: 'lifecycle.create-without-config',
    clause: 'runtime.md § Create',
    level: 'MUST',
    requirement: 'create of a bundle directory that holds no config.json fails and no container exists afterwards',
    async check(ctx) {
      const b = ctx.bundle(['true']);
      fs.rmSync(path.join(b.dir, 'config.json'));
      expectCreateFails(ctx, b.dir, 'no config.json in the bundle');
    },
  },
  {
    id: 'lifecycle.create-invalid-id',
    clause: 'runtime.md § Create',
    level: 'MUST',
    requirement: 'create with an id that cannot name a container (one holding "/" and "..") fails and creates nothing in the state dir',
    async check(ctx) {
      const b = ctx.bundle(['true']);
      const before = fs.readdirSync(ctx.runtime.root).sort().join(',');
      const id = `../${ctx.runtime.newId('badid')}`;
      const r = ctx.runtime.create(id, b.dir);
      // Whatever the runtime made of the id, it must not survive a force delete.
      ctx.runtime.forceDelete(id);
      expect(r.code !== 0, `create with id ${JSON.stringify(id)} succeeded`);
      const after = fs.readdirSync(ctx.runtime.root).sort().join(',');
      expect(after === before, `the state dir changed from [${before}] to [${after}]`);
      expect(!fs.existsSync(path.join(ctx.runtime.root, id)), `${path.join(ctx.runtime.root, id)} exists`);
    },
  },
  {
    id: 'lifecycle.config-changes-after-create',
    clause: 'runtime.md § Create',
    level: 'MUST',
    requirement: 'editing config.json after create changes nothing: start runs the process.args create read',
    async check(ctx) {
      const { id, bundle } = created(ctx, ['sh', '-c', 'touch /original; sleep 30'], (c) => {
        c.root.readonly = false;
      });
      bundle.config.process.args = ['sh', '-c', 'touch /edited; sleep 30'];
      bundle.save();
      const r = ctx.runtime.cmd(['start', id]);
      expect(r.code === 0, `start failed (exit ${r.code}): ${r.stderr.trim().slice(0, 300)}`);
      const ran = await waitFor(() => ['original', 'edited'].some((f) => fs.existsSync(path.join(bundle.rootfs, f))), 5000);
      expect(ran, 'the process left no marker within 5 s of start');
      expect(!fs.existsSync(path.join(bundle.rootfs, 'edited')), 'start ran the args written to config.json after create');
    },
  },
  {
    id: 'lifecycle.created-not-executed',
    clause: 'runtime.md § Lifecycle',
    level: 'MUST',
    requirement: 'while created, the container process has not executed the user program (its executable is not yet the bundle\'s binary); after start it is',
    async check(ctx) {
      const { id, bundle, state } = created(ctx, ['sleep', '30']);
      const program = identity(path.join(bundle.rootfs, 'bin', 'busybox'));
      const exe = `/proc/${state.pid}/exe`;
      expect(identity(exe) !== program, `pid ${state.pid} already executes the user program before start`);
      const r = ctx.runtime.cmd(['start', id]);
      expect(r.code === 0, `start failed (exit ${r.code}): ${r.stderr.trim().slice(0, 300)}`);
      expect(await waitFor(() => identity(exe) === program, 5000), `pid ${state.pid} does not execute the user program after start`);
    },
  },
  {
    id: 'lifecycle.delete-keeps-foreign-resources',
    clause: 'runtime.md § Delete',
    level: 'MUST',
    requirement: 'delete removes only what create made: a joined namespace (another container\'s) and a bind-mount source survive it',
    async check(ctx) {
      const holder = started(ctx, ['sleep', '30']);
      const netns = fs.readlinkSync(`/proc/${holder.state.pid}/ns/net`);
      const joiner = ctx.bundle(['true'], (c) => {
        c.linux.namespaces = c.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network', path: `/proc/${holder.state.pid}/ns/net` } : n));
      });
      const source = path.join(joiner.dir, 'data');
      fs.mkdirSync(source);
      fs.writeFileSync(path.join(source, 'keep'), 'keep');
      joiner.config.mounts.push({ destination: '/conf-data', type: 'bind', source, options: ['rbind', 'rw'] });
      joiner.save();
      const id = ctx.runtime.newId('joiner');
      const r = ctx.runtime.create(id, joiner.dir);
      expect(r.code === 0, `create of the joining container failed (exit ${r.code}): ${r.stderr.trim().slice(0, 300)}`);
      expect(ctx.runtime.cmd(['start', id]).code === 0, 'start of the joining container failed');
      const s = await ctx.runtime.waitForStatus(id, 'stopped');
      expect(isState(s) && s.status === 'stopped', `the joining container: ${describeState(s)}`);
      const d = ctx.runtime.cmd(['delete', id]);
      expect(d.code === 0, `delete failed (exit ${d.code}): ${d.stderr.trim().slice(0, 300)}`);
      expect(isProcessAlive(holder.state.pid!), 'the container whose network namespace was joined died');
      expect(fs.readlinkSync(`/proc/${holder.state.pid}/ns/net`) === netns, 'the joined network namespace changed');
      expect(fs.existsSync(path.join(source, 'keep')), 'the bind-mount source lost its file');
    },
  },
];
