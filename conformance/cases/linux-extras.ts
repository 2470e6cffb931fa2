/**
 * Cases on the remaining Linux settings: sysctls, personality, scheduler, I/O priority, NUMA
 * memory policy and time namespace offsets, observed from inside by the probe.
 */
import * as fs from 'fs';
import { Case, CaseSkip, expect } from '../case';

const hostUptime = (): number => Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);

export const linuxExtrasCases: Case[] = [
  {
    id: 'linux.sysctl',
    clause: 'config-linux.md § Sysctl',
    level: 'MUST',
    requirement: 'each linux.sysctl entry is the value of that kernel parameter inside the container (ipc and network ones here)',
    async check(ctx) {
      const report = await ctx.probe(
        (c) => {
          Object.assign(c.linux, { sysctl: { 'kernel.shmmni': '3210', 'net.ipv4.ip_forward': '1' } });
        },
        ['--read', '/proc/sys/kernel/shmmni', '--read', '/proc/sys/net/ipv4/ip_forward'],
      );
      expect(report.files['/proc/sys/kernel/shmmni'] === '3210', `kernel.shmmni is ${report.files['/proc/sys/kernel/shmmni']}`);
      expect(report.files['/proc/sys/net/ipv4/ip_forward'] === '1', `net.ipv4.ip_forward is ${report.files['/proc/sys/net/ipv4/ip_forward']}`);
    },
  },
  {
    id: 'linux.sysctl-host-refused',
    clause: 'config-linux.md § Sysctl',
    level: 'SHOULD',
    requirement: 'a sysctl no namespace of the container isolates (vm.swappiness) fails create rather than change the host',
    async check(ctx) {
      const before = fs.readFileSync('/proc/sys/vm/swappiness', 'utf8');
      const value = before.trim() === '37' ? '38' : '37';
      const bundle = ctx.bundle(['true'], (c) => Object.assign(c.linux, { sysctl: { 'vm.swappiness': value } }));
      const r = ctx.runtime.create(ctx.runtime.newId('sysctl'), bundle.dir);
      const after = fs.readFileSync('/proc/sys/vm/swappiness', 'utf8');
      // A runtime that wrote it changed the host: put the host's value back before failing.
      if (after !== before) fs.writeFileSync('/proc/sys/vm/swappiness', before);
      expect(after === before, `the host's vm.swappiness changed from ${before.trim()} to ${after.trim()}`);
      expect(r.code !== 0, 'create with sysctl vm.swappiness succeeded');
    },
  },
  {
    id: 'linux.personality',
    clause: 'config-linux.md § Personality',
    level: 'MUST',
    requirement: 'personality domain LINUX32 makes uname report a 32-bit machine',
    async check(ctx) {
      const machine32: Partial<Record<string, string>> = { x64: 'i686', arm64: 'armv8l' };
      const expected = machine32[process.arch];
      if (!expected) throw new CaseSkip(`no 32-bit machine name known for ${process.arch}`);
      const report = await ctx.probe((c) => Object.assign(c.linux, { personality: { domain: 'LINUX32' } }));
      expect(report.machine === expected, `uname machine is ${report.machine}, personality 0x${report.personality.toString(16)}`);
    },
  },
  {
    id: 'process.scheduler',
    clause: 'config.md § Linux Process',
    level: 'MUST',
    requirement: 'process.scheduler (SCHED_BATCH, nice 5) is the scheduling policy and nice value of the process',
    async check(ctx) {
      const report = await ctx.probe((c) => Object.assign(c.process, { scheduler: { policy: 'SCHED_BATCH', nice: 5 } }));
      const s = report.scheduler;
      expect(s !== null && s.policy === 3 && s.nice === 5, `scheduler is ${JSON.stringify(s)} (SCHED_BATCH is policy 3)`);
    },
  },
  {
    id: 'process.io-priority',
    clause: 'config.md § Linux Process',
    level: 'MUST',
    requirement: 'process.ioPriority (IOPRIO_CLASS_BE, 6) is the I/O priority of the process',
    async check(ctx) {
      const report = await ctx.probe((c) => Object.assign(c.process, { ioPriority: { class: 'IOPRIO_CLASS_BE', priority: 6 } }));
      const want = (2 << 13) | 6;
      expect(report.ioPriority === want, `ioprio_get is ${report.ioPriority} (class ${report.ioPriority >> 13}, level ${report.ioPriority & 0x1fff}), not ${want}`);
    },
  },
  {
    id: 'linux.memory-policy',
    clause: 'config-linux.md § Memory policy',
    level: 'MUST',
    requirement: 'linux.memoryPolicy (MPOL_BIND to node 0) is the NUMA policy of the process',
    async check(ctx) {
      if (!fs.existsSync('/sys/devices/system/node/node0')) throw new CaseSkip('the host has no NUMA node 0');
      const report = await ctx.probe((c) => Object.assign(c.linux, { memoryPolicy: { mode: 'MPOL_BIND', nodes: '0' } }));
      const p = report.memoryPolicy;
      expect(p !== null && p.mode === 2 && p.nodes.length === 1 && p.nodes[0] === 0, `memory policy is ${JSON.stringify(p)} (MPOL_BIND is 2)`);
    },
  },
  {
    id: 'linux.time-offsets',
    clause: 'config-linux.md § Offset for Time Namespace',
    level: 'MUST',
    requirement: 'in a new time namespace, CLOCK_BOOTTIME runs timeOffsets.boottime ahead of the host (seen in /proc/uptime)',
    async check(ctx) {
      const offset = 5 * 86400;
      const before = hostUptime();
      const report = await ctx.probe(
        (c) => {
          c.linux.namespaces.push({ type: 'time' });
          Object.assign(c.linux, { timeOffsets: { boottime: { secs: offset, nanosecs: 0 } } });
        },
        ['--read', '/proc/uptime'],
      );
      const after = hostUptime();
      const inside = Number((report.files['/proc/uptime'] ?? '').split(' ')[0]);
      expect(inside >= before + offset && inside <= after + offset, `uptime inside is ${inside}, the host's ${before}..${after}, offset ${offset}`);
    },
  },
];
