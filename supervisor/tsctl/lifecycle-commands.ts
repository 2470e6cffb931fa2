/**
 * `tsctl stop`, `start` and `restart`, as docker's: stop through Tasks.Stop (the container's stop
 * signal, SIGKILL after the timeout); start gives a created or stopped container a new task (same
 * writable layer, volumes and network request) and starts it; restart is stop, then start. Each
 * takes several ids, prints each one done, and goes on past a failure (exit status 1); `start -a`
 * takes one, follows its output (stdin too with -i, run.ts's attach) and exits with its status.
 */
import type { ServiceError } from '@grpc/grpc-js';
import type { FlagValues } from '../../runtime/cli/args';
import { TsrunError } from '../../common/errors';
import type { TsrundClient } from '../client/client';
import type { Task } from '../api/types';
import { forEachName, type CommandSpec } from './command';
import { out } from './output';
import { attachCommand } from './run';

export interface LifecycleCommand extends CommandSpec {
  run(c: TsrundClient, flags: FlagValues, args: string[]): Promise<number>;
}

const NOT_FOUND = 5;

const TIMEOUT_FLAG = { name: 'time', short: 't', kind: 'int' as const, usage: "seconds to wait before SIGKILL (default: the container's --stop-timeout, else 10)" };

/** The container's task, or null when it has none (NOT_FOUND when there is no such container). */
async function taskOf(c: TsrundClient, id: string): Promise<Task | null> {
  await c.getContainer(id);
  return c.getTask(id).catch((err: ServiceError) => (err.code === NOT_FOUND ? null : Promise.reject(err)));
}

/** Also of a stopped task: that ends the container's restart policy (one waiting for its back-off included). */
async function stop(c: TsrundClient, id: string, f: FlagValues): Promise<void> {
  await c.getContainer(id);
  await c.stopTask(id, { timeoutSeconds: f.time as number | undefined }).catch((err: ServiceError) => (err.code === NOT_FOUND ? undefined : Promise.reject(err)));
}

/**
 * A task ready to start (a new one unless it has a created one; `stdin`: with a pipe to its
 * stdin); false when it has one that runs (docker start does nothing then).
 */
async function prepare(c: TsrundClient, id: string, stdin = false): Promise<boolean> {
  const task = await taskOf(c, id);
  if (task?.status === 'RUNNING' || task?.status === 'PAUSED') return false;
  if (task?.status === 'STOPPED') await c.deleteTask(id);
  if (task?.status !== 'CREATED') await c.createTask(id, { stdin });
  return true;
}

async function start(c: TsrundClient, id: string): Promise<void> {
  if (await prepare(c, id)) await c.startTask(id);
}

/**
 * `tsctl start -a [-i] ID` (docker start -a): started with its output followed (and stdin passed
 * on with -i), or attached to when it runs already; tsctl exits with its status.
 */
async function startAttached(c: TsrundClient, id: string, interactive: boolean): Promise<number> {
  const start = await prepare(c, id, interactive);
  return attachCommand(c, id, { start, stdin: interactive });
}

/** A command `act`ing on each of its ids, printing each that succeeded (forEachName). */
function eachId(name: string, usage: string, flags: LifecycleCommand['flags'], act: (c: TsrundClient, id: string, f: FlagValues) => Promise<void>, messageOf: (err: unknown) => string, json: () => boolean): LifecycleCommand {
  return {
    name,
    usage,
    argsUsage: 'ID...',
    flags,
    args: [1, -1],
    run: (c, f, ids) =>
      forEachName(
        ids,
        name,
        async (id) => {
          await act(c, id, f);
          if (!json()) out(`${id}\n`);
        },
        messageOf,
      ),
  };
}

const START_FLAGS = [
  { name: 'attach', short: 'a', kind: 'bool' as const, usage: "follow the container's output and exit with its status", default: false },
  { name: 'interactive', short: 'i', kind: 'bool' as const, usage: "pass stdin on to the container (implies --attach)", default: false },
];

function startCommand(messageOf: (err: unknown) => string, json: () => boolean): LifecycleCommand {
  const each = eachId('start', 'start created or stopped containers (a new task on the same container; -a: attached)', START_FLAGS, (c, id) => start(c, id), messageOf, json);
  return {
    ...each,
    run(c, f, ids) {
      if (!f.attach && !f.interactive) return each.run(c, f, ids);
      if (ids.length > 1) throw new TsrunError('start: --attach and --interactive take one container (start the others apart)', { code: 'invalid-argument' });
      return startAttached(c, ids[0], f.interactive as boolean);
    },
  };
}

export function lifecycleCommands(messageOf: (err: unknown) => string, json: () => boolean): LifecycleCommand[] {
  return [
    eachId('stop', "stop containers: their stop signal, then SIGKILL after the timeout", [TIMEOUT_FLAG], stop, messageOf, json),
    startCommand(messageOf, json),
    eachId('restart', 'stop, then start containers', [TIMEOUT_FLAG], async (c, id, f) => (await stop(c, id, f), start(c, id)), messageOf, json),
  ];
}
