/**
 * A task's config with its network applied: the network namespace joined at the pinned file (or
 * none of its own, for the host's network), a UTS namespace with the hostname, and the hosts,
 * hostname and resolv.conf files bind-mounted over the image's (a mount the config makes at one
 * of those paths itself wins). Pure.
 */
import * as path from 'path';
import type { Spec } from '../../spec/types';
import type { Attachment } from './types';

/** The files of /etc a networked task gets bind-mounted. */
export const ETC_FILES = ['hosts', 'hostname', 'resolv.conf'] as const;

export function taskSpecWithNetwork(base: Spec, att: Attachment): Spec {
  const spec: Spec = structuredClone(base);
  const linux = (spec.linux ??= {});
  const others = (linux.namespaces ?? []).filter((ns) => ns.type !== 'network');
  linux.namespaces = att.netnsPath === '' ? others : [...others, { type: 'network', path: att.netnsPath }];
  const hasUts = linux.namespaces.some((ns) => ns.type === 'uts');
  // The host's network keeps the config's UTS namespace, or none: then the host's hostname is the container's.
  if (!hasUts && att.mode !== 'host') linux.namespaces.push({ type: 'uts' });
  if (linux.namespaces.some((ns) => ns.type === 'uts' && !ns.path)) spec.hostname = att.hostname;
  const taken = new Set((spec.mounts ?? []).map((m) => path.posix.normalize(m.destination)));
  for (const name of ETC_FILES) {
    const destination = `/etc/${name}`;
    if (taken.has(destination)) continue;
    (spec.mounts ??= []).push({ destination, type: 'bind', source: path.join(att.etcDir, name), options: ['rbind', 'rprivate'] });
  }
  return spec;
}
