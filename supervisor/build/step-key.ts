/**
 * A build step's cache key (./cache.ts): a digest over what its result depends on, and nothing
 * else, so that a rebuild reuses exactly the steps whose inputs did not change: the image it
 * starts from (its config, history included, and its layers), the instruction after variable
 * substitution, the build args it uses with their values, for COPY and ADD a digest of the files
 * copied (./copy-step.ts copyDigest: names, types, modes, owners, contents; not times), the
 * platform, and the build's SOURCE_DATE_EPOCH (the times the step writes). Pure.
 */
import * as crypto from 'crypto';

const sha256 = (text: string) => `sha256:${crypto.createHash('sha256').update(text).digest('hex')}`;

/** The identity of an image state: its config and its layers' digests. */
export function stateIdentity(s: { config: object; layers: { descriptor: { digest: string } }[] }): string {
  return sha256(JSON.stringify([s.config, s.layers.map((l) => l.descriptor.digest)]));
}

export interface StepInputs {
  parent: string;
  instruction: string;
  args: Record<string, string>;
  copyDigest: string;
  platform: string;
  epoch: number;
}

export function stepKey(i: StepInputs): string {
  const args = Object.keys(i.args)
    .sort()
    .map((k) => [k, i.args[k]]);
  return sha256(JSON.stringify(['tsrun-build-step-v1', i.parent, i.instruction, args, i.copyDigest, i.platform, i.epoch]));
}
