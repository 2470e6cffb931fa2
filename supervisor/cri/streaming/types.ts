/**
 * The contract between the streaming server and whoever registers a session (the CRI service):
 * what a request asks for and the handlers the caller implements.
 */
import type { Duplex, Readable, Writable } from 'stream';

export type StreamKind = 'exec' | 'attach' | 'portforward';

export interface TerminalSize {
  width: number;
  height: number;
}

/** Exec or Attach: which streams the CRI request asked for. */
export interface RemoteCommandRequest {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export interface RemoteCommandStreams {
  stdin?: Readable;
  stdout?: Writable;
  /** Absent when tty is set: a terminal has one output. */
  stderr?: Writable;
  /** Terminal sizes as the client sends them (tty only). */
  resize?: AsyncIterable<TerminalSize>;
  tty: boolean;
  /** Aborted when the client goes away before the handler is done. */
  signal: AbortSignal;
}

/**
 * Runs the command (or attaches) and resolves with its exit code once its output is written;
 * a rejection is reported to the client as an internal error with the message.
 */
export type RemoteCommandHandler = (streams: RemoteCommandStreams) => Promise<{ exitCode: number }>;

export interface PortForwardRequest {
  /** The pod sandbox, for error messages as kubelet words them. */
  podSandboxId: string;
}

/** Connects `socket` to `port` in the pod's network and resolves when the connection is done. */
export type PortForwardHandler = (port: number, socket: Duplex) => Promise<void>;
