/**
 * The wire side of tsrun-monitor (native/src/monitor/main.c describes it in full): the files it
 * keeps in the task directory, the start-up report, and the frames of its control socket (u8
 * type, u32 little-endian payload length, payload). Pure functions only; the constants come from
 * ./monitor-protocol.json, which generates them for the monitor's C too.
 */
import type { PlanFailure } from '../../runtime/plan/types';

export * from './generated/monitor-protocol';
import { FRAME_HEADER, MAX_PAYLOAD, REPORT_KEY, REQUEST } from './generated/monitor-protocol';

export interface ExitRecord {
  pid: number;
  /** Exit code, or 128+N when signal N ended the init (as runc and containerd report it). */
  exitStatus: number;
  signal: number | null;
  /** RFC 3339 with nanoseconds, UTC. */
  exitedAt: string;
}

/** What the monitor says once it created the init (the report, monitor.json, the 'C' event). */
export interface CreatedRecord {
  pid: number;
  monitorPid: number;
}

/**
 * The last line on the report channel. `failure`: a plan step's; `error`: the monitor's own
 * (phase 'monitor', no step); `aborted`: tsrund answered a runtime-hooks pause with
 * HOOKS.abort, and the monitor undid the start.
 */
export type StartReport = CreatedRecord | { failure: PlanFailure } | { error: PlanFailure } | { aborted: true };

/** A line before the last: init (`pid`) waits for tsrund to run the runtime-namespace hooks and answer HOOKS.resume or HOOKS.abort. */
export interface RuntimeHooksReport {
  runtimeHooks: { pid: number };
}

export interface Frame {
  type: number;
  payload: Buffer;
}

export function encodeFrame(type: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  if (payload.length > MAX_PAYLOAD) throw new RangeError(`monitor frame payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD}`);
  const header = Buffer.alloc(FRAME_HEADER);
  header.writeUInt8(type, 0);
  header.writeUInt32LE(payload.length, 1);
  return Buffer.concat([header, payload]);
}

/** Stdin data as frames of at most MAX_PAYLOAD bytes each. */
export function stdinFrames(data: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let off = 0; off < data.length; off += MAX_PAYLOAD) frames.push(encodeFrame(REQUEST.stdin, data.subarray(off, off + MAX_PAYLOAD)));
  return frames;
}

export function resizeFrame(cols: number, rows: number): Buffer {
  for (const [name, v] of [['cols', cols], ['rows', rows]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`pty ${name} must be an integer in [0, 65535], got ${v}`);
  }
  const payload = Buffer.alloc(4);
  payload.writeUInt16LE(cols, 0);
  payload.writeUInt16LE(rows, 2);
  return encodeFrame(REQUEST.resize, payload);
}

/** Cuts a byte stream into frames. */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: Frame[] = [];
    let off = 0;
    while (this.pending.length - off >= FRAME_HEADER) {
      const len = this.pending.readUInt32LE(off + 1);
      if (this.pending.length - off - FRAME_HEADER < len) break;
      frames.push({ type: this.pending[off], payload: this.pending.subarray(off + FRAME_HEADER, off + FRAME_HEADER + len) });
      off += FRAME_HEADER + len;
    }
    this.pending = this.pending.subarray(off);
    return frames;
  }
}

/** A line of the start-up report; throws on anything that is not one of its shapes. */
export function parseStartReport(text: string): StartReport | RuntimeHooksReport {
  const value: unknown = JSON.parse(text);
  if (typeof value === 'object' && value !== null) {
    const v = value as Record<string, unknown>;
    if (typeof v.pid === 'number' && typeof v.monitorPid === 'number') return { pid: v.pid, monitorPid: v.monitorPid };
    if (typeof v.error === 'object' && v.error !== null) return { error: v.error as PlanFailure };
    if (typeof v.failure === 'object' && v.failure !== null) return { failure: v.failure as PlanFailure };
    if (v[REPORT_KEY.aborted] === true) return { aborted: true };
    const hooks = v[REPORT_KEY.runtimeHooks] as Record<string, unknown> | undefined;
    if (typeof hooks === 'object' && hooks !== null && typeof hooks.pid === 'number') return { runtimeHooks: { pid: hooks.pid } };
  }
  throw new Error(`unexpected report ${JSON.stringify(text)}`);
}

export function parseExitRecord(text: string): ExitRecord {
  const v = JSON.parse(text) as Partial<ExitRecord>;
  if (typeof v.pid !== 'number' || typeof v.exitStatus !== 'number' || typeof v.exitedAt !== 'string' || !('signal' in v)) {
    throw new Error(`malformed exit record ${JSON.stringify(text)}`);
  }
  return { pid: v.pid, exitStatus: v.exitStatus, signal: v.signal ?? null, exitedAt: v.exitedAt };
}
