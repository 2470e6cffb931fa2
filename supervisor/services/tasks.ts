/** Tasks service: the running side of containers, through the task manager (tasks/manager.ts); a task's network is set up before its init and torn down after it (./container-tasks.ts); Create, Stop and Delete tell the restart policies (./restart-runner.ts). */
import type { ExecProcessRequest, LogEntry, LogsRequest, StdinRequest, StopTaskRequest } from '../api/types';
import { timestampFromRfc3339 } from '../api/timestamp';
import { checkId } from '../containers/id';
import { invalidArgument } from '../shared/errors';
import type { Supervisor } from './supervisor';
import { startContainerExec } from './container-exec';
import { createContainerTask, deleteContainerTask, stopContainerTask } from './container-tasks';
import { readLog } from '../tasks/log-reader';
import { entriesToSkip, windowed } from '../tasks/log-window';
import { processInfos } from '../tasks/proc-info';
import type { ProcessRef } from '../tasks/manager';
import type { TaskExit } from '../tasks/record';
import { clientStream, serverStream, unary, type ClientStreamHandler, type StreamHandler, type UnaryHandler } from './handlers';
import { pageOf, type PageRequest } from './paging';
import { checkPtySize } from './request-checks';

const SIGTERM = 15;
const MAX_SIGNAL = 64;
const MAX_STDIN_CHUNK = 1 << 20;

interface IdRequest {
  id: string;
}

/** A request about the init ('' exec id) or a process exec'd into the task. */
interface ProcessRequest extends IdRequest {
  execId: string;
}

/** The process a request names, its exec id checked when it has one. */
const processRef = (req: ProcessRequest) => {
  if (req.execId) checkId(req.execId, 'exec_id');
  return { id: req.id, execId: req.execId };
};

function checkStdinChunk(data: Buffer): void {
  if (data.length > MAX_STDIN_CHUNK) throw invalidArgument('data', `${data.length} bytes; send at most ${MAX_STDIN_CHUNK} per message`);
}

/** The process the first message of a Stdin stream names. */
function stdinTarget(req: StdinRequest): ProcessRef {
  if (!req.id) throw invalidArgument('id', 'the first message of a Stdin stream must name the task');
  checkId(req.id);
  return processRef(req);
}

const exitInfo = (exit: TaskExit) => ({ exitStatus: exit.exitStatus, exitedAt: timestampFromRfc3339(exit.exitedAt) });

export function tasksService(s: Supervisor): Record<string, UnaryHandler | StreamHandler | ClientStreamHandler> {
  /** An operation that changes task `id`, after its id was checked, one at a time per id. */
  const locked = <Req extends IdRequest, Res>(method: string, fn: (req: Req) => Promise<Res> | Res) =>
    unary(s.log, method, (req: Req) => {
      checkId(req.id);
      return s.lock.run(req.id, () => fn(req));
    });
  /** A read, or an operation that may block long (Wait), which must not hold the id's lock. */
  const free = <Req extends IdRequest, Res>(method: string, fn: (req: Req) => Promise<Res> | Res) =>
    unary(s.log, method, (req: Req) => {
      checkId(req.id);
      return fn(req);
    });

  return {
    create: locked('Tasks.Create', async (req: IdRequest & { stdin: boolean }) => {
      const task = await createContainerTask(s, req.id, req.stdin);
      s.restarts.clientCreated(req.id);
      return { id: task.id, pid: task.pid };
    }),
    start: locked('Tasks.Start', async (req: IdRequest) => ({ pid: (await s.tasks.start(req.id)).pid })),
    kill: locked('Tasks.Kill', async (req: ProcessRequest & { signal: number; all: boolean }) => {
      if (req.signal > MAX_SIGNAL) throw invalidArgument('signal', `${req.signal} is not a signal number (1..${MAX_SIGNAL})`);
      await s.tasks.kill(processRef(req), req.signal === 0 ? SIGTERM : req.signal, req.all);
      return {};
    }),
    delete: locked('Tasks.Delete', async (req: ProcessRequest & { force: boolean }) => {
      if (req.execId) {
        const { pid, exit } = await s.tasks.delete(processRef(req), req.force);
        return { id: req.id, pid, ...exitInfo(exit) };
      }
      const { status } = s.tasks.describeById(req.id);
      if (req.force || (status !== 'RUNNING' && status !== 'PAUSED')) s.restarts.clientStopped(req.id);
      const { pid, exit } = await deleteContainerTask(s, req.id, req.force);
      return { id: req.id, pid, ...exitInfo(exit) };
    }),
    stop: free('Tasks.Stop', async (req: StopTaskRequest) => {
      const { exit, killed } = await stopContainerTask(s, req.id, req);
      return { ...exitInfo(exit), killed };
    }),
    wait: free('Tasks.Wait', async (req: ProcessRequest) => exitInfo(await s.tasks.wait(processRef(req)))),
    exec: unary(s.log, 'Tasks.Exec', async (req: ExecProcessRequest) => ({ pid: await startContainerExec(s, req) })),
    pause: locked('Tasks.Pause', async (req: IdRequest) => (await s.tasks.pause(req.id), {})),
    resume: locked('Tasks.Resume', async (req: IdRequest) => (await s.tasks.resume(req.id), {})),
    listPids: free('Tasks.ListPids', (req: IdRequest) => ({ pids: s.tasks.pids(req.id) })),
    top: free('Tasks.Top', (req: IdRequest) => ({ processes: processInfos(s.tasks.pids(req.id)) })),
    stats: free('Tasks.Stats', (req: IdRequest) => s.tasks.stats(req.id)),
    resizePty: free('Tasks.ResizePty', async (req: ProcessRequest & { width: number; height: number }) => {
      checkPtySize('width', req.width, 'height', req.height);
      await s.tasks.resizePty(processRef(req), req.width, req.height);
      return {};
    }),
    closeIO: free('Tasks.CloseIO', async (req: ProcessRequest & { stdin: boolean }) => {
      if (req.stdin) await s.tasks.closeStdin(processRef(req));
      return {};
    }),
    writeStdin: free('Tasks.WriteStdin', async (req: ProcessRequest & { data: Buffer }) => {
      checkStdinChunk(req.data);
      await s.tasks.writeStdin(processRef(req), req.data);
      return {};
    }),
    stdin: clientStream(s.log, 'Tasks.Stdin', async (requests: AsyncIterable<StdinRequest>) => {
      let ref: ProcessRef | null = null;
      let bytesWritten = 0;
      for await (const req of requests) {
        ref ??= stdinTarget(req);
        if ((req.id || req.execId) && (req.id !== ref.id || req.execId !== ref.execId))
          throw invalidArgument('id/exec_id', `every message of a Stdin stream must name ${JSON.stringify(ref)} or leave them empty`);
        checkStdinChunk(req.data);
        // One message at a time: the next is read once the monitor took this one.
        if (req.data.length > 0) await s.tasks.writeStdin(ref, req.data);
        bytesWritten += req.data.length;
        if (req.close) await s.tasks.closeStdin(ref);
      }
      return { bytesWritten };
    }),
    get: free('Tasks.Get', (req: IdRequest) => ({ task: s.tasks.describeById(req.id) })),
    list: unary(s.log, 'Tasks.List', (req: PageRequest) => {
      const { page, next } = pageOf(s.tasks.list(), (t) => t.id, 'Task', req, 'tasks');
      return { tasks: page, nextPageToken: next };
    }),
    logs: serverStream(s.log, 'Tasks.Logs', async (req: LogsRequest, send: (e: LogEntry) => Promise<void>, cancelled) => {
      checkId(req.id);
      const ref = processRef(req);
      s.containers.get(req.id);
      const file = ref.execId ? s.tasks.execLogPath(ref) : s.containers.logPath(req.id);
      const since = req.since && (req.since.seconds !== 0 || req.since.nanos !== 0) ? req.since : null;
      const skip = await entriesToSkip(file, { since, tail: req.limitTail ? req.tail : null }, cancelled);
      // No task (yet, or any more): nothing to wake the follower for.
      const exited = req.follow ? s.tasks.wait(ref).catch(() => undefined) : undefined;
      const entries = readLog(file, { follow: req.follow, isLive: () => s.tasks.isLive(ref), cancelled, exited });
      // At the client's pace: a slow reader holds tsrund's reading of the log.
      for await (const entry of windowed(entries, since, skip)) await send(entry);
    }),
  };
}
