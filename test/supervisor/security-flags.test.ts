/**
 * tsctl's security run flags (supervisor/tsctl/security-flags.ts) parsed as docker takes them,
 * into the security part of ProcessOverrides.
 */
import { parseFlags } from '../../runtime/cli/args';
import { SECURITY_FLAGS, securityOverrides } from '../../supervisor/tsctl/security-flags';

const files: Record<string, string> = { '/p.json': '{"defaultAction":"SCMP_ACT_ALLOW"}' };
const readFile = (f: string) => {
  if (f in files) return files[f];
  throw Object.assign(new Error('missing'), { code: 'ENOENT', path: f, syscall: 'open' });
};
const parse = (argv: string[]) => securityOverrides(parseFlags(argv, SECURITY_FLAGS, 'tsctl run').flags, readFile);

test('no flag: nothing asked', () => {
  expect(parse([])).toEqual({ privileged: false, capAdd: [], capDrop: [], seccompProfile: '', noNewPrivileges: false });
});

test('--privileged, repeated --cap-add and --cap-drop, in order and as given', () => {
  expect(parse(['--privileged', '--cap-add', 'SYS_ADMIN', '--cap-add=cap_net_admin', '--cap-drop', 'ALL'])).toMatchObject({
    privileged: true,
    capAdd: ['SYS_ADMIN', 'cap_net_admin'],
    capDrop: ['ALL'],
  });
});

test.each([
  [['--security-opt', 'seccomp=unconfined'], { seccompProfile: 'unconfined' }],
  [['--security-opt', 'seccomp:unconfined'], { seccompProfile: 'unconfined' }],
  [['--security-opt', 'seccomp=/p.json'], { seccompProfile: files['/p.json'] }],
  [['--security-opt', 'no-new-privileges'], { noNewPrivileges: true }],
  [['--security-opt', 'no-new-privileges=true'], { noNewPrivileges: true }],
  [['--security-opt', 'no-new-privileges:false'], { noNewPrivileges: false }],
  [['--security-opt', 'no-new-privileges', '--security-opt', 'seccomp=unconfined'], { noNewPrivileges: true, seccompProfile: 'unconfined' }],
])('--security-opt %j', (argv, want) => {
  expect(parse(argv)).toMatchObject(want);
});

test.each([
  ['seccomp=/missing.json', 'run: --security-opt seccomp=/missing.json: /missing.json: '],
  ['seccomp=', 'run: --security-opt seccomp=: give seccomp=unconfined or seccomp=FILE'],
  ['no-new-privileges=yes', 'run: --security-opt no-new-privileges=yes: the value must be true or false'],
  ['apparmor=unconfined', 'run: --security-opt apparmor=unconfined: not supported'],
])('--security-opt %s is refused: %s', (opt, message) => {
  expect(() => parse(['--security-opt', opt])).toThrow(message);
});
