import { TsrunError } from '../../common/errors';

/** A config.json value the plan builder cannot turn into steps, named by its JSON path. */
export class PlanError extends TsrunError {
  constructor(
    /** Where in config.json, e.g. "process.capabilities.bounding[1]". */
    readonly path: string,
    /** What is wrong there, e.g. `unknown capability "CAP_FOO"`. */
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`, { code: 'invalid-argument', subject: path });
    this.name = 'PlanError';
  }
}
