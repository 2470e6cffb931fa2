/**
 * A command run at a terminal, as a user types at it: test/journeys/terminal.py gives the command
 * a pseudo-terminal of its own (Node has none without a native module) and plays a script of
 * steps on it: wait for output, type, resize.
 */
import { execFile } from 'child_process';
import * as path from 'path';

export type TerminalStep = { expect: string } | { send: string; until?: string } | { resize: [number, number] };

export interface TerminalSession {
  /** Everything the command wrote to the terminal (the terminal's echo of what was typed included). */
  output: string;
  /** The command's exit status (128+N for signal N); null when a step timed out. */
  status: number | null;
  /** The step that timed out (the command was then killed), or null. */
  timedOut: TerminalStep | { exit: true } | null;
}

const DRIVER = path.join(__dirname, 'terminal.py');

/** Run `argv` on a terminal of `size` (rows, columns), play `steps`, and wait for its exit. */
export function atTerminal(argv: string[], steps: TerminalStep[], o: { size?: [number, number]; timeoutMs?: number } = {}): Promise<TerminalSession> {
  const [rows, cols] = o.size ?? [24, 80];
  const timeoutS = (o.timeoutMs ?? 30_000) / 1000;
  const args = [DRIVER, JSON.stringify(steps), String(timeoutS), String(rows), String(cols), ...argv];
  return new Promise((resolve, reject) => {
    execFile('python3', args, { encoding: 'utf8', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`terminal.py: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as TerminalSession);
    });
  });
}
