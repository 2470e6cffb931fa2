/** The message `fn` throws (the tests compare it whole); fails when it throws nothing. */
export function thrownMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('no error');
}
