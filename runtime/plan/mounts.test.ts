/**
 * Recursive mount attributes in the plan: where the mountSetattr step of a config mount goes
 * (after the mount, its remount and its propagation, as runc; after the root change for the
 * tmpfs and /dev mounts whose read-only flag waits), and what it carries.
 */
import type { Mount } from '../../spec/types';
import { buildInitPlan } from './build';
import { MS_BIND, MS_RDONLY, MS_REC, MS_REMOUNT, MS_SHARED } from './linux';
import { indexOf, specWith, stepsOf, testContext } from '../../test/helpers/plan-context';
import type { InitPlan, InitStep } from './types';

/** MOUNT_ATTR_* of linux/mount.h. */
const ATTR_RDONLY = 0x1;
const ATTR_NOSUID = 0x2;
const ATTR_ATIME = 0x70;
const ATTR_NOATIME = 0x10;

function planWith(...mounts: Mount[]): InitPlan {
  return buildInitPlan(
    specWith((s) => s.mounts.push(...mounts)),
    testContext(),
  );
}

/** The init steps on `target` (mounts and mountSetattr), in order. */
function stepsOn(plan: InitPlan, target: string): InitStep[] {
  return plan.init.filter((s) => (s.op === 'mount' || s.op === 'mountSetattr') && s.target === target);
}

const pivot = (plan: InitPlan) => indexOf(plan, (s) => s.op === 'pivotRoot');

describe('recursive mount attributes', () => {
  test('rbind,ro,rro,rshared: bind, remount, propagation, then mount_setattr inside the root', () => {
    const plan = planWith({ destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'ro', 'rshared', 'rro', 'rnosuid'] });
    const steps = stepsOn(plan, '/data');
    expect(steps.map((s) => (s.op === 'mount' ? s.flags : s.op))).toEqual([
      MS_BIND | MS_REC,
      MS_BIND | MS_REMOUNT | MS_RDONLY,
      MS_SHARED | MS_REC,
      'mountSetattr',
    ]);
    expect(steps[3]).toEqual({ op: 'mountSetattr', target: '/data', inRoot: true, attrSet: ATTR_RDONLY | ATTR_NOSUID, attrClr: 0 });
    expect(plan.init.indexOf(steps[3])).toBeLessThan(pivot(plan));
  });

  test('a mount without recursive words gets no mountSetattr step', () => {
    const plan = planWith({ destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'ro'] });
    expect(stepsOf(plan, 'mountSetattr')).toEqual([]);
  });

  test('an atime word alone is a step (it clears the atime field)', () => {
    const plan = planWith({ destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'rrelatime'] });
    expect(stepsOf(plan, 'mountSetattr')).toEqual([{ op: 'mountSetattr', target: '/data', inRoot: true, attrSet: 0, attrClr: ATTR_ATIME }]);
  });

  test('a filesystem mount with rro: mount_setattr right after it', () => {
    const plan = planWith({ destination: '/mnt/proc', type: 'proc', source: 'proc', options: ['rro', 'rnoatime'] });
    const steps = stepsOn(plan, '/mnt/proc');
    expect(steps.map((s) => s.op)).toEqual(['mount', 'mountSetattr']);
    expect(steps[1]).toMatchObject({ inRoot: true, attrSet: ATTR_RDONLY | ATTR_NOATIME, attrClr: ATTR_ATIME });
  });

  test('a tmpfs with rro stays writable for the mounts made in it: mount_setattr after the root change, on the container path', () => {
    const plan = planWith(
      { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['rro'] },
      { destination: '/scratch/data', type: 'bind', source: '/srv/data', options: ['rbind'] },
    );
    const setattr = stepsOf(plan, 'mountSetattr');
    expect(setattr).toEqual([{ op: 'mountSetattr', target: '/scratch', inRoot: false, attrSet: ATTR_RDONLY, attrClr: 0 }]);
    expect(plan.init.indexOf(setattr[0])).toBeGreaterThan(pivot(plan));
  });

  test('a read-only tmpfs with rnosuid: the delayed remount comes first, then mount_setattr', () => {
    const plan = planWith({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'rnosuid'] });
    const after = stepsOn(plan, '/scratch').filter((s) => plan.init.indexOf(s) > pivot(plan));
    expect(after.map((s) => s.op)).toEqual(['mount', 'mountSetattr']);
    expect(after[0]).toMatchObject({ flags: MS_RDONLY | MS_REMOUNT, inRoot: false });
  });

  test('a cgroup mount with rro: mount_setattr over the whole cgroup tree, after its read-only remount', () => {
    const plan = buildInitPlan(
      specWith((s) => {
        const cgroup = s.mounts.find((m) => m.type === 'cgroup');
        if (!cgroup) throw new Error('the default config has a cgroup mount');
        cgroup.options = [...(cgroup.options ?? []), 'rro'];
      }),
      testContext(),
    );
    const steps = stepsOn(plan, '/sys/fs/cgroup');
    expect(steps[steps.length - 1]).toEqual({ op: 'mountSetattr', target: '/sys/fs/cgroup', inRoot: true, attrSet: ATTR_RDONLY, attrClr: 0 });
  });
});
