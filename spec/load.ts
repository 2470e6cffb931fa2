/**
 * Reads and validates the config.json of an OCI bundle.
 */
import * as fs from 'fs';
import * as path from 'path';
import { TsrunError } from '../common/errors';
import { type ConfigIssue, formatIssue } from './issue';
import { JsonSyntaxError, parseJson } from './json-syntax';
import { type Spec } from './types';
import { validateConfig } from './validate';

/**
 * A bundle that cannot be used. `issues` are all the problems found; the message is one line for
 * one issue, otherwise a first line and one indented line per issue, up to MAX_RENDERED_ISSUES.
 * Issues about the config's content carry JSON paths and `file` names the config.json; issues
 * about the bundle or the file itself carry the file system path.
 */
export class ConfigError extends TsrunError {
  constructor(
    readonly issues: ConfigIssue[],
    readonly file?: string,
  ) {
    super(renderIssues(issues, file), { code: 'invalid-argument', subject: file ?? issues[0]?.path });
    this.name = 'ConfigError';
  }
}

/**
 * Issues listed in a message; the rest are counted. Callers read the message through small
 * buffers (conmon keeps about 1 KiB of a runtime's error), and a config gone wrong in one place
 * (a host's 100 devices, say) can break a rule a hundred times.
 */
export const MAX_RENDERED_ISSUES = 5;

function renderIssues(issues: ConfigIssue[], file: string | undefined): string {
  const where = file ? `${file}: ` : '';
  if (issues.length === 1) return where + formatIssue(issues[0]);
  const shown = issues.slice(0, MAX_RENDERED_ISSUES).map((i) => `  ${formatIssue(i)}`);
  const more = issues.length - shown.length;
  return [`${where}${issues.length} problems:`, ...shown, ...(more > 0 ? [`  and ${more} more`] : [])].join('\n');
}

function fileError(file: string, message: string): ConfigError {
  return new ConfigError([{ path: file, message }]);
}

const errnoOf = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? 'EIO';

export interface LoadedBundle {
  spec: Spec;
  /** Absolute path of the bundle directory. */
  bundle: string;
}

export function loadBundleConfig(bundleDir: string): LoadedBundle {
  const bundle = path.resolve(bundleDir);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(bundle);
  } catch (err) {
    const errno = errnoOf(err);
    throw fileError(
      bundle,
      errno === 'ENOENT'
        ? `bundle directory does not exist (${errno})`
        : `cannot access the bundle directory (${errno})`,
    );
  }
  if (!stat.isDirectory()) throw fileError(bundle, 'bundle is not a directory (ENOTDIR)');

  const file = path.join(bundle, 'config.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const errno = errnoOf(err);
    throw fileError(file, errno === 'ENOENT' ? `the bundle has no config.json (${errno})` : `cannot read (${errno})`);
  }

  let doc: unknown;
  try {
    doc = parseJson(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw fileError(file, err.message);
    throw err;
  }

  const issues = validateConfig(doc);
  if (issues.length > 0) throw new ConfigError(issues, file);
  return { spec: doc as Spec, bundle };
}
