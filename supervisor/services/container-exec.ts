/**
 * Starting a process in a container's task, as Tasks.Exec does it and the CRI's ExecSync / Exec
 * reuse it: the request's strings checked, Docker's exec environment for an image container, the
 * task manager's exec (tasks/exec.ts) under the id's lock.
 */
import type { ExecProcessRequest } from '../api/types';
import { dockerExecEnv } from '../containers/docker-defaults';
import { checkId } from '../containers/id';
import type { Supervisor } from './supervisor';
import { checkProcessStrings, checkPtySize } from './request-checks';

/** Resolves with the exec'd process's pid once it runs. */
export function startContainerExec(s: Supervisor, req: ExecProcessRequest): Promise<number> {
  checkId(req.id);
  return s.lock.run(req.id, async () => {
    checkId(req.execId, 'exec_id');
    checkProcessStrings('', req);
    checkPtySize('console_width', req.consoleWidth, 'console_height', req.consoleHeight);
    s.tasks.describeById(req.id);
    const c = s.containers.get(req.id);
    // Docker's defaults are an image container's only: a bundle's exec is tsrun exec's (runc's).
    const env = c.image ? dockerExecEnv(c.spec.process?.env ?? [], req) : req.env;
    return s.tasks.exec(req.id, { ...req, env }, { spec: c.spec, bundle: c.bundle });
  });
}
