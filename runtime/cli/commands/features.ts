/**
 * `features`: what this tsrun implements, as the runtime-spec features document
 * (features-schema.json). It claims only what tsrun does; a field left out means "unknown".
 * The lists come from the tables the plan builder uses, so they cannot drift from what it accepts.
 */
import { OCI_VERSION } from '../../../spec/default-config';
import type { LinuxNamespaceType } from '../../../spec/types';
import { CAPABILITIES } from '../../plan/linux';
import { knownMountOptions } from '../../plan/mount-options';
import { NAMESPACE_TYPES } from '../../plan/namespaces';
import { seccompFeatures } from '../../plan/seccomp';
import { HOOK_KINDS } from '../../plan/hooks';
import type { Command } from '../command';
import { printOut } from '../command';

export interface Features {
  ociVersionMin: string;
  ociVersionMax: string;
  hooks: string[];
  mountOptions: string[];
  linux: {
    namespaces: LinuxNamespaceType[];
    capabilities: string[];
    cgroup: { v1: boolean; v2: boolean; systemd: boolean; systemdUser: boolean; rdma: boolean };
    seccomp: ReturnType<typeof seccompFeatures>;
    apparmor: { enabled: boolean };
    selinux: { enabled: boolean };
    intelRdt: { enabled: boolean };
    mountExtensions: { idmap: { enabled: boolean } };
    netDevices: { enabled: boolean };
  };
}

export function features(): Features {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: OCI_VERSION,
    hooks: [...HOOK_KINDS],
    mountOptions: knownMountOptions(),
    linux: {
      namespaces: [...NAMESPACE_TYPES],
      capabilities: Object.keys(CAPABILITIES),
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: false },
      seccomp: seccompFeatures(),
      // Support in tsrun, as runc reports it, not whether this host has the module: a profile
      // or label is applied where the host has AppArmor or SELinux, and refused where not.
      apparmor: { enabled: true },
      selinux: { enabled: true },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: true } },
      netDevices: { enabled: true },
    },
  };
}

export const featuresCommand: Command = {
  name: 'features',
  usage: 'show the enabled features',
  argsUsage: '',
  flags: [],
  args: 0,
  run() {
    printOut(JSON.stringify(features(), null, 4) + '\n');
    return 0;
  },
};
