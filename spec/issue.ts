/**
 * One problem found in a config.json or state document, and how paths into such a document are
 * written: dotted names and [indexes], e.g. `linux.namespaces[2].type` or
 * `linux.sysctl["net.ipv4.ip_forward"]`.
 */

export interface ConfigIssue {
  /** Where, in dotted/indexed form; `(root)` for the document itself. */
  path: string;
  /** The rule broken, one line, e.g. `must be an absolute path (got "proc")`. */
  message: string;
}

export type PathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENTIFIER.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out || '(root)';
}

export function issue(segments: readonly PathSegment[], message: string): ConfigIssue {
  return { path: formatPath(segments), message };
}

/** `path: message`, the one-line form users see. */
export function formatIssue({ path, message }: ConfigIssue): string {
  return `${path}: ${message}`;
}

/** A value as quoted in a message: short, and JSON so that strings show their quotes. */
export function showValue(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? '[]' : `an array of ${value.length}`;
  if (value !== null && typeof value === 'object') return Object.keys(value).length === 0 ? '{}' : 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
