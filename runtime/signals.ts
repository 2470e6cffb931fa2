/** Signal names and numbers as `kill` accepts them: "TERM", "SIGTERM", "15". */
import * as os from 'os';
import { TsrunError } from '../common/errors';

const BY_NAME = os.constants.signals as Record<string, number>;

export function parseSignal(text: string): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n > 0 && n <= 64) return n;
  } else {
    const upper = text.toUpperCase();
    const n = BY_NAME[upper.startsWith('SIG') ? upper : `SIG${upper}`];
    if (n !== undefined) return n;
  }
  throw new TsrunError(`unknown signal "${text}"`);
}
