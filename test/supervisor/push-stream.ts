/** Reading an Images.Push stream in tests. */
import type { PullProgress, PushedImage, PushImageResponse } from '../../supervisor/api/types';
import type { ResponseStream } from '../../supervisor/client/client';

/** The progress messages and the result of a push. */
export async function pushAll(stream: ResponseStream<PushImageResponse>): Promise<{ progress: PullProgress[]; pushed: PushedImage }> {
  const progress: PullProgress[] = [];
  let pushed: PushedImage | null = null;
  for await (const m of stream) {
    if (m.progress) progress.push(m.progress);
    if (m.pushed) pushed = m.pushed;
  }
  if (!pushed) throw new Error('the push ended without its result');
  return { progress, pushed };
}

