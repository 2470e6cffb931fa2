/**
 * Kubernetes' channel multiplexing over one WebSocket (wsstream's channel.k8s.io and its
 * successors): each message starts with a channel number, a raw byte or, for the base64
 * protocols, an ASCII digit before base64 text. v5.channel.k8s.io adds channel 255, whose
 * message [255, n] closes channel n for writing (the client's half-close of stdin).
 */
import { Readable, Writable } from 'stream';
import type { WsProtocol } from './protocols';
import type { WsSession } from './websocket-session';

export const CLOSE_CHANNEL = 255;

export class WsChannels {
  private readonly readers = new Map<number, Readable>();
  private readonly paused = new Set<number>();

  constructor(private readonly ws: WsSession, private readonly proto: WsProtocol) {
    ws.on('message', (data: Buffer) => this.dispatch(data));
    ws.on('close', () => {
      for (const r of this.readers.values()) if (!r.readableEnded) r.push(null);
    });
  }

  /** Sends one message on `ch`; resolves when the socket can take more. */
  send(ch: number, data: Buffer): Promise<void> {
    const msg = this.proto.base64 ? String.fromCharCode(48 + ch) + data.toString('base64') : Buffer.concat([Buffer.from([ch]), data]);
    if (this.ws.send(msg) || this.ws.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.ws.off('drain', done);
        this.ws.off('close', done);
        resolve();
      };
      this.ws.on('drain', done);
      this.ws.on('close', done);
    });
  }

  writable(ch: number): Writable {
    return new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        this.send(ch, chunk).then(() => cb());
      },
    });
  }

  /** What the client sends on `ch`, ended by its v5 close signal or the connection's end. */
  readable(ch: number): Readable {
    const r = new Readable({
      read: () => {
        if (this.paused.delete(ch) && this.paused.size === 0) this.ws.resume();
      },
    });
    this.readers.set(ch, r);
    return r;
  }

  private dispatch(data: Buffer): void {
    if (data.length === 0) return;
    const ch = this.proto.base64 ? data[0] - 48 : data[0];
    if (ch === CLOSE_CHANNEL && this.proto.version >= 5) {
      const r = data.length > 1 ? this.readers.get(data[1]) : undefined;
      if (r && !r.readableEnded) r.push(null);
      return;
    }
    const r = this.readers.get(ch);
    // Like wsstream, a message for a channel nobody reads is dropped.
    if (!r || r.readableEnded) return;
    const payload = this.proto.base64 ? Buffer.from(data.subarray(1).toString('latin1'), 'base64') : data.subarray(1);
    if (payload.length > 0 && !r.push(payload)) {
      this.paused.add(ch);
      this.ws.pause();
    }
  }
}
