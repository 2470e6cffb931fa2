/**
 * The CNI protocol as plugins see it, against small executable plugins (./cni-fake-plugins.ts):
 * the CNI_* environment, the configuration on stdin (name, cniVersion, runtimeConfig, prevResult),
 * the order of ADD / DEL / CHECK / GC, the result cache across runtime instances, plugin lookup,
 * timeouts, failures, and results of older versions.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CniConfigError, parseConfList, type ConfList } from '../../../supervisor/network/cni/config';
import { CniPluginError, CniRuntime, type RuntimeConf } from '../../../supervisor/network/cni/runtime';
import { FakePlugins } from './cni-fake-plugins';

jest.setTimeout(30_000);

let fake: FakePlugins;
beforeEach(() => {
  fake = new FakePlugins();
});
afterEach(() => fake.remove());

const runtime = (timeoutMs?: number) => new CniRuntime({ binDirs: fake.binDirs, cacheDir: fake.cacheDir, timeoutMs });
const list = (plugins: unknown[], cniVersion = '1.0.0', extra: Record<string, unknown> = {}): ConfList =>
  parseConfList(JSON.stringify({ cniVersion, name: 'cnitest', plugins, ...extra }), 'test');
const RT: RuntimeConf = { containerId: 'c1', netns: '/proc/1/ns/net', ifName: 'eth0', args: [['A', '1'], ['B', 'x.y']] };

const RESULT_A = {
  cniVersion: '1.0.0',
  interfaces: [{ name: 'eth0', mac: '02:00:00:00:00:01', sandbox: '/proc/1/ns/net' }],
  ips: [{ address: '10.231.0.5/24', gateway: '10.231.0.1', interface: 0 }],
  routes: [{ dst: '0.0.0.0/0' }],
  dns: { nameservers: ['10.231.0.1'] },
};

async function failure(p: Promise<unknown>): Promise<CniPluginError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof CniPluginError)) throw new Error(`expected a CniPluginError, got ${String(err)}`);
  expect(err.message).not.toMatch(/\n/);
  return err;
}

describe('ADD', () => {
  test('runs the plugins in order with the CNI_* environment, the list name and version, prevResult and only the declared capabilities', async () => {
    fake.answering('first', RESULT_A);
    fake.passing('second', {});
    const l = list([
      { type: 'first', runtimeConfig: { stale: true }, capabilities: { mac: false } },
      { type: 'second', capabilities: { portMappings: true }, custom: [1, 2] },
    ]);
    const ports = [{ hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '' }];
    const result = await runtime().add(l, { ...RT, capabilityArgs: { portMappings: ports, mac: '02:00:00:00:00:09' } });

    expect(result).toEqual(RESULT_A);
    const calls = fake.calls();
    expect(calls.map((c) => `${c.plugin} ${c.command}`)).toEqual(['first ADD', 'second ADD']);
    expect(calls[0].env).toEqual({
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: 'c1',
      CNI_NETNS: '/proc/1/ns/net',
      CNI_IFNAME: 'eth0',
      CNI_ARGS: 'A=1;B=x.y',
      CNI_PATH: fake.binDirs.join(':'),
    });
    expect(calls[0].stdin).toEqual({ type: 'first', capabilities: { mac: false }, name: 'cnitest', cniVersion: '1.0.0' });
    expect(calls[1].stdin).toEqual({
      type: 'second',
      capabilities: { portMappings: true },
      custom: [1, 2],
      name: 'cnitest',
      cniVersion: '1.0.0',
      runtimeConfig: { portMappings: ports },
      prevResult: RESULT_A,
    });
    expect(runtime().cachedResult(l, RT)).toEqual(RESULT_A);
  });

  test('a single .conf is a list of one', async () => {
    fake.answering('only', RESULT_A);
    const l = parseConfList(JSON.stringify({ cniVersion: '0.4.0', name: 'single', type: 'only', x: 1 }), 'single.conf');
    expect(l.plugins).toEqual([{ cniVersion: '0.4.0', name: 'single', type: 'only', x: 1 }]);
    await runtime().add(l, RT);
    expect(fake.calls()[0].stdin).toEqual({ cniVersion: '0.4.0', name: 'single', type: 'only', x: 1 });
  });

  test('finds a plugin in the first bin directory holding it; a missing one names the directories searched', async () => {
    fake.answering('twice', RESULT_A, 1);
    fake.answering('twice', RESULT_A, 0);
    await runtime().add(list([{ type: 'twice' }]), RT);
    expect(fake.calls().map((c) => c.plugin)).toEqual(['twice']);
    expect(fs.readdirSync(path.join(fake.root, 'log')).some((n) => n.includes('.0.twice.ADD.'))).toBe(true);

    const err = await failure(runtime().add(list([{ type: 'absent' }]), RT));
    expect(err.message).toBe(`CNI plugin absent (ADD on network cnitest): not found in ${fake.binDirs.join(', ')}`);
  });

  test("a plugin's error JSON fails ADD with its code, message and details; the list is deleted and nothing is cached", async () => {
    fake.answering('good', RESULT_A);
    fake.write('bad', `[ "$CNI_COMMAND" = ADD ] || exit 0\nprintf '%s' '{"cniVersion":"1.0.0","code":7,"msg":"no such bridge","details":"line one\\nline two"}'\nexit 1`);
    const l = list([{ type: 'good' }, { type: 'bad' }]);
    const err = await failure(runtime().add(l, RT));
    expect(err.message).toBe('CNI plugin bad (ADD on network cnitest): no such bridge: line one line two');
    expect([err.plugin, err.command, err.network, err.code, err.msg]).toEqual(['bad', 'ADD', 'cnitest', 7, 'no such bridge']);
    const calls = fake.calls();
    expect(calls.map((c) => `${c.plugin} ${c.command}`)).toEqual(['good ADD', 'bad ADD', 'bad DEL', 'good DEL']);
    expect(calls[2].stdin.prevResult).toEqual(RESULT_A);
    expect(runtime().cachedResult(l, RT)).toBeNull();
    expect(fs.existsSync(fake.cacheDir) ? fs.readdirSync(fake.cacheDir, { recursive: true }).filter((n) => String(n).includes('.json')) : []).toEqual([]);
  });

  test('a plugin failing without JSON: its last stderr line, or its exit status', async () => {
    fake.write('noisy', 'echo "warming up" >&2\necho "cannot open netns: EPERM" >&2\nexit 2');
    expect((await failure(runtime().add(list([{ type: 'noisy' }]), RT))).message).toBe(
      'CNI plugin noisy (ADD on network cnitest): cannot open netns: EPERM',
    );
    fake.write('silent', 'exit 3');
    expect((await failure(runtime().add(list([{ type: 'silent' }]), RT))).message).toBe(
      'CNI plugin silent (ADD on network cnitest): exited with status 3',
    );
    fake.write('crash', 'kill -SEGV $$');
    expect((await failure(runtime().add(list([{ type: 'crash' }]), RT))).msg).toBe('killed by SIGSEGV');
  });

  test('a plugin outliving the timeout is killed with what it started, and the error says after how long', async () => {
    const pids = path.join(fake.root, 'pids');
    fake.write('slow', `[ "$CNI_COMMAND" = ADD ] || exit 0\nsleep 30 & echo $! > ${pids}\nwait`);
    const started = Date.now();
    const err = await failure(runtime(400).add(list([{ type: 'slow' }]), RT));
    expect(err.message).toBe('CNI plugin slow (ADD on network cnitest): timed out after 400 ms (killed)');
    expect(Date.now() - started).toBeLessThan(10_000);
    // Killed: gone, or a zombie until whoever inherited it reaps it.
    const state = () => {
      try {
        return fs.readFileSync(`/proc/${fs.readFileSync(pids, 'utf8').trim()}/stat`, 'utf8').replace(/^.*\) /, '')[0];
      } catch {
        return 'gone';
      }
    };
    for (let i = 0; i < 50 && !['gone', 'Z'].includes(state()); i++) await new Promise((r) => setTimeout(r, 20));
    expect(['gone', 'Z']).toContain(state());
  });

  test('output that is not a valid result names the plugin and the field', async () => {
    fake.write('garbage', 'echo "hello, world"');
    expect((await failure(runtime().add(list([{ type: 'garbage' }]), RT))).message).toMatch(
      /^CNI plugin garbage \(ADD on network cnitest\): invalid output: not JSON/,
    );
    fake.answering('wrongip', { cniVersion: '1.0.0', ips: [{ address: '10.231.0.5' }] });
    expect((await failure(runtime().add(list([{ type: 'wrongip' }]), RT))).message).toBe(
      'CNI plugin wrongip (ADD on network cnitest): invalid result: ips[0].address: "10.231.0.5" is not an address with a prefix length (CIDR)',
    );
    fake.answering('badindex', { ...RESULT_A, ips: [{ address: '10.231.0.5/24', interface: 1 }] });
    expect((await failure(runtime().add(list([{ type: 'badindex' }]), RT))).msg).toBe(
      'invalid result: ips[0].interface: 1 is not the index of one of the 1 interfaces',
    );
    fake.write('flood', 'head -c 3000000 /dev/zero | tr "\\0" x');
    expect((await failure(runtime().add(list([{ type: 'flood' }]), RT))).msg).toBe('wrote more than 1048576 bytes to stdout (killed)');
    fake.write('codeonly', `printf '%s' '{"code":4}'; exit 1`);
    expect((await failure(runtime().add(list([{ type: 'codeonly' }]), RT))).message).toBe('CNI plugin codeonly (ADD on network cnitest): error code 4');
    fake.write('nothing', 'exit 0');
    expect((await failure(runtime().add(list([{ type: 'nothing' }]), RT))).msg).toBe('answered no result');
  });
});

describe('older results', () => {
  const RESULT_040 = {
    cniVersion: '0.4.0',
    interfaces: [{ name: 'eth0', sandbox: '/proc/1/ns/net' }],
    ips: [{ version: '4', address: '10.231.1.5/24', gateway: '10.231.1.1', interface: 0 }],
    routes: [{ dst: '0.0.0.0/0', gw: '10.231.1.1' }],
    dns: {},
  };
  const AS_100 = { ...RESULT_040, cniVersion: '1.0.0', ips: [{ address: '10.231.1.5/24', gateway: '10.231.1.1', interface: 0 }] };

  test('a 0.4.0 result is returned in the 1.0.0 shape and handed on converted to the list version', async () => {
    fake.answering('old', RESULT_040);
    fake.passing('next', {});
    expect(await runtime().add(list([{ type: 'old' }, { type: 'next' }]), RT)).toEqual(AS_100);
    expect(fake.calls()[1].stdin.prevResult).toEqual(AS_100);
  });

  test('a 0.4.0 list hands a 1.0.0 result on with ips[].version', async () => {
    fake.answering('new', AS_100);
    fake.passing('next', {});
    await runtime().add(list([{ type: 'new' }, { type: 'next' }], '0.4.0'), RT);
    expect(fake.calls()[1].stdin.prevResult).toEqual(RESULT_040);
  });

  test('a 0.2.0 result (ip4, ip6) is converted', async () => {
    fake.answering('ancient', {
      cniVersion: '0.2.0',
      ip4: { ip: '10.231.2.5/24', gateway: '10.231.2.1', routes: [{ dst: '0.0.0.0/0' }] },
      ip6: { ip: 'fd00::5/64' },
      dns: { nameservers: ['10.231.2.1'] },
    });
    expect(await runtime().add(list([{ type: 'ancient' }], '0.2.0'), RT)).toEqual({
      cniVersion: '1.0.0',
      interfaces: [],
      ips: [{ address: '10.231.2.5/24', gateway: '10.231.2.1' }, { address: 'fd00::5/64' }],
      routes: [{ dst: '0.0.0.0/0' }],
      dns: { nameservers: ['10.231.2.1'] },
    });
  });
});

describe('DEL, CHECK and the cache', () => {
  test('a new runtime (after a restart) deletes in reverse order with the cached result, and drops the cache', async () => {
    fake.answering('first', RESULT_A);
    fake.passing('second', {});
    const l = list([{ type: 'first' }, { type: 'second', capabilities: { portMappings: true } }]);
    await runtime().add(l, { ...RT, capabilityArgs: { portMappings: [] } });
    fake.clearCalls();
    const cached = JSON.parse(fs.readFileSync(path.join(fake.cacheDir, 'results', 'cnitest+c1+eth0.json'), 'utf8'));
    expect(cached).toMatchObject({ network: 'cnitest', containerId: 'c1', ifName: 'eth0', netns: RT.netns, args: RT.args, config: l.raw, result: RESULT_A });
    expect(cached.capabilityArgs).toEqual({ portMappings: [] });

    const fresh = runtime();
    expect(fresh.cachedResult(l, RT)).toEqual(RESULT_A);
    await fresh.del(l, { ...RT, capabilityArgs: { portMappings: [] } });
    const calls = fake.calls();
    expect(calls.map((c) => `${c.plugin} ${c.command}`)).toEqual(['second DEL', 'first DEL']);
    for (const c of calls) expect(c.stdin.prevResult).toEqual(RESULT_A);
    expect(calls[0].stdin.runtimeConfig).toEqual({ portMappings: [] });
    expect(calls[0].env.CNI_COMMAND).toBe('DEL');
    expect(fresh.cachedResult(l, RT)).toBeNull();
  });

  test('the runtime arguments are checked before anything runs or any cache file is named', async () => {
    fake.answering('p', RESULT_A);
    const l = list([{ type: 'p' }]);
    await expect(runtime().add(l, { ...RT, containerId: '../escape' })).rejects.toThrow(
      'runtime configuration: containerId: "../escape" must start with a letter or digit and hold only letters, digits, _ . -',
    );
    await expect(runtime().del(l, { ...RT, ifName: 'a/b' })).rejects.toThrow('runtime configuration: ifName: "a/b" is not an interface name');
    await expect(runtime().add(l, { ...RT, args: [['K', 'a;b']] })).rejects.toThrow('runtime configuration: args[0]: the value of K must be a string without ";"');
    expect(() => runtime().cachedResult(l, { containerId: 'c1', ifName: 'x'.repeat(16) })).toThrow(CniConfigError);
    expect(fake.calls()).toEqual([]);
  });

  test('DEL without a cached result runs without prevResult; before 0.4.0 DEL gets none either', async () => {
    fake.answering('p', RESULT_A);
    await runtime().del(list([{ type: 'p' }]), RT);
    expect(fake.calls()[0].stdin.prevResult).toBeUndefined();
    const old = list([{ type: 'p' }], '0.3.1');
    await runtime().add(old, RT);
    fake.clearCalls();
    await runtime().del(old, RT);
    expect(fake.calls()[0].stdin.prevResult).toBeUndefined();
  });

  test('a failing DEL still runs the other plugins, throws the first failure and keeps the cache for a retry', async () => {
    fake.answering('first', RESULT_A);
    fake.write('flaky', `[ "$CNI_COMMAND" = DEL ] && { echo '{"code":11,"msg":"try again later"}'; exit 1; }\nprintf '%s' '${JSON.stringify(RESULT_A)}'`);
    const l = list([{ type: 'first' }, { type: 'flaky' }]);
    await runtime().add(l, RT);
    fake.clearCalls();
    const err = await failure(runtime().del(l, RT));
    expect([err.message, err.code]).toEqual(['CNI plugin flaky (DEL on network cnitest): try again later', 11]);
    expect(fake.calls().map((c) => `${c.plugin} ${c.command}`)).toEqual(['flaky DEL', 'first DEL']);
    expect(runtime().cachedResult(l, RT)).toEqual(RESULT_A);
  });

  test('CHECK runs in order with the cached result; not for lists before 0.4.0 or with disableCheck; refused without a cache', async () => {
    fake.answering('first', RESULT_A);
    fake.passing('second', {});
    const l = list([{ type: 'first' }, { type: 'second' }]);
    await runtime().add(l, RT);
    fake.clearCalls();
    await runtime().check(l, RT);
    const calls = fake.calls();
    expect(calls.map((c) => `${c.plugin} ${c.command}`)).toEqual(['first CHECK', 'second CHECK']);
    for (const c of calls) expect(c.stdin.prevResult).toEqual(RESULT_A);

    fake.clearCalls();
    await runtime().check(list([{ type: 'first' }], '0.3.1'), RT);
    await runtime().check(list([{ type: 'first' }], '1.0.0', { disableCheck: true }), RT);
    expect(fake.calls()).toEqual([]);

    const err = await failure(runtime().check(l, { ...RT, containerId: 'other' }));
    expect(err.message).toBe('CNI (CHECK on network cnitest): no cached result for container other interface eth0');
  });

  test('a failing CHECK names the plugin', async () => {
    fake.write('drifted', `[ "$CNI_COMMAND" = CHECK ] && { echo '{"code":999,"msg":"eth0 has no address 10.231.0.5/24"}'; exit 1; }\nprintf '%s' '${JSON.stringify(RESULT_A)}'`);
    const l = list([{ type: 'drifted' }]);
    await runtime().add(l, RT);
    expect((await failure(runtime().check(l, RT))).message).toBe(
      'CNI plugin drifted (CHECK on network cnitest): eth0 has no address 10.231.0.5/24',
    );
  });
});

describe('VERSION and GC', () => {
  test('VERSION asks the plugin which versions it speaks', async () => {
    fake.write('v', `echo '{"cniVersion":"1.0.0","supportedVersions":["0.4.0","1.0.0"]}'`);
    expect(await runtime().version('v')).toEqual({ cniVersion: '1.0.0', supportedVersions: ['0.4.0', '1.0.0'] });
    const [call] = fake.calls();
    expect(call.env.CNI_COMMAND).toBe('VERSION');
    expect(call.stdin).toEqual({ cniVersion: '1.1.0' });
    expect((await failure(runtime().version('../../../bin/true'))).message).toBe('CNI plugin ../../../bin/true (VERSION): not a plugin name');
    fake.write('w', `echo '{"cniVersion":1}'`);
    expect((await failure(runtime().version('w'))).message).toBe('CNI plugin w (VERSION): invalid VERSION answer {"cniVersion":1}');
  });

  test('GC deletes cached attachments no longer valid, then (1.1.0) tells each plugin the valid ones', async () => {
    fake.answering('p', RESULT_A);
    const l = list([{ type: 'p' }], '1.1.0');
    await runtime().add(l, { ...RT, containerId: 'keep' });
    await runtime().add(l, { ...RT, containerId: 'gone' });
    fake.clearCalls();
    await runtime().gc(l, [{ containerId: 'keep', ifName: 'eth0' }]);
    const calls = fake.calls();
    expect(calls.map((c) => `${c.command} ${c.env.CNI_CONTAINERID ?? ''}`)).toEqual(['DEL gone', 'GC ']);
    expect(calls[1].stdin['cni.dev/valid-attachments']).toEqual([{ containerID: 'keep', ifname: 'eth0' }]);
    expect(runtime().cachedResult(l, { containerId: 'gone', ifName: 'eth0' })).toBeNull();
    expect(runtime().cachedResult(l, { containerId: 'keep', ifName: 'eth0' })).toEqual(RESULT_A);
  });

  test('GC sends no GC command to a list before 1.1.0, and nothing at all with disableGC', async () => {
    fake.answering('p', RESULT_A);
    await runtime().gc(list([{ type: 'p' }], '1.0.0'), []);
    await runtime().gc(list([{ type: 'p' }], '1.1.0', { disableGC: true }), []);
    expect(fake.calls()).toEqual([]);
  });
});
