/**
 * docker's process run flags for `tsctl run` / `create`: -e/--env, --env-file, -w/--workdir,
 * -u/--user, --entrypoint, -l/--label, --label-file, --read-only, --rm, and the image's --pull
 * and --platform. Pure but for reading the files the flags name (tsctl's own files) and tsctl's
 * environment for `-e NAME`; tsrund checks the values themselves (names, paths, users).
 */
import * as fs from 'fs';
import type { FlagSpec, FlagValues } from '../../runtime/cli/args';
import { fsErrorText, TsrunError } from '../../common/errors';
import type { ProcessOverrides } from '../api/types';
import { labelsOf } from './command';

export type ProcessFlagOverrides = Pick<ProcessOverrides, 'env' | 'cwd' | 'user' | 'entrypoint' | 'readOnly' | 'autoRemove'>;

export const PULL_POLICIES = ['always', 'missing', 'never'] as const;
export type PullPolicy = (typeof PULL_POLICIES)[number];

export const PROCESS_RUN_FLAGS: FlagSpec[] = [
  { name: 'env', short: 'e', kind: 'list', usage: "NAME=VALUE, or NAME: tsctl's own value (left out when unset) (repeatable)" },
  { name: 'env-file', kind: 'list', usage: 'a file of NAME=VALUE or NAME lines (# comments) (repeatable)' },
  { name: 'workdir', short: 'w', kind: 'string', usage: 'the working directory in the container' },
  { name: 'user', short: 'u', kind: 'string', usage: "USER[:GROUP], names or ids (names from the image's /etc/passwd and /etc/group)" },
  { name: 'entrypoint', kind: 'string', usage: "replace the image's Entrypoint (and its Cmd: the arguments after the image are the rest); '' clears it" },
  { name: 'label', short: 'l', kind: 'list', usage: 'KEY=VALUE label of the container (repeatable)' },
  { name: 'label-file', kind: 'list', usage: 'a file of KEY=VALUE lines (# comments) (repeatable)' },
  { name: 'read-only', kind: 'bool', usage: "mount the container's root filesystem read-only (mounts, volumes, /dev, /dev/shm stay as they are)", default: false },
  { name: 'rm', kind: 'bool', usage: 'tsrund removes the container (and its anonymous volumes) once it exits', default: false },
  { name: 'pull', kind: 'string', usage: 'always, missing (pull the image when it is not here) or never', default: 'missing' },
  { name: 'platform', kind: 'string', usage: "os/architecture[/variant] of the image (default: tsrund's)", default: '' },
];

const list = (f: FlagValues, name: string) => (f[name] as string[] | undefined) ?? [];

/**
 * The lines of a docker env or label file: "NAME=VALUE" kept as it is, "NAME" alone given to
 * `bare`; blank lines and "#" comments skipped. A bad line is an error naming FILE:LINE.
 */
export function readKeyValueFile(flag: string, file: string, text: string, bare: (name: string) => string | null): string[] {
  const entries: string[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((raw, i) => {
      const line = raw.trimStart();
      if (line === '' || line.startsWith('#')) return;
      const eq = line.indexOf('=');
      const name = eq < 0 ? line : line.slice(0, eq);
      const bad = (why: string) => new TsrunError(`${flag} ${file}:${i + 1}: ${why}`, { code: 'invalid-argument', subject: flag });
      if (name === '') throw bad(`${JSON.stringify(line.slice(0, 80))} has no name before "="`);
      if (/\s/.test(name)) throw bad(`the name ${JSON.stringify(name.slice(0, 80))} has white space in it`);
      if (eq >= 0) entries.push(line);
      else {
        const entry = bare(name);
        if (entry !== null) entries.push(entry);
      }
    });
  return entries;
}

function readFlagFile(flag: string, file: string, readFile: (file: string) => string): string {
  try {
    return readFile(file);
  } catch (err) {
    throw new TsrunError(`${flag} ${fsErrorText(err) ?? `${file}: ${(err as Error).message}`}`, { code: 'invalid-argument', subject: flag });
  }
}

/** "NAME" alone: NAME=its value in tsctl's environment, or nothing when it has none (as docker). */
const fromEnvironment = (env: NodeJS.ProcessEnv) => (name: string) => (env[name] === undefined ? null : `${name}=${env[name]}`);

export interface ProcessFlagSources {
  /** tsctl's environment, for `-e NAME` and NAME lines of --env-file. */
  env?: NodeJS.ProcessEnv;
  readFile?: (file: string) => string;
}

export function processOverrides(f: FlagValues, o: ProcessFlagSources = {}): ProcessFlagOverrides {
  const readFile = o.readFile ?? ((file: string) => fs.readFileSync(file, 'utf8'));
  const bare = fromEnvironment(o.env ?? process.env);
  // As docker: the files' entries first, the flags' after them (a later entry wins in tsrund).
  const env = [
    ...list(f, 'env-file').flatMap((file) => readKeyValueFile('--env-file', file, readFlagFile('--env-file', file, readFile), bare)),
    ...list(f, 'env').flatMap((e) => {
      if (e.startsWith('=') || e === '') throw new TsrunError(`--env ${JSON.stringify(e.slice(0, 80))}: give NAME=VALUE or NAME`, { code: 'invalid-argument', subject: '--env' });
      const entry = e.includes('=') ? e : bare(e);
      return entry === null ? [] : [entry];
    }),
  ];
  const entrypoint = f.entrypoint as string | undefined;
  return {
    env,
    cwd: (f.workdir as string | undefined) ?? '',
    user: (f.user as string | undefined) ?? '',
    // [""]: the image's Entrypoint cleared (docker's `--entrypoint ''`).
    entrypoint: entrypoint === undefined ? [] : [entrypoint],
    readOnly: f['read-only'] === true,
    autoRemove: f.rm === true,
  };
}

/** The container's labels: --label-file's, then --label's (a later one wins). */
export function containerLabels(f: FlagValues, readFile: (file: string) => string = (file) => fs.readFileSync(file, 'utf8')): Record<string, string> {
  const fromFiles = list(f, 'label-file').flatMap((file) => readKeyValueFile('--label-file', file, readFlagFile('--label-file', file, readFile), (name) => `${name}=`));
  return labelsOf({ label: [...fromFiles, ...list(f, 'label').map((l) => (l.includes('=') ? l : `${l}=`))] });
}

export interface PullOptions {
  pull: PullPolicy;
  /** "" for tsrund's own platform. */
  platform: string;
}

export function pullOptions(f: FlagValues): PullOptions {
  const pull = (f.pull as string | undefined) ?? 'missing';
  if (!(PULL_POLICIES as readonly string[]).includes(pull)) {
    throw new TsrunError(`--pull ${JSON.stringify(pull.slice(0, 80))}: give always, missing or never`, { code: 'invalid-argument', subject: '--pull' });
  }
  const platform = (f.platform as string | undefined) ?? '';
  if (platform !== '' && !/^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/i.test(platform)) {
    throw new TsrunError(`--platform ${JSON.stringify(platform.slice(0, 80))}: give os/architecture[/variant], as linux/amd64`, { code: 'invalid-argument', subject: '--platform' });
  }
  return { pull: pull as PullPolicy, platform };
}
