/**
 * The two failures of the CNI library, each a one-line message: a configuration that is wrong
 * (CniConfigError, before any plugin runs) and a plugin that failed or answered nonsense
 * (CniPluginError). Plugin output is untrusted: `oneLine` and `show` keep it to one short line.
 */

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION' | 'GC';

/** "<source>: <json path>: <what is wrong>" */
export class CniConfigError extends Error {
  constructor(source: string, jsonPath: string, problem: string) {
    super(`${oneLine(source)}: ${jsonPath || '(top)'}: ${oneLine(problem)}`);
    this.name = 'CniConfigError';
  }
}

/** "CNI plugin <type> (<COMMAND> on network <name>): <msg>[: <details>]" */
export class CniPluginError extends Error {
  readonly msg: string;
  readonly details: string;

  constructor(
    readonly plugin: string,
    readonly command: CniCommand,
    readonly network: string,
    /** The plugin's error code; 0 when the plugin gave none (it crashed, timed out, was not found). */
    readonly code: number,
    msg: string,
    details = '',
  ) {
    const m = oneLine(msg) || 'failed without a message';
    const d = oneLine(details);
    const where = network ? `${command} on network ${network}` : command;
    // No plugin: a failure of the runtime's own (no cached result to CHECK against).
    super(`CNI ${plugin ? `plugin ${oneLine(plugin)} ` : ''}(${where}): ${m}${d ? `: ${d}` : ''}`);
    this.name = 'CniPluginError';
    this.msg = m;
    this.details = d;
  }
}

const MAX_TEXT = 400;

/** Text from outside (a plugin's message, stderr) as one line of printable characters, cut short. */
export function oneLine(text: string): string {
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
  return flat.length > MAX_TEXT ? `${flat.slice(0, MAX_TEXT)}…` : flat;
}

/** `at` and then `key` as a JSON path: ".key", or ["key"] (quoted, escaped) when it is not a plain name. */
export function keyPath(at: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/.test(key) ? `${at}.${key}` : `${at}[${show(key)}]`;
}

/** A JSON value for an error message: quoted and escaped, cut short. */
export function show(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
