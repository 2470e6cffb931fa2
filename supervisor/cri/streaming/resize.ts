/**
 * Terminal sizes from a resize stream: JSON objects {"Width":w,"Height":h} one after another, as
 * client-go's json.Encoder writes them. The first object that does not parse, or an object that
 * grows past a few KiB, ends the sequence, as kubelet stops reading resizes on a decode error.
 */
import type { Readable } from 'stream';
import type { TerminalSize } from './types';

const MAX_PENDING = 4096;

export async function* resizeEvents(source: Readable): AsyncGenerator<TerminalSize> {
  let pending = '';
  for await (const chunk of source) {
    pending += (chunk as Buffer).toString('utf8');
    for (;;) {
      const start = pending.indexOf('{');
      if (start < 0) {
        if (pending.trim().length > 0) return;
        pending = '';
        break;
      }
      if (pending.slice(0, start).trim().length > 0) return;
      const end = pending.indexOf('}', start);
      if (end < 0) {
        if (pending.length > MAX_PENDING) return;
        break;
      }
      let size: unknown;
      try {
        size = JSON.parse(pending.slice(start, end + 1));
      } catch {
        return;
      }
      pending = pending.slice(end + 1);
      const { Width, Height } = size as { Width?: unknown; Height?: unknown };
      if (!Number.isInteger(Width) || !Number.isInteger(Height) || (Width as number) < 0 || (Height as number) < 0 || (Width as number) > 65535 || (Height as number) > 65535) return;
      yield { width: Width as number, height: Height as number };
    }
  }
}
