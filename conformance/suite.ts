/**
 * Runs the cases against one runtime binary: each case gets a fresh context whose containers are
 * force-deleted and whose bundles are removed afterwards, whatever the outcome.
 */
import * as path from 'path';
import { Case, CaseSkip, makeContext } from './case';
import { RuntimeDriver } from './driver';

export type Status = 'pass' | 'fail' | 'skip';

export interface Outcome {
  status: Status;
  /** Why it failed or was skipped. */
  detail?: string;
}

export interface RuntimeResults {
  /** The runtime's name in reports: the binary's basename. */
  name: string;
  binary: string;
  outcomes: Map<string, Outcome>;
}

export async function runSuite(
  binary: string,
  cases: Case[],
  probeBinary: string,
  scratch: string,
  onOutcome: (c: Case, o: Outcome) => void = () => undefined,
): Promise<RuntimeResults> {
  const outcomes = new Map<string, Outcome>();
  const runtime = new RuntimeDriver(binary, scratch);
  try {
    for (const c of cases) {
      const ctx = makeContext(runtime, probeBinary);
      let outcome: Outcome;
      try {
        await c.check(ctx);
        outcome = { status: 'pass' };
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        outcome = e instanceof CaseSkip ? { status: 'skip', detail: message } : { status: 'fail', detail: message };
      } finally {
        runtime.deleteAll();
        ctx.dispose();
      }
      outcomes.set(c.id, outcome);
      onOutcome(c, outcome);
    }
  } finally {
    runtime.dispose();
  }
  return { name: path.basename(binary), binary, outcomes };
}
