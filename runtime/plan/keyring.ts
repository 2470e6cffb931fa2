/**
 * The container's own session keyring. Without one, init and everything it runs inherit the
 * caller's session keyring (tsrun's, or tsrund's `_uid_ses.0`) and can read its keys. runc
 * joins a keyring named `_ses.<id>` in init (--no-new-keyring keeps the caller's) and makes it
 * searchable by the container's ids: by its owner's uid, or by "other" in a user namespace,
 * where the owner's uid is not one the container has. A process exec'd in the container joins
 * the same keyring by name.
 */
import { hasNamespace, Namespaces } from './namespaces';
import type { InitStep, PlanContext } from './types';

/** KEY_USR_SEARCH and KEY_OTH_SEARCH (linux/keyctl.h). */
const KEY_USR_SEARCH = 0x00080000;
const KEY_OTH_SEARCH = 0x00000008;

/** Joining the keyring of container `containerId` (a new anonymous one without an id). */
export function sessionKeyringSteps(ctx: Pick<PlanContext, 'containerId' | 'noNewKeyring'>, permSet: number): InitStep[] {
  if (ctx.noNewKeyring) return [];
  return [{ op: 'joinSessionKeyring', name: ctx.containerId === undefined ? null : `_ses.${ctx.containerId}`, permSet }];
}

/** The permission the container's init adds to the keyring it makes. */
export function keyringSearchPermission(ns: Namespaces): number {
  return hasNamespace(ns, 'user') ? KEY_OTH_SEARCH : KEY_USR_SEARCH;
}
