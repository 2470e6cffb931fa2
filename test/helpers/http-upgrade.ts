/** A raw HTTP/1.1 upgrade request for the streaming tests' own clients: the response head, and the socket after it. */
import * as net from 'net';

export interface UpgradeResponse {
  status: number;
  /** Header names lower-cased; repeated headers keep every value. */
  headers: Record<string, string[]>;
  socket: net.Socket;
  /** Bytes that followed the response head in the same read. */
  rest: Buffer;
  /** The body of a refusal, read to the end (empty on 101). */
  body: string;
}

export function upgrade(url: string, method: string, headers: [string, string][]): Promise<UpgradeResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(u.port), u.hostname);
    socket.on('error', reject);
    const head = [`${method} ${u.pathname}${u.search} HTTP/1.1`, `Host: ${u.host}`, ...headers.map(([k, v]) => `${k}: ${v}`), '', ''];
    socket.write(head.join('\r\n'));
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(lines[0].split(' ')[1]);
      const hs: Record<string, string[]> = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        const k = l.slice(0, i).trim().toLowerCase();
        (hs[k] ??= []).push(l.slice(i + 1).trim());
      }
      const rest = buf.subarray(end + 4);
      socket.off('error', reject);
      if (status === 101) {
        socket.pause();
        return resolve({ status, headers: hs, socket, rest, body: '' });
      }
      const body: Buffer[] = [rest];
      socket.on('data', (c: Buffer) => body.push(c));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve({ status, headers: hs, socket, rest: Buffer.alloc(0), body: Buffer.concat(body).toString('utf8') }));
    };
    socket.on('data', onData);
  });
}
