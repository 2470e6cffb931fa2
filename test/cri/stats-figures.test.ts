/** The CRI's figures from a cgroup reading and /proc/<pid>/net/dev (supervisor/cri/pods/stats.ts), v1 and v2 alike. */
import type { Stats } from '../../runtime/cgroups/stats';
import { parsePressure } from '../../runtime/cgroups/pressure';
import { parseNetDev, psiOf, sumUsage, swapOf, usageOf } from '../../supervisor/cri/pods/stats';

const reading = (memory: Partial<Stats['memory']>, cpuTotal = 0, pids = 0): Stats =>
  ({
    cpu: { usage: { total: cpuTotal, kernel: 0, user: 0 }, throttling: {} },
    memory: { usage: { limit: 0, failcnt: 0 }, swap: { limit: 0, failcnt: 0 }, kernel: { limit: 0, failcnt: 0 }, kernelTCP: { limit: 0, failcnt: 0 }, ...memory },
    pids: { current: pids },
  }) as Stats;

test('v1: hierarchical totals; the working set is usage less total_inactive_file; a limit near 2^63 is none', () => {
  const u = usageOf(reading({ usage: { usage: 100, limit: 9223372036854771712, failcnt: 0 }, raw: { rss: 1, total_rss: 40, total_inactive_file: 30, inactive_file: 1, total_pgfault: 7, total_pgmajfault: 2 } }, 55, 3));
  expect(u).toEqual({ cpuTotalNs: 55, usageBytes: 100, workingSetBytes: 70, rssBytes: 40, pageFaults: 7, majorPageFaults: 2, limitBytes: 0, processes: 3 });
});

test('v2: anon, inactive_file, pgfault; the working set never goes below 0', () => {
  const u = usageOf(reading({ usage: { usage: 10, limit: 4096, failcnt: 0 }, raw: { anon: 5, inactive_file: 50, pgfault: 9, pgmajfault: 1 } }));
  expect(u).toMatchObject({ usageBytes: 10, workingSetBytes: 0, rssBytes: 5, pageFaults: 9, majorPageFaults: 1, limitBytes: 4096 });
  expect(sumUsage([u, u])).toMatchObject({ usageBytes: 20, rssBytes: 10, limitBytes: 0 });
});

test('net/dev: every interface but lo, rx/tx bytes and errors; malformed lines skipped', () => {
  const text = [
    'Inter-|   Receive                                                |  Transmit',
    ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
    '    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0',
    '  eth0:    1234      10    2    0    0     0          0         0     5678      20    3    0    0     0       0          0',
    '  bad0: 1 2 3',
  ].join('\n');
  expect(parseNetDev(text)).toEqual([{ name: 'eth0', rxBytes: { value: 1234 }, rxErrors: { value: 2 }, txBytes: { value: 5678 }, txErrors: { value: 3 } }]);
});

test('swap: v1 memsw less memory, available under memsw\'s limit; v2 swap alone; none without accounting', () => {
  const v1 = (swapLimit: number) => reading({ usage: { usage: 100, limit: 0, failcnt: 0 }, swap: { usage: 130, limit: swapLimit, failcnt: 0 }, raw: { total_rss: 1 } });
  expect(swapOf(v1(200))).toEqual({ usageBytes: 30, availableBytes: 70 });
  expect(swapOf(v1(2 ** 63))).toEqual({ usageBytes: 30, availableBytes: null });
  // runc's v2 mapping: swap.usage is swap.current plus memory; the limit is memory.swap.max.
  expect(swapOf(reading({ usage: { usage: 100, limit: 0, failcnt: 0 }, swap: { usage: 130, limit: 50, failcnt: 0 }, raw: { anon: 1 } }))).toEqual({ usageBytes: 30, availableBytes: 20 });
  expect(swapOf(reading({ usage: { usage: 100, limit: 0, failcnt: 0 } }))).toBeNull();
});

test('PSI: some and full lines of a pressure file, as the CRI\'s PsiStats; a file without full has Full unset', () => {
  const p = parsePressure('some avg10=1.36 avg60=0.74 avg300=0.58 total=57373321\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=6245098\n');
  expect(psiOf(p)).toEqual({ Some: { Total: 57373321, Avg10: 1.36, Avg60: 0.74, Avg300: 0.58 }, Full: { Total: 6245098, Avg10: 0, Avg60: 0, Avg300: 0 } });
  expect(psiOf(parsePressure('some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n'))).toEqual({ Some: { Total: 0, Avg10: 0, Avg60: 0, Avg300: 0 }, Full: null });
  expect(psiOf(null)).toBeNull();
});
