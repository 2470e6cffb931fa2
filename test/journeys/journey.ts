/**
 * What the journeys share: one real tsrund per test file (test/supervisor/daemon.ts, torn down
 * after the file's tests) with a busybox image imported through `tsctl images import`, and the
 * real bin/tsctl run against it as a user runs it, its exit status and output returned rather
 * than thrown.
 */
import { execFile, spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildBusyboxArchive } from '../helpers/oci-image';
import { TSCTL, TestDaemon } from '../supervisor/daemon';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Journey {
  daemon: TestDaemon;
  /** The image every journey runs (a busybox with root and nobody in its /etc/passwd). */
  readonly image: string;
  /** bin/tsctl ARGS against the test's tsrund, to its exit (its stdin empty). */
  tsctl(...args: string[]): Promise<CliRun>;
  /** bin/tsctl ARGS with `input` on its stdin, to its exit. */
  tsctlWithInput(input: string, ...args: string[]): Promise<CliRun>;
  /** The container's docker-shaped State (`tsctl inspect`), or null once there is no such container. */
  state(id: string): Promise<{ Status: string; ExitCode: number } | null>;
  /** bin/tsctl ARGS as an argv (for a terminal, or a process the test follows). */
  argv(...args: string[]): string[];
  /** bin/tsctl ARGS started, its stdout collected; killed (by its pid) after the file's tests if still running. */
  start(...args: string[]): { child: ChildProcess; stdout: () => string; exited: Promise<CliRun> };
}

/** Call at the top level of a test file: the daemon starts before its tests. */
export function useJourney(name: string): Journey {
  const daemon = new TestDaemon();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `tsrun-journey-${name}-`));
  const image = `localhost/tsrun-journey/${name}:1`;
  const started: ChildProcess[] = [];
  const argv = (...args: string[]) => [TSCTL, '--address', daemon.address, ...args];
  const tsctlWithInput = (input: string, ...args: string[]) =>
    new Promise<CliRun>((resolve) => {
      const child = execFile(TSCTL, argv(...args).slice(1), { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
        const code = err ? (err as { code?: unknown }).code : 0;
        resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
      });
      child.stdin!.end(input);
    });
  const tsctl = (...args: string[]) => tsctlWithInput('', ...args);

  beforeAll(async () => {
    await daemon.start();
    const archive = buildBusyboxArchive(work, image);
    const imported = await tsctl('images', 'import', archive.file);
    if (imported.code !== 0) throw new Error(`tsctl images import: ${imported.stderr}`);
  });
  afterAll(async () => {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await daemon.cleanup();
    fs.rmSync(work, { recursive: true, force: true });
  });

  return {
    daemon,
    image,
    tsctl,
    tsctlWithInput,
    async state(id) {
      const r = await tsctl('inspect', id);
      if (r.code !== 0) {
        if (r.stderr.includes('not found')) return null;
        throw new Error(`tsctl inspect ${id}: ${r.stderr}`);
      }
      return (JSON.parse(r.stdout) as Array<{ State: { Status: string; ExitCode: number } }>)[0].State;
    },
    argv,
    start(...args) {
      const child = spawn(TSCTL, argv(...args).slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
      started.push(child);
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<CliRun>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
      return { child, stdout: () => stdout, exited };
    },
  };
}
