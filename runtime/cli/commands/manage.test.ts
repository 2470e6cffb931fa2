import { filterPsOutput, parseRamBytes, resourcesFromFlags } from './manage';

describe('filterPsOutput', () => {
  const output = ['UID        PID  PPID  C STIME TTY          TIME CMD', 'root         1     0  0 10:00 ?        00:00:01 init', 'root       420     1  0 10:01 ?        00:00:00 sleep 30', ''].join('\n');

  test('keeps the header and the lines whose PID column is the container\'s', () => {
    expect(filterPsOutput(output, [420])).toBe(`${output.split('\n')[0]}\nroot       420     1  0 10:01 ?        00:00:00 sleep 30\n`);
  });
  test('output without a PID column is an error, as runc', () => {
    expect(() => filterPsOutput('USER COMMAND\nroot init\n', [1])).toThrow("couldn't find PID field in ps output");
  });
});

describe('parseRamBytes', () => {
  test.each([
    ['1024', 1024],
    ['64m', 64 * 2 ** 20],
    ['1G', 2 ** 30],
    ['2GiB', 2 * 2 ** 30],
    ['512kb', 512 * 1024],
    ['1.5k', 1536],
  ])('%s is %d bytes', (text, bytes) => {
    expect(parseRamBytes(text)).toBe(bytes);
  });
  test('anything else is an invalid size', () => {
    expect(() => parseRamBytes('10x')).toThrow("invalid size: '10x'");
  });
});

describe('resourcesFromFlags', () => {
  test('maps runc\'s flag names to linux.resources; -1 is unlimited', () => {
    const r = resourcesFromFlags({ memory: '64m', 'memory-swap': '-1', 'cpu-share': '512', 'cpu-quota': '-1', 'cpuset-cpus': '0-1', 'pids-limit': 5 });
    expect(r).toEqual({
      memory: { limit: 64 * 2 ** 20, reservation: undefined, swap: -1 },
      cpu: { shares: 512, quota: -1, period: undefined, cpus: '0-1', mems: undefined },
      pids: { limit: 5 },
    });
  });
  test('a --pids-limit of 0 leaves the limit alone', () => {
    expect(resourcesFromFlags({ 'pids-limit': 0 }).pids).toBeUndefined();
  });
  test('bad numbers and unsupported flags are refused by name', () => {
    expect(() => resourcesFromFlags({ 'cpu-period': 'abc', 'pids-limit': 0 })).toThrow('invalid value for cpu-period');
    expect(() => resourcesFromFlags({ 'cpu-share': '-5', 'pids-limit': 0 })).toThrow('invalid value for cpu-share');
    expect(() => resourcesFromFlags({ 'blkio-weight': 'x', 'pids-limit': 0 })).toThrow('invalid value for blkio-weight');
    expect(() => resourcesFromFlags({ 'l3-cache-schema': 'L3:0=f', 'pids-limit': 0 })).toThrow('--l3-cache-schema is not supported');
    expect(resourcesFromFlags({ 'blkio-weight': '300', 'cpu-rt-period': '100000', 'cpu-rt-runtime': '5000', 'pids-limit': 0 })).toMatchObject({
      blockIO: { weight: 300 },
      cpu: { realtimePeriod: 100000, realtimeRuntime: 5000 },
    });
  });
});
