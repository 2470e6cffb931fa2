/** The TsrunError a call refuses with (the test fails if it does not throw one). */
import { TsrunError } from '../../../common/errors';

export function refusal(fn: () => unknown): TsrunError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TsrunError);
    return err as TsrunError;
  }
  throw new Error('expected a refusal');
}

export async function rejection(p: Promise<unknown>): Promise<TsrunError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(TsrunError);
    return err as TsrunError;
  }
  throw new Error('expected a refusal');
}
