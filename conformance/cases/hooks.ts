/**
 * Cases on config.md § POSIX-platform Hooks and runtime.md § Lifecycle: hooks run in the order
 * of the lifecycle, read the state on stdin, and a failing create-time hook fails create.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Case, expect } from '../case';

/** A hook appending its label to <rootfs>/hooks-order (`dir` as the hook sees that directory). */
function orderHook(label: string, dir: string) {
  return { path: '/bin/sh', args: ['sh', '-c', `cat >"${dir}/${label}.json"; echo ${label} >>"${dir}/hooks-order"`] };
}

export const hookCases: Case[] = [
  {
    id: 'hooks.order',
    clause: 'runtime.md § Lifecycle',
    level: 'MUST',
    requirement: 'createRuntime, createContainer, startContainer and poststop hooks run once each, in that order, across run and delete',
    async check(ctx) {
      const b = ctx.bundle(['true'], (c) => {
        c.root.readonly = false;
      });
      const rootfs = b.rootfs;
      b.config.hooks = {
        createRuntime: [orderHook('createRuntime', rootfs)],
        createContainer: [orderHook('createContainer', rootfs)],
        startContainer: [orderHook('startContainer', '')],
        poststop: [orderHook('poststop', rootfs)],
      };
      b.save();
      const id = ctx.runtime.newId('hooks');
      try {
        const r = await ctx.runtime.run(id, b.dir);
        expect(r.code === 0, `run failed: ${r.stderr.trim().slice(0, 300)}`);
      } finally {
        ctx.runtime.forceDelete(id);
      }
      const file = path.join(rootfs, 'hooks-order');
      const order = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n') : [];
      const want = ['createRuntime', 'createContainer', 'startContainer', 'poststop'];
      expect(JSON.stringify(order) === JSON.stringify(want), `hooks ran as ${JSON.stringify(order)}`);
    },
  },
  {
    id: 'hooks.stdin-state',
    clause: 'config.md § POSIX-platform Hooks',
    level: 'MUST',
    requirement: 'a createRuntime hook reads the container state on stdin: its id, status "creating", the pid and the bundle',
    async check(ctx) {
      const b = ctx.bundle(['true']);
      b.config.hooks = { createRuntime: [orderHook('createRuntime', b.rootfs)] };
      b.save();
      const id = ctx.runtime.newId('hooks');
      try {
        const r = ctx.runtime.create(id, b.dir);
        expect(r.code === 0, `create failed: ${r.stderr.trim().slice(0, 300)}`);
        const pid = (ctx.runtime.state(id) as { pid?: number }).pid;
        const state = JSON.parse(fs.readFileSync(path.join(b.rootfs, 'createRuntime.json'), 'utf8'));
        expect(state.id === id, `id is ${JSON.stringify(state.id)}`);
        expect(state.status === 'creating', `status is ${JSON.stringify(state.status)}`);
        expect(state.pid === pid, `pid is ${state.pid}, the container's is ${pid}`);
        expect(state.bundle === b.dir || fs.realpathSync(state.bundle) === fs.realpathSync(b.dir), `bundle is ${state.bundle}`);
      } finally {
        ctx.runtime.forceDelete(id);
      }
    },
  },
  {
    id: 'hooks.create-failure',
    clause: 'runtime.md § Lifecycle',
    level: 'MUST',
    requirement: 'a createRuntime hook that fails makes create fail, and no container is left',
    async check(ctx) {
      const b = ctx.bundle(['true']);
      b.config.hooks = { createRuntime: [{ path: '/bin/false' }] };
      b.save();
      const id = ctx.runtime.newId('hooks');
      try {
        const r = ctx.runtime.create(id, b.dir);
        expect(r.code !== 0, 'create succeeded');
        const s = ctx.runtime.state(id);
        expect('error' in s, `state still answers: ${JSON.stringify(s)}`);
      } finally {
        ctx.runtime.forceDelete(id);
      }
    },
  },
];
