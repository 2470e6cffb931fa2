/**
 * What the metadata instructions do to an image config's "config" object, with Docker's
 * semantics: the builder applies a Dockerfile's CMD, ENV, ... with it, `tsctl commit -c` the
 * changes it was given (parseChanges). Pure: a new config is returned, the given one is not
 * touched. Instructions come already expanded (./dockerfile/expand.ts), except ONBUILD triggers,
 * which the image stores as written.
 */
import * as path from 'path';
import type { ImageConfig } from '../images/bundle';
import { TsrunError } from '../shared/errors';
import { expandInstruction, expansionVariables, stageScope } from './dockerfile/expand';
import { DockerfileError, goDuration, parseInstructions } from './dockerfile/parse';
import type { CommandForm, Instruction, InstructionKind, SourcePosition } from './dockerfile/types';

export type ContainerConfig = NonNullable<ImageConfig['config']>;

export const DEFAULT_SHELL: readonly string[] = ['/bin/sh', '-c'];

/** The instructions `docker commit --change` takes (moby's validCommitCommands; and so `tsctl commit -c`). */
export const COMMIT_INSTRUCTIONS: readonly InstructionKind[] = ['CMD', 'ENTRYPOINT', 'HEALTHCHECK', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'];

export interface ApplyOptions {
  /** Whether a CMD came earlier in the same stage (or the same commit): then ENTRYPOINT keeps it. */
  cmdSet?: boolean;
  /** Names the input in errors ("Dockerfile", "--change[1]"). */
  file?: string;
}

/**
 * `config` after `ins`. `shell` wraps the shell forms of CMD and ENTRYPOINT (the stage's SHELL,
 * ["/bin/sh", "-c"] by default). ENTRYPOINT drops the Cmd unless a CMD was set before it in
 * this stage (options.cmdSet), as Docker does: the base image's Cmd was meant for its own
 * entrypoint. MAINTAINER changes nothing here (it is the image's author: the caller's).
 */
export function applyInstruction(config: ContainerConfig, ins: Instruction, shell: readonly string[] = config.Shell ?? DEFAULT_SHELL, options: ApplyOptions = {}): ContainerConfig {
  const fail: (at: SourcePosition, message: string) => never = (at, message) => {
    throw new DockerfileError({ file: options.file ?? 'Dockerfile', at, message });
  };
  const wrap = (command: CommandForm): string[] => ('exec' in command ? [...command.exec] : [...shell, command.shell]);
  switch (ins.kind) {
    case 'CMD':
      return { ...config, Cmd: wrap(ins.command) };
    case 'ENTRYPOINT':
      return { ...config, Entrypoint: wrap(ins.command), ...(options.cmdSet ? {} : { Cmd: null }) };
    case 'ENV': {
      const env = [...(config.Env ?? [])];
      for (const { key, value } of ins.pairs) {
        if (key === '') fail(ins.at, 'ENV needs a name before = (write ENV NAME=VALUE)');
        const i = env.findIndex((e) => e.slice(0, e.indexOf('=') < 0 ? e.length : e.indexOf('=')) === key);
        if (i >= 0) env[i] = `${key}=${value}`;
        else env.push(`${key}=${value}`);
      }
      return { ...config, Env: env };
    }
    case 'LABEL': {
      const labels = { ...(config.Labels ?? {}) };
      for (const { key, value } of ins.pairs) {
        if (key === '') fail(ins.at, 'LABEL needs a name before = (write LABEL NAME=VALUE)');
        labels[key] = value;
      }
      return { ...config, Labels: labels };
    }
    case 'EXPOSE': {
      const ports: Record<string, unknown> = { ...(config.ExposedPorts ?? {}) };
      for (const spec of ins.ports) {
        const expanded = exposedPorts(spec);
        if (expanded === null) fail(ins.at, `invalid port "${spec}" in EXPOSE (write PORT, PORT/tcp|udp|sctp or a range like 8000-8010/tcp)`);
        for (const p of expanded) ports[p] = {};
      }
      return { ...config, ExposedPorts: ports };
    }
    case 'ONBUILD':
      return { ...config, OnBuild: [...(config.OnBuild ?? []), ins.trigger] };
    case 'USER':
      if (ins.value === '') fail(ins.at, 'USER needs a user (write USER name[:group] or USER uid[:gid])');
      return { ...config, User: ins.value };
    case 'VOLUME': {
      const volumes: Record<string, unknown> = { ...(config.Volumes ?? {}) };
      for (const p of ins.paths) {
        if (p === '') fail(ins.at, 'VOLUME paths cannot be empty (write VOLUME /path)');
        volumes[p] = {};
      }
      return { ...config, Volumes: volumes };
    }
    case 'WORKDIR':
      if (ins.value === '') fail(ins.at, 'WORKDIR needs a path (write WORKDIR /path)');
      // Relative to the previous one; cleaned, as Docker stores it.
      return { ...config, WorkingDir: path.posix.resolve('/', config.WorkingDir || '/', ins.value) };
    case 'STOPSIGNAL':
      if (!validSignal(ins.value)) fail(ins.at, `invalid signal "${ins.value}" in STOPSIGNAL (write a name like SIGTERM or a number)`);
      return { ...config, StopSignal: ins.value };
    case 'SHELL':
      return { ...config, Shell: [...ins.exec] };
    case 'HEALTHCHECK': {
      if (ins.none || ins.command === null) return { ...config, Healthcheck: { Test: ['NONE'] } };
      const test = 'exec' in ins.command ? ['CMD', ...ins.command.exec] : ['CMD-SHELL', ins.command.shell];
      const check: NonNullable<ContainerConfig['Healthcheck']> = { Test: test };
      const durations = [['interval', 'Interval'], ['timeout', 'Timeout'], ['start-period', 'StartPeriod'], ['start-interval', 'StartInterval']] as const;
      for (const [flag, field] of durations) {
        if (!(flag in ins.flags)) continue;
        const ns = goDuration(ins.flags[flag]);
        if (ns === null) fail(ins.at, `--${flag}=${ins.flags[flag]} is not a duration of at least 1ms (write e.g. --${flag}=30s)`);
        if (ns !== 0) check[field] = ns;
      }
      if ('retries' in ins.flags) {
        if (!/^\d+$/.test(ins.flags.retries)) fail(ins.at, `--retries=${ins.flags.retries} is not a whole number (write e.g. --retries=3)`);
        if (Number(ins.flags.retries) !== 0) check.Retries = Number(ins.flags.retries);
      }
      return { ...config, Healthcheck: check };
    }
    case 'MAINTAINER':
      return config;
    default:
      throw new TsrunError(`internal: ${ins.kind} is no metadata instruction (the builder runs it)`, { code: 'internal' });
  }
}

/** `config` after the instructions in order (a CMD among them keeps its value from a later ENTRYPOINT). */
export function applyInstructions(config: ContainerConfig, instructions: Instruction[], file?: string): ContainerConfig {
  let out = config;
  let cmdSet = false;
  for (const ins of instructions) {
    out = applyInstruction(out, ins, out.Shell ?? DEFAULT_SHELL, { cmdSet, file });
    if (ins.kind === 'CMD') cmdSet = true;
  }
  return out;
}

/**
 * `tsctl commit -c` values, each one instruction of Docker's commit set, parsed as a Dockerfile
 * line (errors name it "--change[i]"). Unexpanded: applyChanges expands them.
 */
export function parseChanges(lines: string[]): Instruction[] {
  return namedChanges(lines).map((c) => c.ins);
}

function namedChanges(lines: string[]): { ins: Instruction; file: string }[] {
  return lines.flatMap((line, i) => {
    const file = `--change[${i}]`;
    const parsed = parseInstructions(line, file);
    if (parsed.length === 0) throw new DockerfileError({ file, at: { line: 1, column: 1 }, message: 'empty change (give an instruction, e.g. CMD ["sh"])' });
    for (const ins of parsed) {
      if (!COMMIT_INSTRUCTIONS.includes(ins.kind)) {
        throw new DockerfileError({ file, at: ins.at, message: `${ins.kind} cannot be a commit change (commit takes ${COMMIT_INSTRUCTIONS.join(' ')})` });
      }
    }
    return parsed.map((ins) => ({ ins, file }));
  });
}

/**
 * `config` after `tsctl commit -c` values, each substituted with the Env in effect at it (the
 * image's, then what an earlier change set), as docker commit does; a CMD among them stays when
 * an ENTRYPOINT follows.
 */
export function applyChanges(config: ContainerConfig, lines: string[]): ContainerConfig {
  return commitChanges(lines)(config);
}

/** applyChanges in two steps: the changes parsed now (a bad one fails before anything is written), applied to a config later. */
export function commitChanges(lines: readonly string[]): (config: ContainerConfig) => ContainerConfig {
  const changes = namedChanges([...lines]);
  return (config) => {
    let out = config;
    let cmdSet = false;
    for (const { ins, file } of changes) {
      const expanded = expandInstruction(ins, expansionVariables(stageScope(out.Env)), { escape: '\\', file });
      out = applyInstruction(out, expanded, out.Shell ?? DEFAULT_SHELL, { cmdSet, file });
      if (ins.kind === 'CMD') cmdSet = true;
    }
    return out;
  };
}

/** "80" → ["80/tcp"], "8000-8002/udp" → three; null when it is no port spec (Docker's nat.ParsePortSpec, container side). */
export function exposedPorts(spec: string): string[] | null {
  const m = /^(\d+)(?:-(\d+))?(?:\/([A-Za-z]+))?$/.exec(spec);
  if (!m) return null;
  const proto = (m[3] ?? 'tcp').toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(proto)) return null;
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  if (start > 65535 || end > 65535 || end < start) return null;
  const out: string[] = [];
  for (let p = start; p <= end; p++) out.push(`${p}/${proto}`);
  return out;
}

const SIGNALS = new Set([
  'ABRT', 'ALRM', 'BUS', 'CHLD', 'CLD', 'CONT', 'FPE', 'HUP', 'ILL', 'INT', 'IO', 'IOT', 'KILL', 'PIPE', 'POLL', 'PROF', 'PWR', 'QUIT', 'SEGV', 'STKFLT',
  'STOP', 'SYS', 'TERM', 'TRAP', 'TSTP', 'TTIN', 'TTOU', 'UNUSED', 'URG', 'USR1', 'USR2', 'VTALRM', 'WINCH', 'XCPU', 'XFSZ', 'RTMIN', 'RTMAX',
]);

/** Docker's signal.ParseSignal: a number above 0, or a name (SIG prefix optional; RTMIN+n, RTMAX-n). */
function validSignal(value: string): boolean {
  if (/^\d+$/.test(value)) return Number(value) > 0;
  const name = value.toUpperCase().replace(/^SIG/, '');
  const rt = /^RT(MIN\+|MAX-)(\d+)$/.exec(name);
  if (rt) return Number(rt[2]) >= 1 && Number(rt[2]) <= (rt[1] === 'MIN+' ? 15 : 14);
  return SIGNALS.has(name);
}
