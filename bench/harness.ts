/** What the daemon benchmarks (bench/supervisor.ts, bench/images.ts) share: options, timing, versions, output files. */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { performance } from 'perf_hooks';
import type { NetworkOverrides } from '../supervisor/api/types';
import type { TsrundClient } from '../supervisor/client/client';

/** `--name N` of `args` as a positive integer, or `fallback`. */
export function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const n = Number(args[i + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} wants a positive integer, not ${args[i + 1]}`);
  return n;
}

/** Milliseconds `fn` takes to settle. */
export async function timed(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** The first line a program prints about its version. */
export function version(argv: string[]): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  return (r.stdout || r.stderr).split('\n')[0].trim();
}

/** Write bench/results/<name>.json and docs/<doc>.md under `repo`, and print the markdown. */
export function writeResults(repo: string, name: string, doc: string, results: unknown, markdown: string): void {
  fs.mkdirSync(path.join(repo, 'bench', 'results'), { recursive: true });
  fs.writeFileSync(path.join(repo, 'bench', 'results', `${name}.json`), JSON.stringify(results, null, 2) + '\n');
  fs.writeFileSync(path.join(repo, 'docs', `${doc}.md`), markdown);
  process.stdout.write(markdown);
}

/**
 * The network part of a Create's overrides: attached to `network` only. The engines tsrund is
 * measured against run containers without a network ("none": a loopback of their own), unless
 * a benchmark is about networks.
 */
export const onNetwork = (network: string): NetworkOverrides => ({
  networks: [{ network, aliases: [] }],
  ports: [],
  publishAll: false,
  hostname: '',
  addHosts: [],
  dns: [],
  dnsSearch: [],
  dnsOptions: [],
});

/** Run `argv` to its exit (in `env`, default this process's); rejects with its stderr unless it exits 0. */
export function exec(argv: string[], env?: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${argv.join(' ')}: exit ${code ?? signal}: ${stderr.trim().slice(-500)}`)),
    );
  });
}

/** One container of `image` running `args` on `network`, through tsrund's API, to its exit and removed; rejects unless it exited 0. */
export async function apiRunToExit(client: TsrundClient, id: string, image: string, args: string[], network: string): Promise<void> {
  await client.createContainer({ id, image, overrides: { args, network: onNetwork(network) } });
  await client.createTask(id);
  await client.startTask(id);
  const exit = await client.wait(id);
  await client.deleteTask(id);
  await client.deleteContainer(id);
  if (exit.exitStatus !== 0) throw new Error(`${id} exited ${exit.exitStatus}`);
}

/** Run a benchmark's `main` on the command line's arguments; on a failure, print its stack and exit 1. */
export function runBenchmark(main: (argv: string[]) => Promise<void>): void {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  });
}
