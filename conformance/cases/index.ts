/** Every conformance case, in the order they run and are reported. */
import { Case } from '../case';
import { cgroupCases } from './cgroups';
import { configCases } from './config';
import { filesystemCases } from './filesystem';
import { lifecycleCases } from './lifecycle';
import { namespaceCases } from './namespaces';
import { processCases } from './process';

export const allCases: Case[] = [...lifecycleCases, ...configCases, ...processCases, ...filesystemCases, ...namespaceCases, ...cgroupCases];
