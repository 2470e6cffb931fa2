/**
 * What the error stream carries at the end of an exec or attach. From v4.channel.k8s.io on it is
 * a metav1.Status in JSON, as kubelet writes it (no kind or apiVersion, an empty metadata);
 * before v4 it is the error's text alone, and nothing on success.
 */
export type Outcome = { exitCode: number } | { error: Error };

export function statusJson(outcome: Outcome): string {
  if ('error' in outcome) {
    const message = outcome.error.message;
    return JSON.stringify({
      metadata: {},
      status: 'Failure',
      message: `Internal error occurred: ${message}`,
      reason: 'InternalError',
      details: { causes: [{ message }] },
      code: 500,
    });
  }
  if (outcome.exitCode === 0) return JSON.stringify({ metadata: {}, status: 'Success' });
  return JSON.stringify({
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: exit status ${outcome.exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(outcome.exitCode) }] },
  });
}

/** The pre-v4 error text, or undefined when there is nothing to say. */
export function statusText(outcome: Outcome): string | undefined {
  if ('error' in outcome) return outcome.error.message;
  if (outcome.exitCode === 0) return undefined;
  return `command terminated with non-zero exit code: exit status ${outcome.exitCode}`;
}

/** A thrown value as an Error (handlers may throw anything, and errors from another realm fail instanceof). */
export function asError(err: unknown): Error {
  if (typeof err === 'object' && err !== null && typeof (err as Error).message === 'string') return err as Error;
  return new Error(String(err));
}
