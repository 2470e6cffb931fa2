/**
 * Cases on the operations and lifecycle of runtime.md, observed from outside: exit codes of the
 * runtime's commands and the `state` JSON.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Case, CaseContext, expect } from '../case';
import { ContainerState } from '../driver';
import { processExists as isProcessAlive, sleep } from '../../test/helpers/tsrun';
import { waitFor } from './util';

export type StateOrError = ContainerState | { error: string };

export function isState(s: StateOrError): s is ContainerState {
  return 'status' in s;
}

export function describeState(s: StateOrError): string {
  return isState(s) ? `status ${s.status}, pid ${s.pid}` : `state failed: ${s.error.slice(0, 200)}`;
}

/** Create a container running `args`; fails the case unless create succeeds. */
export function created(ctx: CaseContext, args: string[], edit?: Parameters<CaseContext['bundle']>[1]) {
  const bundle = ctx.bundle(args, edit);
  const id = ctx.runtime.newId('life');
  const r = ctx.runtime.create(id, bundle.dir);
  expect(r.code === 0, `create failed (exit ${r.code}): ${r.stderr.trim().slice(0, 300)}`);
  const state = ctx.runtime.state(id);
  expect(isState(state), `state after create: ${describeState(state)}`);
  return { id, bundle, state };
}

export function started(ctx: CaseContext, args: string[]) {
  const c = created(ctx, args);
  const r = ctx.runtime.cmd(['start', c.id]);
  expect(r.code === 0, `start failed (exit ${r.code}): ${r.stderr.trim().slice(0, 300)}`);
  return c;
}

export async function stopped(ctx: CaseContext) {
  const c = started(ctx, ['true']);
  const s = await ctx.runtime.waitForStatus(c.id, 'stopped');
  expect(isState(s) && s.status === 'stopped', `after the process exited: ${describeState(s)}`);
  return c;
}

export const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

export const lifecycleCases: Case[] = [
  {
    id: 'lifecycle.create-state',
    clause: 'runtime.md § State',
    level: 'MUST',
    requirement: 'after create, state reports the id, status "created", the bundle path, a SemVer ociVersion and the pid of the live container process (in the container\'s mount namespace)',
    async check(ctx) {
      const { id, bundle, state } = created(ctx, ['sleep', '30']);
      expect(state.id === id, `state id is ${state.id}, not ${id}`);
      expect(state.status === 'created', `status is ${state.status}`);
      expect(path.resolve(state.bundle) === fs.realpathSync(bundle.dir) || state.bundle === bundle.dir, `bundle is ${state.bundle}`);
      expect(typeof state.ociVersion === 'string' && SEMVER.test(state.ociVersion), `ociVersion ${JSON.stringify(state.ociVersion)} is not SemVer`);
      expect(typeof state.pid === 'number' && state.pid > 0 && isProcessAlive(state.pid), `pid ${state.pid} is not a live process`);
      const mnt = fs.readlinkSync(`/proc/${state.pid}/ns/mnt`);
      expect(mnt !== ctx.hostNamespaces.mnt, `pid ${state.pid} is in the caller's mount namespace, not the container's`);
    },
  },
  {
    id: 'lifecycle.create-does-not-run-args',
    clause: 'runtime.md § Create',
    level: 'MUST',
    requirement: 'create prepares the container but does not run process.args; start then runs them',
    async check(ctx) {
      const { id, bundle } = created(ctx, ['sh', '-c', 'touch /ran; sleep 30'], (c) => {
        c.root.readonly = false;
      });
      const marker = path.join(bundle.rootfs, 'ran');
      await sleep(500);
      expect(!fs.existsSync(marker), 'the user process ran before start');
      const r = ctx.runtime.cmd(['start', id]);
      expect(r.code === 0, `start failed: ${r.stderr.trim()}`);
      expect(await waitFor(() => fs.existsSync(marker), 5000), 'the user process did not run within 5 s of start');
    },
  },
  {
    id: 'lifecycle.start-running',
    clause: 'runtime.md § State',
    level: 'MUST',
    requirement: 'once start has run the user process and it has not exited, status is "running" with the same pid',
    async check(ctx) {
      const { id, state } = started(ctx, ['sleep', '30']);
      const s = ctx.runtime.state(id);
      expect(isState(s) && s.status === 'running', `after start: ${describeState(s)}`);
      expect(s.pid === state.pid, `pid changed from ${state.pid} to ${s.pid} across start`);
    },
  },
  {
    id: 'lifecycle.stopped-state',
    clause: 'runtime.md § State',
    level: 'MUST',
    requirement: 'after the container process exits, state still answers, with status "stopped"',
    async check(ctx) {
      await stopped(ctx);
    },
  },
  {
    id: 'lifecycle.state-unknown-id',
    clause: 'runtime.md § Query State',
    level: 'MUST',
    requirement: 'state of an id that names no container is an error',
    async check(ctx) {
      const r = ctx.runtime.cmd(['state', ctx.runtime.newId('absent')]);
      expect(r.code !== 0, 'state of an unknown id succeeded');
    },
  },
  {
    id: 'lifecycle.create-duplicate-id',
    clause: 'runtime.md § Create',
    level: 'MUST',
    requirement: 'create with an id already in use fails and leaves the existing container as it was',
    async check(ctx) {
      const { id, state } = created(ctx, ['sleep', '30']);
      const other = ctx.bundle(['sleep', '30']);
      const r = ctx.runtime.create(id, other.dir);
      expect(r.code !== 0, 'a second create with the same id succeeded');
      const s = ctx.runtime.state(id);
      expect(isState(s) && s.status === 'created' && s.pid === state.pid && s.bundle === state.bundle, `existing container changed: ${describeState(s)}`);
      expect(isProcessAlive(state.pid!), 'the existing container process died');
    },
  },
  {
    id: 'lifecycle.create-error-creates-nothing',
    clause: 'runtime.md § Create',
    level: 'MUST',
    requirement: 'when create cannot apply the config (a bind mount of a missing source) it fails and no container with that id exists',
    async check(ctx) {
      const bundle = ctx.bundle(['true'], (c) => {
        c.mounts.push({ destination: '/conf', type: 'bind', source: '/nonexistent-conformance-source', options: ['rbind'] });
      });
      const id = ctx.runtime.newId('bad');
      const r = ctx.runtime.create(id, bundle.dir);
      expect(r.code !== 0, 'create with a bind mount of a missing source succeeded');
      const s = ctx.runtime.state(id);
      expect(!isState(s), `a container exists after the failed create: ${describeState(s)}`);
    },
  },
  {
    id: 'lifecycle.start-twice',
    clause: 'runtime.md § Start',
    level: 'MUST',
    requirement: 'start of a running container fails and does not disturb it',
    async check(ctx) {
      const { id, state } = started(ctx, ['sleep', '30']);
      const r = ctx.runtime.cmd(['start', id]);
      expect(r.code !== 0, 'a second start succeeded');
      const s = ctx.runtime.state(id);
      expect(isState(s) && s.status === 'running' && s.pid === state.pid, `after the second start: ${describeState(s)}`);
    },
  },
  {
    id: 'lifecycle.start-stopped',
    clause: 'runtime.md § Start',
    level: 'MUST',
    requirement: 'start of a stopped container fails and it stays stopped',
    async check(ctx) {
      const { id } = await stopped(ctx);
      const r = ctx.runtime.cmd(['start', id]);
      expect(r.code !== 0, 'start of a stopped container succeeded');
      const s = ctx.runtime.state(id);
      expect(isState(s) && s.status === 'stopped', `afterwards: ${describeState(s)}`);
    },
  },
  {
    id: 'lifecycle.kill-created',
    clause: 'runtime.md § Kill',
    level: 'MUST',
    requirement: 'kill of a created container delivers the signal to its process (SIGKILL: it stops)',
    async check(ctx) {
      const { id, state } = created(ctx, ['sleep', '30']);
      const r = ctx.runtime.cmd(['kill', id, 'KILL']);
      expect(r.code === 0, `kill failed (exit ${r.code}): ${r.stderr.trim()}`);
      const s = await ctx.runtime.waitForStatus(id, 'stopped');
      expect(isState(s) && s.status === 'stopped', `after SIGKILL: ${describeState(s)}`);
      expect(await waitFor(() => !isProcessAlive(state.pid!), 2000), `process ${state.pid} is still alive`);
    },
  },
  {
    id: 'lifecycle.kill-running-term',
    clause: 'runtime.md § Kill',
    level: 'MUST',
    requirement: 'kill with SIGTERM reaches a running container process (a shell trapping TERM exits 0 on it)',
    async check(ctx) {
      const { id, bundle } = created(ctx, ['sh', '-c', 'trap "echo got > /got; exit 0" TERM; touch /ready; while true; do sleep 0.1; done'], (c) => {
        c.root.readonly = false;
      });
      expect(ctx.runtime.cmd(['start', id]).code === 0, 'start failed');
      expect(await waitFor(() => fs.existsSync(path.join(bundle.rootfs, 'ready')), 5000), 'the process never became ready');
      const r = ctx.runtime.cmd(['kill', id, 'TERM']);
      expect(r.code === 0, `kill TERM failed (exit ${r.code}): ${r.stderr.trim()}`);
      expect(await waitFor(() => fs.existsSync(path.join(bundle.rootfs, 'got')), 5000), 'the process did not receive SIGTERM');
    },
  },
  {
    id: 'lifecycle.kill-stopped',
    clause: 'runtime.md § Kill',
    level: 'MUST',
    requirement: 'kill of a stopped container fails and changes nothing',
    async check(ctx) {
      const { id } = await stopped(ctx);
      const r = ctx.runtime.cmd(['kill', id, 'TERM']);
      expect(r.code !== 0, 'kill of a stopped container succeeded');
      const s = ctx.runtime.state(id);
      expect(isState(s) && s.status === 'stopped', `afterwards: ${describeState(s)}`);
    },
  },
  {
    id: 'lifecycle.kill-invalid-signal',
    clause: 'runtime.md § Kill',
    level: 'MUST',
    requirement: 'kill with a signal that does not exist fails and the container keeps running',
    async check(ctx) {
      const { id, state } = started(ctx, ['sleep', '30']);
      const r = ctx.runtime.cmd(['kill', id, 'SIGCONFORMANCE']);
      expect(r.code !== 0, 'kill with signal SIGCONFORMANCE succeeded');
      const s = ctx.runtime.state(id);
      expect(isState(s) && s.status === 'running' && s.pid === state.pid, `afterwards: ${describeState(s)}`);
    },
  },
  {
    id: 'lifecycle.delete-stopped',
    clause: 'runtime.md § Delete',
    level: 'MUST',
    requirement: 'delete of a stopped container removes it: state then fails, and the id can be used again',
    async check(ctx) {
      const { id, bundle } = await stopped(ctx);
      const r = ctx.runtime.cmd(['delete', id]);
      expect(r.code === 0, `delete failed (exit ${r.code}): ${r.stderr.trim()}`);
      const s = ctx.runtime.state(id);
      expect(!isState(s), `state after delete: ${describeState(s)}`);
      const again = ctx.runtime.create(id, bundle.dir);
      expect(again.code === 0, `create reusing the deleted id failed: ${again.stderr.trim()}`);
    },
  },
  {
    id: 'lifecycle.delete-running',
    clause: 'runtime.md § Delete',
    level: 'MUST',
    requirement: 'delete (without force) of a running container fails and leaves it running',
    async check(ctx) {
      const { id, state } = started(ctx, ['sleep', '30']);
      const r = ctx.runtime.cmd(['delete', id]);
      expect(r.code !== 0, 'delete of a running container succeeded');
      const s = ctx.runtime.state(id);
      expect(isState(s) && s.status === 'running' && s.pid === state.pid, `afterwards: ${describeState(s)}`);
    },
  },
  {
    id: 'lifecycle.delete-created',
    clause: 'runtime.md § Delete',
    level: 'MUST',
    requirement: 'delete (without force) of a created container fails, since it is not stopped, and leaves it created',
    async check(ctx) {
      const { id, state } = created(ctx, ['sleep', '30']);
      const r = ctx.runtime.cmd(['delete', id]);
      expect(r.code !== 0, 'delete of a created container succeeded');
      const s = ctx.runtime.state(id);
      expect(isState(s) && s.status === 'created' && s.pid === state.pid, `afterwards: ${describeState(s)}`);
    },
  },
  {
    id: 'lifecycle.annotations-in-state',
    clause: 'runtime.md § State',
    level: 'MUST',
    requirement: 'the annotations of config.json appear in the state',
    async check(ctx) {
      const { state } = created(ctx, ['sleep', '30'], (c) => {
        c.annotations = { 'org.example.conformance': 'yes', 'org.example.empty': '' };
      });
      expect(
        state.annotations?.['org.example.conformance'] === 'yes' && state.annotations?.['org.example.empty'] === '',
        `state annotations are ${JSON.stringify(state.annotations)}`,
      );
    },
  },
];
