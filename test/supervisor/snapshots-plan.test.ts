/**
 * The overlay root in the init plan (runtime/plan/rootfs.ts): mounted first thing after the new
 * mount namespace's propagation is made private, lower dirs named relative to the layers
 * directory init moves into, and refused with a clear error past the kernel's one page of options.
 */
import { buildInitPlan } from '../../runtime/plan/build';
import { PlanError } from '../../runtime/plan/plan-error';
import { baseSpec, indexOf, testContext } from '../helpers/plan-context';
import type { RootfsOverlay } from '../../runtime/plan/types';

const PRIVATE = 1 << 18;
const REC = 16384;
const hex = (i: number) => i.toString(16).padStart(64, '0');
const overlay = (layers: number): RootfsOverlay => ({
  layersDir: '/var/lib/tsrund/snapshots/layers',
  lower: Array.from({ length: layers }, (_, i) => hex(layers - i)),
  upper: '/var/lib/tsrund/snapshots/active/c1/upper',
  work: '/var/lib/tsrund/snapshots/active/c1/work',
});

test('the overlay is mounted onto the rootfs right after / is made rprivate, before the rootfs is bound and opened', () => {
  const o = overlay(2);
  const plan = buildInitPlan(baseSpec(), { ...testContext(), rootfsMount: o });
  const first = indexOf(plan, (s) => s.op === 'mount');
  expect(plan.init[first]).toMatchObject({ op: 'mount', target: '/', flags: REC | PRIVATE });
  expect(plan.init.slice(first + 1, first + 4)).toEqual([
    { op: 'chdir', path: o.layersDir },
    {
      op: 'mount',
      source: 'overlay',
      target: '/tmp/b/rootfs',
      inRoot: false,
      fstype: 'overlay',
      flags: 0,
      data: `lowerdir=${hex(2)}:${hex(1)},upperdir=${o.upper},workdir=${o.work},index=off`,
      create: 'none',
      ignoreMissing: false,
    },
    expect.objectContaining({ op: 'mount', source: '/tmp/b/rootfs', target: '/tmp/b/rootfs' }),
  ]);
  expect(buildInitPlan(baseSpec(), testContext()).init.some((s) => s.op === 'mount' && s.fstype === 'overlay')).toBe(false);
});

test('a stack whose options pass one page (about 55 layers with these paths) is refused naming the sizes', () => {
  expect(() => buildInitPlan(baseSpec(), { ...testContext(), rootfsMount: overlay(55) })).not.toThrow();
  expect(() => buildInitPlan(baseSpec(), { ...testContext(), rootfsMount: overlay(70) })).toThrow(
    new PlanError('rootfs', "the overlay of 70 layers needs 4668 bytes of mount options, more than the kernel's 4095"),
  );
  expect(() => buildInitPlan(baseSpec(), { ...testContext(), rootfsMount: { ...overlay(1), upper: '/a,b/upper' } })).toThrow(/holds ',', ':'/);
});
