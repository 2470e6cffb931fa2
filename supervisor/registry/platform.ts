/**
 * Platforms ("os/architecture[/variant]") and choosing one manifest of an index, the way
 * containerd's default matcher does: same os, same architecture, and the same variant once the
 * defaults are filled in (arm64 → v8, arm → v7, amd64 → none).
 */
import type { Descriptor, Platform } from '../content/descriptor';
import { TsrunError } from '../../common/errors';

export class PlatformError extends TsrunError {
  constructor(message: string) {
    super(message, { code: 'failed-precondition' });
    this.name = 'PlatformError';
  }
}

const NODE_ARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

export function hostPlatform(): Platform {
  const architecture = NODE_ARCH[process.arch] ?? process.arch;
  const p: Platform = { os: process.platform, architecture };
  if (architecture === 'arm64') p.variant = 'v8';
  if (architecture === 'arm') p.variant = `v${(process.config.variables as { arm_version?: string }).arm_version ?? '7'}`;
  return p;
}

/** "linux/arm64", "linux/arm/v7"; the architecture aliases Docker accepts are normalised. */
export function parsePlatform(text: string): Platform {
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9._-]+$/i.test(p)))
    throw new PlatformError(`platform ${JSON.stringify(text.slice(0, 100))}: expected os/architecture[/variant], e.g. linux/amd64`);
  const aliases: Record<string, string> = { x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', armhf: 'arm', i386: '386' };
  const architecture = aliases[parts[1].toLowerCase()] ?? parts[1].toLowerCase();
  const p: Platform = { os: parts[0].toLowerCase(), architecture };
  if (parts[2]) p.variant = parts[2].toLowerCase();
  return p;
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

function normalVariant(p: Platform): string {
  const v = p.variant ?? '';
  if (p.architecture === 'arm64') return v === '' || v === '8' ? 'v8' : v;
  if (p.architecture === 'arm') return v === '' ? 'v7' : v;
  if (p.architecture === 'amd64') return v === 'v1' ? '' : v;
  return v;
}

export function platformMatches(want: Platform, have: Platform): boolean {
  return want.os === have.os && want.architecture === have.architecture && normalVariant(want) === normalVariant(have);
}

/** The first manifest of the index built for `want`; a PlatformError listing what there is otherwise. */
export function selectManifest(manifests: Descriptor[], want: Platform, where: string): Descriptor {
  const found = manifests.find((m) => m.platform && platformMatches(want, m.platform));
  if (found) return found;
  const have = manifests.filter((m) => m.platform && m.platform.os !== 'unknown').map((m) => formatPlatform(m.platform!));
  throw new PlatformError(`${where}: no manifest for platform ${formatPlatform(want)} (the index has ${have.length > 0 ? have.join(', ') : 'no platforms'})`);
}
