/**
 * DNS over TCP (RFC 1035 4.2.2, RFC 7766): each message is preceded by its length (2 bytes).
 * The reader keeps at most one message's bytes whatever the peer sends.
 */
import type { Socket } from 'net';

/** The message with its 2-byte length in front; null when it is too long for TCP's frame. */
export function frame(message: Buffer): Buffer | null {
  if (message.length > 0xffff) return null;
  const length = Buffer.alloc(2);
  length.writeUInt16BE(message.length, 0);
  return Buffer.concat([length, message]);
}

/** Calls `onMessage` with each message `socket` receives, in order; a zero length ends the stream. */
export function readFrames(socket: Socket, onMessage: (message: Buffer) => void): void {
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 2) {
      const length = pending.readUInt16BE(0);
      if (length === 0) {
        socket.destroy();
        return;
      }
      if (pending.length < 2 + length) break;
      const message = Buffer.from(pending.subarray(2, 2 + length));
      pending = pending.subarray(2 + length);
      onMessage(message);
    }
  });
}
