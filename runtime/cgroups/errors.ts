import { TsrunError } from '../../common/errors';

/** A cgroup operation that failed; `errno` is the errno name when a system call failed. */
export class CgroupError extends TsrunError {
  constructor(
    message: string,
    readonly errno?: string,
  ) {
    super(message);
    this.name = 'CgroupError';
  }
}

/** The errno name of a failed fs call ("EBUSY"), or the message when it has none. */
export function errnoName(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : String((err as Error)?.message ?? err);
}
