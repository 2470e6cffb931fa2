/**
 * Performs benchmark jobs sent by bench/startup.ts, one JSON line in on stdin, one JSON line out
 * ({ value } or { error }), until stdin closes. The bench starts it in a private mount namespace
 * without /sys/fs/cgroup/unified, which crun 1.8 needs on a hybrid cgroup host, so that crun is
 * measured interleaved with the other runtimes and by the same code.
 */
import * as readline from 'readline';
import { Job, perform, removeLog } from './jobs';

async function main(): Promise<void> {
  for await (const line of readline.createInterface({ input: process.stdin })) {
    try {
      const value = await perform(JSON.parse(line) as Job);
      process.stdout.write(JSON.stringify({ value }) + '\n');
    } catch (err) {
      process.stdout.write(JSON.stringify({ error: err instanceof Error ? err.message : String(err) }) + '\n');
    }
  }
  removeLog();
}

void main();
