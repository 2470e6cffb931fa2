/**
 * How init gets into its cgroups (runtime/plan/build.ts cgroupJoin): by itself, without the
 * kernel's global lock, where it sees the host's cgroup files as the host does; by the parent's
 * write of its pid everywhere else. Every hierarchy is joined exactly once, by one way.
 */
import type { LinuxNamespace } from '../../spec/types';
import { buildInitPlan } from './build';
import type { InitPlan, PlanContext } from './types';
import { kernelAtLeast } from '../lifecycle/host-facts';
import { baseSpec, HYBRID_HIERARCHIES, specWith, testContext, V2_HIERARCHIES } from '../../test/helpers/plan-context';

const USER_MAPS = {
  uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
  gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
};

const withNamespace = (ns: LinuxNamespace) =>
  specWith((s) => {
    s.linux.namespaces = [...s.linux.namespaces.filter((n) => n.type !== ns.type), ns];
    if (ns.type === 'user') Object.assign(s.linux, USER_MAPS);
  });

/** Each hierarchy's directory, and how the plan puts init there. */
function joins(plan: InitPlan): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (dir: string, how: string) => {
    expect(out[dir]).toBeUndefined();
    out[dir] = how;
  };
  for (const s of plan.init) if (s.op === 'joinCgroup') add(s.path.replace(/\/tasks$/, ''), 'init writes 0 to tasks');
  if (plan.cloneIntoCgroup) add(plan.cloneIntoCgroup.dir, 'cloned into');
  for (const s of plan.parent) if (s.op === 'writePid') add(s.path.replace(/\/cgroup\.procs$/, ''), 'parent writes the pid');
  return out;
}

const hybrid = (how: Record<'v1' | 'v2', string>) => ({
  '/sys/fs/cgroup/memory/tsrun/c1': how.v1,
  '/sys/fs/cgroup/cpu,cpuacct/tsrun/c1': how.v1,
  '/sys/fs/cgroup/systemd/tsrun/c1': how.v1,
  '/sys/fs/cgroup/unified/tsrun/c1': how.v2,
});

test('a hybrid host: init joins each v1 hierarchy itself, first of all, and is cloned into the v2 one', () => {
  const plan = buildInitPlan(baseSpec(), testContext({ cloneIntoCgroup: true }));
  expect(joins(plan)).toEqual(hybrid({ v1: 'init writes 0 to tasks', v2: 'cloned into' }));
  expect(plan.init.slice(0, 3).map((s) => s.op)).toEqual(['joinCgroup', 'joinCgroup', 'joinCgroup']);
  expect(plan.parent).toEqual([]);
});

test('a cgroup v2 host: init is cloned into its directory, nothing else', () => {
  const ctx = testContext({ cloneIntoCgroup: true, cgroup: { procsFiles: ['/sys/fs/cgroup/tsrun/c1/cgroup.procs'], hierarchies: V2_HIERARCHIES } });
  const plan = buildInitPlan(baseSpec(), ctx);
  expect(joins(plan)).toEqual({ '/sys/fs/cgroup/tsrun/c1': 'cloned into' });
  expect(plan.init.some((s) => s.op === 'joinCgroup')).toBe(false);
});

test('a kernel without CLONE_INTO_CGROUP: the parent writes the pid to the v2 hierarchy', () => {
  expect(joins(buildInitPlan(baseSpec(), testContext({ cloneIntoCgroup: false })))).toEqual(
    hybrid({ v1: 'init writes 0 to tasks', v2: 'parent writes the pid' }),
  );
});

test.each<[string, LinuxNamespace, Record<'v1' | 'v2', string>]>([
  ['a new user namespace (init may not write the host’s files)', { type: 'user' }, { v1: 'parent writes the pid', v2: 'parent writes the pid' }],
  ['a joined user namespace', { type: 'user', path: '/proc/1/ns/user' }, { v1: 'parent writes the pid', v2: 'parent writes the pid' }],
  ['a joined mount namespace (the files may be elsewhere)', { type: 'mount', path: '/proc/1/ns/mnt' }, { v1: 'parent writes the pid', v2: 'parent writes the pid' }],
  ['a joined cgroup namespace (the v2 directory may be out of its reach)', { type: 'cgroup', path: '/proc/1/ns/cgroup' }, { v1: 'init writes 0 to tasks', v2: 'parent writes the pid' }],
])('%s', (_what, ns, how) => {
  expect(joins(buildInitPlan(withNamespace(ns), testContext({ cloneIntoCgroup: true })))).toEqual(hybrid(how));
});

test('no cgroups to join (an exec-less placement): nothing', () => {
  const ctx: Partial<PlanContext> = { cloneIntoCgroup: true, cgroup: { procsFiles: [], hierarchies: [] } };
  const plan = buildInitPlan(baseSpec(), testContext(ctx));
  expect(joins(plan)).toEqual({});
  expect(plan.cloneIntoCgroup).toBeUndefined();
});

test.each([
  ['6.1.0-18-amd64', true],
  ['5.7.0', true],
  ['5.10.1', true],
  ['5.6.19', false],
  ['4.19.0', false],
  ['10.0', true],
  ['not a release', false],
  ['', false],
])('kernel %j has CLONE_INTO_CGROUP: %s', (release, expected) => {
  expect(kernelAtLeast(release, 5, 7)).toBe(expected);
});

test('HYBRID_HIERARCHIES are what the cases above call hybrid', () => {
  expect(HYBRID_HIERARCHIES.map((h) => h.version)).toEqual([1, 1, 1, 2]);
});
