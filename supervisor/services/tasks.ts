/** Tasks service: the running side of containers, through the task manager (tasks/manager.ts). */
import type { ExecProcessRequest, LogEntry } from '../api/types';
import { timestampFromRfc3339 } from '../api/timestamp';
import { checkId } from '../containers/id';
import { invalidArgument } from '../errors';
import type { Supervisor } from '../supervisor';
import { imageRootfs } from '../images/bundle-container';
import { readLog } from '../tasks/log-reader';
import type { TaskExit } from '../tasks/record';
import { serverStream, unary, type StreamHandler, type UnaryHandler } from './handlers';
import { pageOf, type PageRequest } from './paging';
import { checkProcessStrings, checkPtySize } from './request-checks';

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

const exitInfo = (exit: TaskExit) => ({ exitStatus: exit.exitStatus, exitedAt: timestampFromRfc3339(exit.exitedAt) });

export function tasksService(s: Supervisor): Record<string, UnaryHandler | StreamHandler> {
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
      const c = s.containers.get(req.id);
      const task = await s.tasks.create({
        id: req.id,
        spec: c.spec,
        bundle: c.bundle,
        logPath: s.containers.logPath(req.id),
        stdin: req.stdin,
        rootfsMount: c.image !== '' ? imageRootfs(s, c) : null,
      });
      return { id: task.id, pid: task.pid };
    }),
    start: locked('Tasks.Start', async (req: IdRequest) => ({ pid: (await s.tasks.start(req.id)).pid })),
    kill: locked('Tasks.Kill', (req: ProcessRequest & { signal: number; all: boolean }) => {
      if (req.signal > MAX_SIGNAL) throw invalidArgument('signal', `${req.signal} is not a signal number (1..${MAX_SIGNAL})`);
      s.tasks.kill(processRef(req), req.signal === 0 ? SIGTERM : req.signal, req.all);
      return {};
    }),
    delete: locked('Tasks.Delete', async (req: ProcessRequest & { force: boolean }) => {
      const { pid, exit } = await s.tasks.delete(processRef(req), req.force);
      return { id: req.id, pid, ...exitInfo(exit) };
    }),
    wait: free('Tasks.Wait', async (req: ProcessRequest) => exitInfo(await s.tasks.wait(processRef(req)))),
    exec: locked('Tasks.Exec', async (req: ExecProcessRequest) => {
      checkId(req.execId, 'exec_id');
      checkProcessStrings('', req);
      checkPtySize('console_width', req.consoleWidth, 'console_height', req.consoleHeight);
      s.tasks.describeById(req.id);
      const c = s.containers.get(req.id);
      return { pid: await s.tasks.exec(req.id, req, { spec: c.spec, bundle: c.bundle }) };
    }),
    pause: locked('Tasks.Pause', (req: IdRequest) => (s.tasks.pause(req.id), {})),
    resume: locked('Tasks.Resume', (req: IdRequest) => (s.tasks.resume(req.id), {})),
    listPids: free('Tasks.ListPids', (req: IdRequest) => ({ pids: s.tasks.pids(req.id) })),
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
      if (req.data.length > MAX_STDIN_CHUNK)
        throw invalidArgument('data', `${req.data.length} bytes; send at most ${MAX_STDIN_CHUNK} per call`);
      await s.tasks.writeStdin(processRef(req), req.data);
      return {};
    }),
    get: free('Tasks.Get', (req: IdRequest) => ({ task: s.tasks.describeById(req.id) })),
    list: unary(s.log, 'Tasks.List', (req: PageRequest) => {
      const { page, next } = pageOf(s.tasks.list(), (t) => t.id, 'Task', req, 'tasks');
      return { tasks: page, nextPageToken: next };
    }),
    logs: serverStream(s.log, 'Tasks.Logs', async (req: ProcessRequest & { follow: boolean }, send: (e: LogEntry) => void, cancelled) => {
      checkId(req.id);
      const ref = processRef(req);
      s.containers.get(req.id);
      const file = ref.execId ? s.tasks.execLogPath(ref) : s.containers.logPath(req.id);
      // No task (yet, or any more): nothing to wake the follower for.
      const exited = req.follow ? s.tasks.wait(ref).catch(() => undefined) : undefined;
      const entries = readLog(file, { follow: req.follow, isLive: () => s.tasks.isLive(ref), cancelled, exited });
      for await (const entry of entries) send(entry);
    }),
  };
}
