/**
 * The receiving end of linux.seccomp.listenerPath, as a seccomp agent has it: a unix stream
 * socket on which the runtime sends, per connection, one containerProcessState document with the
 * notify fd attached (runtime-spec config-linux.md § Seccomp, runtime.md). Every wait is bounded,
 * so a caller on Node's thread never hangs on a runtime that does not send. Used by the tests and
 * the conformance suite, which answer the notifications with ./test-native.ts's seccompNotify*.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { recvFd } from '../../runtime/native';
import { acceptUnix, listenUnix, waitReadable } from './test-native';

export interface AgentDelivery {
  /** The notify fd received (close-on-exec); the socket closes it in close(). */
  notifyFd: number;
  doc: Record<string, unknown>;
  /**
   * What follows the document on its connection within `timeoutMs`: the runtime closes it
   * ('closed', as the spec requires), sends more ('more data'), or neither ('open').
   */
  end(timeoutMs: number): 'closed' | 'more data' | 'open';
}

export class SeccompAgentSocket {
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-agent-'));
  /** Where the socket listens: the config's listenerPath. */
  readonly path = path.join(this.dir, 'agent.sock');
  private readonly listening = listenUnix(this.path);
  private readonly fds: number[] = [];

  /**
   * The next connection's fd and document, read until it is whole JSON (or the runtime closes).
   * @throws when nothing arrives within `timeoutMs` at any point, or the text is not JSON.
   */
  receive(timeoutMs: number): AgentDelivery {
    if (!waitReadable(this.listening, timeoutMs)) throw new Error(`nothing connected to the seccomp agent socket within ${timeoutMs} ms`);
    const conn = acceptUnix(this.listening);
    this.fds.push(conn);
    if (!waitReadable(conn, timeoutMs)) throw new Error(`the runtime connected but sent nothing within ${timeoutMs} ms`);
    const first = recvFd(conn);
    this.fds.push(first.fd);
    let text = first.name;
    for (;;) {
      const doc = parsed(text);
      if (doc) return { notifyFd: first.fd, doc, end: (ms) => connectionEnd(conn, ms) };
      if (!waitReadable(conn, timeoutMs)) throw new Error(`the runtime sent ${JSON.stringify(text)}, not JSON, and nothing more within ${timeoutMs} ms`);
      const more = readChunk(conn);
      if (more === '') throw new Error(`the runtime sent ${JSON.stringify(text)}, not JSON, and closed the connection`);
      text += more;
    }
  }

  /** Close the connections, the received fds and the socket; remove its directory. */
  close(): void {
    for (const fd of this.fds.splice(0)) fs.closeSync(fd);
    fs.closeSync(this.listening);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function parsed(text: string): Record<string, unknown> | null {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** What is there to read ('' at EOF). */
function readChunk(fd: number): string {
  const buf = Buffer.alloc(65536);
  const n = fs.readSync(fd, buf);
  return buf.toString('utf8', 0, n);
}

function connectionEnd(conn: number, timeoutMs: number): 'closed' | 'more data' | 'open' {
  if (!waitReadable(conn, timeoutMs)) return 'open';
  return readChunk(conn) === '' ? 'closed' : 'more data';
}
