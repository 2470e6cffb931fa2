/** The container's own session keyring: a step of init unless --no-new-keyring. */
import { buildInitPlan } from './build';
import { renderFailure } from './render-failure';
import { specWith, stepsOf, testContext } from '../../test/helpers/plan-context';

const USER_MAPS = { uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }] };

describe('session keyring', () => {
  test('init joins _ses.<id>, searchable by its owner, right after the namespace steps', () => {
    const plan = buildInitPlan(specWith(() => {}), testContext({ containerId: 'box' }));
    expect(stepsOf(plan, 'joinSessionKeyring')).toEqual([{ op: 'joinSessionKeyring', name: '_ses.box', permSet: 0x80000 }]);
    expect(plan.init.map((s) => s.op).filter((op) => op !== 'joinCgroup').slice(0, 2)).toEqual(['unshare', 'joinSessionKeyring']);
  });

  test('in a user namespace it is searchable by others (the owner is not a uid of the container) and joined after becoming root', () => {
    const spec = specWith((s) => {
      s.linux.namespaces.push({ type: 'user' });
      Object.assign(s.linux, USER_MAPS);
    });
    const plan = buildInitPlan(spec, testContext({ containerId: 'box' }));
    expect(stepsOf(plan, 'joinSessionKeyring')).toEqual([{ op: 'joinSessionKeyring', name: '_ses.box', permSet: 0x8 }]);
    expect(plan.init.findIndex((s) => s.op === 'joinSessionKeyring')).toBeGreaterThan(plan.init.findIndex((s) => s.op === 'becomeRoot'));
  });

  test('without an id the keyring is anonymous; --no-new-keyring keeps the caller\'s', () => {
    expect(stepsOf(buildInitPlan(specWith(() => {}), testContext()), 'joinSessionKeyring')).toEqual([{ op: 'joinSessionKeyring', name: null, permSet: 0x80000 }]);
    expect(stepsOf(buildInitPlan(specWith(() => {}), testContext({ containerId: 'box', noNewKeyring: true })), 'joinSessionKeyring')).toEqual([]);
  });

  test('a failure names the keyring and the flag that avoids it', () => {
    const ctx = testContext({ containerId: 'box' });
    const plan = buildInitPlan(specWith(() => {}), ctx);
    const step = plan.init.findIndex((s) => s.op === 'joinSessionKeyring');
    const failure = { phase: 'init' as const, step, errno: 122, code: 'EDQUOT', syscall: 'keyctl(KEYCTL_JOIN_SESSION_KEYRING)', path: '_ses.box' };
    expect(renderFailure(plan, failure, ctx)).toContain("join the container's own session keyring _ses.box (--no-new-keyring keeps the caller's)");
    expect(renderFailure(plan, failure, ctx)).toContain('EDQUOT');
  });
});
