/**
 * The OCI state a hook reads on stdin (runtime.md § State), laid out as runc writes it:
 * ociVersion, id, status, pid, bundle, then annotations when the config has any.
 */
export type HookStatus = 'creating' | 'created' | 'running' | 'stopped';

export interface HookStateFields {
  ociVersion: string;
  id: string;
  status: HookStatus;
  bundle: string;
  annotations?: Record<string, string>;
}

/** The document split around the pid, for whoever learns the pid last (init, from the parent). */
export function stateAroundPid(fields: HookStateFields): { before: string; after: string } {
  const head = JSON.stringify({ ociVersion: fields.ociVersion, id: fields.id, status: fields.status });
  const tail = JSON.stringify({ bundle: fields.bundle, annotations: fields.annotations });
  return { before: `${head.slice(0, -1)},"pid":`, after: `,${tail.slice(1)}` };
}

/** The state document; `pid` 0 (a stopped container) leaves the pid out, as runc does. */
export function stateDocument(fields: HookStateFields, pid: number): string {
  const { before, after } = stateAroundPid(fields);
  return pid > 0 ? `${before}${pid}${after}` : `${before.slice(0, -',"pid":'.length)}${after}`;
}
