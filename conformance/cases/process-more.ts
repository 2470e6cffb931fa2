/**
 * More cases on the container process (config.md § Process, runtime-linux.md § File descriptors):
 * rlimit errors, the inherited umask, open descriptors, CPU affinity, the terminal and the
 * security labels, observed from inside by the probe.
 */
import * as fs from 'fs';
import * as path from 'path';
import { consoleServer, readTerminal } from '../../test/helpers/console-socket';
import { Case, CaseContext, CaseSkip, expect } from '../case';
import { PROBE_IN_CONTAINER, ProbeReport, parseProbeOutput } from '../probe';
import { expectCreateFails } from './util';

/** create fails cleanly for a bundle running `true` with the config edited by `edit`. */
function createFails(ctx: CaseContext, edit: Parameters<CaseContext['bundle']>[1], what: string): void {
  expectCreateFails(ctx, ctx.bundle(['true'], edit).dir, what);
}

/** The CPUs this runner may use, from /proc/self/status. */
function runnerCpus(): number[] {
  const line = /^Cpus_allowed_list:\s*(.*)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '';
  return line.split(',').filter(Boolean).flatMap((range) => {
    const [lo, hi = lo] = range.split('-').map(Number);
    return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  });
}

/**
 * The probe's report as written to a pty master: read up to the first complete JSON line, or
 * until the slave is gone. Output still queued when the last slave holder exits can be lost, so
 * the container keeps the terminal open a while after the probe and the reader stops at the
 * report itself.
 */
const readReport = (master: number, timeoutMs: number) => readTerminal(master, timeoutMs, (text) => /(^|\n)\{[^\n]*\}\r?\n/.test(text));

/**
 * The probe's report from a container with process.terminal true: the runtime sends the pty master
 * to a console socket the case listens on (the runc command line's --console-socket).
 */
async function probeOnTerminal(ctx: CaseContext): Promise<ProbeReport> {
  const b = ctx.bundle(['sh', '-c', `${PROBE_IN_CONTAINER}; sleep 5`], (c) => {
    c.process.terminal = true;
  });
  const server = consoleServer(path.join(b.dir, 'console.sock'));
  const id = ctx.runtime.newId('tty');
  try {
    const r = ctx.runtime.cmd(['create', '--bundle', b.dir, '--console-socket', server.path, id]);
    expect(r.code === 0, `create with a console socket failed (exit ${r.code}): ${r.stderr.trim().slice(0, 300)}`);
    const output = readReport(server.receive().fd, 10_000);
    const started = ctx.runtime.cmd(['start', id]);
    expect(started.code === 0, `start failed (exit ${started.code}): ${started.stderr.trim().slice(0, 300)}`);
    return parseProbeOutput((await output).replace(/\r/g, ''));
  } finally {
    server.close();
    ctx.runtime.forceDelete(id);
  }
}

export const processMoreCases: Case[] = [
  {
    id: 'process.rlimits-duplicate',
    clause: 'config.md § POSIX process',
    level: 'MUST',
    requirement: 'two process.rlimits entries of the same type are an error',
    async check(ctx) {
      createFails(
        ctx,
        (c) => {
          c.process.rlimits = [
            { type: 'RLIMIT_NOFILE', soft: 100, hard: 200 },
            { type: 'RLIMIT_NOFILE', soft: 300, hard: 400 },
          ];
        },
        'RLIMIT_NOFILE listed twice',
      );
    },
  },
  {
    id: 'process.rlimits-soft-above-hard',
    clause: 'config.md § POSIX process',
    level: 'MUST',
    requirement: 'an rlimit the kernel cannot apply (soft above hard) is an error, not silently dropped',
    async check(ctx) {
      createFails(
        ctx,
        (c) => {
          c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 500, hard: 100 }];
        },
        'RLIMIT_NOFILE soft 500 above hard 100',
      );
    },
  },
  {
    id: 'process.umask-inherited',
    clause: 'config.md § User',
    level: 'SHOULD',
    requirement: 'without user.umask the process keeps the umask of the runtime\'s caller',
    async check(ctx) {
      const b = ctx.bundle([PROBE_IN_CONTAINER], (c) => {
        delete c.process.user.umask;
      });
      const id = ctx.runtime.newId('umask');
      // run() spawns synchronously, so the runtime inherits this umask and the runner gets its own back at once.
      const previous = process.umask(0o037);
      let run: ReturnType<typeof ctx.runtime.run>;
      try {
        run = ctx.runtime.run(id, b.dir);
      } finally {
        process.umask(previous);
      }
      const r = await run;
      expect(r.code === 0, `run of the probe exited with ${r.code ?? r.signal}: ${r.stderr.trim().slice(0, 300)}`);
      const report = parseProbeOutput(r.stdout);
      expect(report.umask === 0o037, `umask is 0${report.umask.toString(8)}, the caller's was 037`);
    },
  },
  {
    id: 'process.only-stdio-open',
    clause: 'runtime-linux.md § File descriptors',
    level: 'MUST',
    requirement: 'by default the process starts with only stdin, stdout and stderr open',
    async check(ctx) {
      const report = await ctx.probe();
      const extra = report.fds.filter((fd) => fd > 2);
      expect(extra.length === 0, `open descriptors are ${JSON.stringify(report.fds)}`);
    },
  },
  {
    id: 'process.exec-cpu-affinity',
    clause: 'config.md § Linux Process',
    level: 'MUST',
    requirement: 'execCPUAffinity.final is the CPU set of a process exec\'d into the container once it runs its program (the setting does not apply to the init)',
    async check(ctx) {
      const cpus = runnerCpus();
      if (cpus.length < 2) throw new CaseSkip(`the runner may use ${cpus.length} CPU, so a narrower affinity cannot be seen`);
      const last = cpus[cpus.length - 1];
      const b = ctx.bundle(['sleep', '30']);
      const id = ctx.runtime.newId('affinity');
      try {
        const created = ctx.runtime.create(id, b.dir);
        expect(created.code === 0, `create failed: ${created.stderr.trim().slice(0, 400)}`);
        const started = ctx.runtime.cmd(['start', id]);
        expect(started.code === 0, `start failed: ${started.stderr.trim().slice(0, 400)}`);
        const processFile = path.join(b.dir, 'exec-process.json');
        fs.writeFileSync(processFile, JSON.stringify({ ...b.config.process, args: [PROBE_IN_CONTAINER], execCPUAffinity: { final: String(last) } }));
        const r = ctx.runtime.cmd(['exec', '--process', processFile, id]);
        expect(r.code === 0, `exec of the probe exited with ${r.code ?? r.signal}: ${r.stderr.trim().slice(0, 400)}`);
        const report = parseProbeOutput(r.stdout);
        expect(JSON.stringify(report.cpuAffinity) === JSON.stringify([last]), `CPU affinity is ${JSON.stringify(report.cpuAffinity)}, want [${last}]`);
      } finally {
        ctx.runtime.forceDelete(id);
      }
    },
  },
  {
    id: 'process.terminal',
    clause: 'config.md § Process',
    level: 'MUST',
    requirement: 'with process.terminal true the process\'s stdin, stdout and stderr are a pseudoterminal slave',
    async check(ctx) {
      const report = await probeOnTerminal(ctx);
      expect(report.stdioTty.every(Boolean), `isatty of fds 0-2 is ${JSON.stringify(report.stdioTty)}`);
      expect(report.stdinTtyName?.startsWith('/dev/pts/') === true, `stdin is ${report.stdinTtyName}`);
    },
  },
  {
    id: 'linux.dev-console',
    clause: 'config-linux.md § Default Devices',
    level: 'MUST',
    requirement: 'with process.terminal true, /dev/console is the process\'s pseudoterminal',
    async check(ctx) {
      const report = await probeOnTerminal(ctx);
      const consoleDev = report.devices['/dev/console'];
      const pts = Number(report.stdinTtyName?.replace('/dev/pts/', ''));
      expect(consoleDev?.type === 'c' && consoleDev.major === 136 && consoleDev.minor === pts, `/dev/console is ${JSON.stringify(consoleDev ?? 'missing')}, stdin is ${report.stdinTtyName}`);
    },
  },
  {
    id: 'process.apparmor-profile',
    clause: 'config.md § Linux Process',
    level: 'MUST',
    requirement: 'apparmorProfile is the AppArmor profile of the process',
    async check(ctx) {
      if (!fs.existsSync('/sys/kernel/security/apparmor')) throw new CaseSkip('the host has no AppArmor');
      const report = await ctx.probe((c) => {
        c.process.apparmorProfile = 'unconfined';
      }, ['--read', '/proc/self/attr/apparmor/current']);
      expect(report.files['/proc/self/attr/apparmor/current'] === 'unconfined', `the profile is ${report.files['/proc/self/attr/apparmor/current']}`);
    },
  },
  {
    id: 'process.selinux-label',
    clause: 'config.md § Linux Process',
    level: 'MUST',
    requirement: 'selinuxLabel is the SELinux context of the process',
    async check(ctx) {
      if (!fs.existsSync('/sys/fs/selinux/enforce')) throw new CaseSkip('the host has no SELinux');
      const label = fs.readFileSync('/proc/self/attr/current', 'utf8').replace(/\0/g, '').trim();
      const report = await ctx.probe((c) => {
        c.process.selinuxLabel = label;
      }, ['--read', '/proc/self/attr/current']);
      expect(report.files['/proc/self/attr/current']?.replace(/\0/g, '') === label, `the context is ${report.files['/proc/self/attr/current']}, want ${label}`);
    },
  },
];
