import { parseBlkioEntries, parseCpuList, parseIoStat, parseKeyValues } from './stats';

test('parseKeyValues reads "key value" lines, skipping what is not a number', () => {
  expect(parseKeyValues('cache 4096\nrss 8192\nhierarchical_memory_limit 67108864\nbad x\n')).toEqual({
    cache: 4096,
    rss: 8192,
    hierarchical_memory_limit: 67108864,
  });
});

test('parseCpuList expands ranges', () => {
  expect(parseCpuList('0-2,5\n')).toEqual([0, 1, 2, 5]);
  expect(parseCpuList('')).toEqual([]);
});

test('parseBlkioEntries: v1 "maj:min Op value" lines, zeros left out as Go\'s omitempty does, the bare Total line skipped', () => {
  expect(parseBlkioEntries('254:1 Read 4096\n254:0 Write 0\n254:1 Total 4096\nTotal 4096\n')).toEqual([
    { major: 254, minor: 1, op: 'Read', value: 4096 },
    { major: 254, op: 'Write' },
    { major: 254, minor: 1, op: 'Total', value: 4096 },
  ]);
});

test("parseIoStat maps v2's io.stat to v1's two tables, as runc", () => {
  expect(parseIoStat('254:3 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n')).toEqual({
    ioServiceBytesRecursive: [
      { major: 254, minor: 3, op: 'Read', value: 4096 },
      { major: 254, minor: 3, op: 'Write', value: 8192 },
    ],
    ioServicedRecursive: [
      { major: 254, minor: 3, op: 'Read', value: 1 },
      { major: 254, minor: 3, op: 'Write', value: 2 },
    ],
  });
  expect(parseIoStat('')).toEqual({});
});
