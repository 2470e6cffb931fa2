/**
 * The other side of `--console-socket`, as conmon or containerd's shim have it: a server the
 * runtime sends a terminal's master to, and a reader of what the container writes to that terminal.
 */
import * as fs from 'fs';
import * as tty from 'tty';
import { recvFd } from '../../runtime/native';
import { acceptUnix, listenUnix } from './test-native';

export interface ConsoleServer {
  path: string;
  /** Accept the runtime's connection and receive the master it sends (blocking). */
  receive(): { fd: number; name: string };
  /** Close the listener and remove the socket. */
  close(): void;
}

/** A console socket listening at `socketPath` before the runtime runs, so its connect and send need no accept yet. */
export function consoleServer(socketPath: string): ConsoleServer {
  const listener = listenUnix(socketPath);
  return {
    path: socketPath,
    receive() {
      const conn = acceptUnix(listener);
      try {
        return recvFd(conn);
      } finally {
        fs.closeSync(conn);
      }
    },
    close() {
      fs.closeSync(listener);
      fs.rmSync(socketPath, { force: true });
    },
  };
}

/**
 * What is written to a pty master until every holder has closed it (EIO), `timeoutMs` passes, or
 * `enough` says the text read so far is all the caller wants.
 */
export function readTerminal(master: number, timeoutMs = 15_000, enough: (text: string) => boolean = () => false): Promise<string> {
  const stream = new tty.ReadStream(master);
  let out = '';
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      stream.destroy();
      resolve(out);
    };
    const timer = setTimeout(done, timeoutMs);
    stream.on('data', (d: Buffer) => {
      out += d.toString();
      if (enough(out)) done();
    });
    stream.on('error', done);
    stream.on('close', done);
  });
}
