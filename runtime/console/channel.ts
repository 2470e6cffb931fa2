/**
 * Where a process's terminal goes: the console socket of `--console-socket` (a detached
 * create/run/exec: whoever listens there, conmon or containerd's shim, receives the master), or
 * a socket pair of a foreground run/exec, whose other end tsrun reads the master from.
 */
import * as fs from 'fs';
import { TsrunError } from '../../common/errors';
import { connectUnix, recvFd, socketPair } from '../native';

/**
 * runc's rule (checkTerminal): a terminal needs someone to hold it. Detached (create, run -d,
 * exec -d), that is the console socket; in the foreground, tsrun itself, so a socket is an error.
 */
export function checkTerminal(terminal: boolean, detach: boolean, consoleSocket: string | undefined): void {
  if (detach && terminal && !consoleSocket) {
    throw new TsrunError('cannot allocate tty if tsrun will detach without setting console socket');
  }
  if ((!detach || !terminal) && consoleSocket) {
    throw new TsrunError('cannot use console socket if tsrun will not detach or allocate tty');
  }
}

export class ConsoleChannel {
  private constructor(
    /** The fd the plan's console step sends the master over (inherited by init). */
    readonly initFd: number,
    /** Foreground: our end of the pair; -1 for a console socket. */
    private ownFd: number,
  ) {}

  /** Connect to the console socket at `path` (as runc: before the container's init exists). */
  static connect(path: string): ConsoleChannel {
    try {
      return new ConsoleChannel(connectUnix(path), -1);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new TsrunError(`connect to the console socket ${path}: ${code}`);
    }
  }

  /** A pair: init sends the master to one end, tsrun receives it on the other. */
  static pair(): ConsoleChannel {
    const [own, init] = socketPair();
    return new ConsoleChannel(init, own);
  }

  /**
   * Once init has sent the terminal (spawnInit returned): drop the init's end here, and for a
   * pair receive the master (close-on-exec). null for a console socket.
   */
  receive(): number | null {
    this.closeInitEnd();
    if (this.ownFd < 0) return null;
    try {
      return recvFd(this.ownFd).fd;
    } finally {
      this.closeOwn();
    }
  }

  /** Close whatever is still open (after a failure, or after receive()). */
  close(): void {
    this.closeInitEnd();
    this.closeOwn();
  }

  private initClosed = false;

  private closeInitEnd(): void {
    if (this.initClosed) return;
    this.initClosed = true;
    fs.closeSync(this.initFd);
  }

  private closeOwn(): void {
    if (this.ownFd < 0) return;
    fs.closeSync(this.ownFd);
    this.ownFd = -1;
  }
}

/** The channel a process with `terminal` gets, after runc's checks; null without a terminal. */
export function openConsoleChannel(terminal: boolean, detach: boolean, consoleSocket: string | undefined): ConsoleChannel | null {
  checkTerminal(terminal, detach, consoleSocket);
  if (!terminal) return null;
  return consoleSocket ? ConsoleChannel.connect(consoleSocket) : ConsoleChannel.pair();
}
