/** Every conformance case, in the order they run and are reported. */
import { Case } from '../case';
import { cgroupCases } from './cgroups';
import { cgroupPathCases } from './cgroups-path';
import { configCases } from './config';
import { featureCases } from './features';
import { filesystemCases } from './filesystem';
import { hookCases } from './hooks';
import { hookMoreCases } from './hooks-more';
import { lifecycleCases } from './lifecycle';
import { linuxExtrasCases } from './linux-extras';
import { mountMoreCases } from './mounts-more';
import { namespaceCases } from './namespaces';
import { namespaceMoreCases } from './namespaces-more';
import { netDeviceCases } from './netdevices';
import { operationCases } from './operations';
import { processCases } from './process';
import { processMoreCases } from './process-more';
import { seccompAllowListCases } from './seccomp-allowlist';
import { seccompFilterCases } from './seccomp-filter';
import { seccompNotifyCases } from './seccomp-notify';

export const allCases: Case[] = [...lifecycleCases, ...configCases, ...processCases, ...filesystemCases, ...namespaceCases, ...cgroupCases, ...linuxExtrasCases, ...hookCases, ...seccompNotifyCases, ...operationCases, ...processMoreCases, ...mountMoreCases, ...namespaceMoreCases, ...seccompFilterCases, ...seccompAllowListCases, ...hookMoreCases, ...cgroupPathCases, ...featureCases, ...netDeviceCases];
