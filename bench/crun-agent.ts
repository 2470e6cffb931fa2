/**
 * bench/agent.ts in a private mount namespace without the cgroup2 `unified` mount, for crun: crun
 * 1.8 refuses a hybrid cgroup host while /sys/fs/cgroup/unified is mounted. Jobs sent to it are
 * performed there by the same code (bench/jobs.ts) as in the bench's own process.
 */
import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';
import * as readline from 'readline';
import type { Job, JobResult } from './jobs';

export function startAgent(): { perform: (job: Job) => Promise<JobResult>; child: ChildProcess } {
  const script = 'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"';
  const child = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', process.execPath, path.join(__dirname, 'agent.js')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const waiting: { resolve: (v: JobResult) => void; reject: (e: Error) => void }[] = [];
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    const reply = JSON.parse(line) as { value: JobResult } | { error: string };
    const w = waiting.shift()!;
    if ('error' in reply) w.reject(new Error(reply.error));
    else w.resolve(reply.value);
  });
  child.on('exit', (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`the crun agent exited ${code}`));
  });
  return {
    child,
    perform: (job) =>
      new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        child.stdin!.write(JSON.stringify(job) + '\n');
      }),
  };
}
