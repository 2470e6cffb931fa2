/**
 * A foreground run/exec with a terminal: tsrun holds the master and copies between it and its
 * own stdio, as runc does. When tsrun's stdin is a terminal it goes raw (keys reach the
 * container's line discipline untouched) and the container's terminal follows its size (at
 * once and on every SIGWINCH); otherwise the streams are just copied and consoleSize stays.
 */
import * as tty from 'tty';
import { resizeTerminal } from '../native';
import type { ConsoleChannel } from './channel';

export interface TerminalProxy {
  /**
   * Resolves when the container side is closed (every holder of the terminal has exited) or,
   * after the process exited, when `graceMs` pass without it (a background process may hold it).
   */
  drained(graceMs: number): Promise<void>;
  /** Stop copying, close the master, and give the caller's terminal its mode back. */
  close(): void;
}

export function proxyTerminal(master: number): TerminalProxy {
  // A tty.ReadStream is a duplex libuv tty handle: one handle reads and writes the master.
  const pty = new tty.ReadStream(master);
  const stdin = process.stdin;
  const stdout = process.stdout;
  const rawInput = stdin.isTTY ? (stdin as tty.ReadStream) : null;
  rawInput?.setRawMode(true);

  const followSize = () => {
    if (stdout.isTTY && stdout.columns > 0 && stdout.rows > 0) resizeTerminal(master, stdout.columns, stdout.rows);
  };
  followSize();
  if (stdout.isTTY) stdout.on('resize', followSize);

  let closed = false;
  const ended = new Promise<void>((resolve) => {
    // Reading a master whose every slave is closed fails with EIO: that is the end.
    pty.on('error', () => resolve());
    pty.on('end', () => resolve());
    pty.on('close', () => resolve());
  });
  pty.on('data', (chunk: Buffer) => stdout.write(chunk));
  const toPty = (chunk: Buffer) => {
    if (!closed) pty.write(chunk);
  };
  stdin.on('data', toPty);
  pty.resume();

  return {
    drained(graceMs) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      });
      return Promise.race([ended, grace]).finally(() => clearTimeout(timer));
    },
    close() {
      if (closed) return;
      closed = true;
      stdin.off('data', toPty);
      stdin.pause();
      if (stdout.isTTY) stdout.off('resize', followSize);
      pty.destroy();
      rawInput?.setRawMode(false);
    },
  };
}

/**
 * After the spawn that sent the terminal: for a foreground channel, receive the master and start
 * copying; a console socket's terminal went to its listener (null). The channel is closed.
 */
export function attachTerminal(channel: ConsoleChannel | null | undefined): TerminalProxy | null {
  if (!channel) return null;
  const master = channel.receive();
  return master === null ? null : proxyTerminal(master);
}
