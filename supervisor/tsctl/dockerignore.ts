/**
 * `.dockerignore`, read and matched as Docker's client does it (moby/patternmatcher and its
 * ignorefile reader), so that `tsctl build` sends the files `docker build` sends. Pure.
 *
 * Reading: a line starting with `#` is a comment (only in the first column); lines are trimmed,
 * blank ones skipped; `!` makes an exception; each pattern is cleaned as a path (`./a/` is `a`,
 * `a//b/../c` is `a/c`) and a leading `/` dropped. Matching: `*` is any run of characters but
 * `/`, `?` one of them, `[...]` a class, `\` escapes the next character, `**` any number of
 * directories (none too); a pattern that matches a parent directory matches everything under it;
 * the patterns are applied in order, the last that matches decides (`!` re-includes).
 */
import * as path from 'path';
import { TsrunError } from '../../common/errors';

type MatchType = 'exact' | 'prefix' | 'suffix' | 'regexp';

interface Pattern {
  text: string;
  exclusion: boolean;
  type: MatchType;
  regexp: RegExp | null;
}

/** Go's filepath.Clean for slash paths. */
function clean(p: string): string {
  if (p === '') return '.';
  const n = path.posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** The patterns of a .dockerignore text (ignorefile.ReadAll's rules). */
export function parseDockerignore(text: string): string[] {
  const out: string[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split('\n')
    .forEach((raw) => {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line.startsWith('#')) return;
      let p = line.trim();
      if (p === '') return;
      const invert = p.startsWith('!');
      if (invert) p = p.slice(1).trim();
      if (p !== '') {
        p = clean(p);
        if (p.length > 1 && p.startsWith('/')) p = p.slice(1);
      }
      out.push(invert ? `!${p}` : p);
    });
  return out;
}

/** The regexp source of a pattern and how it matches (patternmatcher's compile). */
function compile(text: string): { type: MatchType; source: string } {
  let source = '^';
  let type: MatchType = 'exact';
  const chars = [...text];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === '*' && chars[i + 1] === '*') {
      const atStart = i === 0;
      i++;
      if (chars[i + 1] === '/') i++;
      if (i + 1 >= chars.length) {
        if (type === 'exact') type = 'prefix';
        else {
          source += '.*';
          type = 'regexp';
        }
      } else {
        source += '(.*/)?';
        type = 'regexp';
      }
      if (atStart) type = 'suffix';
    } else if (c === '*') {
      source += '[^/]*';
      type = 'regexp';
    } else if (c === '?') {
      source += '[^/]';
      type = 'regexp';
    } else if ('.+()|{}$'.includes(c)) {
      source += `\\${c}`;
    } else if (c === '\\') {
      if (i + 1 < chars.length) {
        const next = chars[++i];
        // The next character literally, by its code point (so also inside a class).
        source += /[\p{L}\p{N}]/u.test(next) ? next : `\\u{${(next.codePointAt(0) as number).toString(16)}}`;
        type = 'regexp';
      } else source += '\\\\';
    } else if (c === '[' || c === ']') {
      source += c;
      type = 'regexp';
    } else source += c;
  }
  return { type, source: `${source}$` };
}

function matches(p: Pattern, file: string): boolean {
  switch (p.type) {
    case 'exact':
      return file === p.text;
    case 'prefix':
      return file.startsWith(p.text.slice(0, -2));
    case 'suffix': {
      const suffix = p.text.slice(2);
      return file.endsWith(suffix) || (suffix.startsWith('/') && file === suffix.slice(1));
    }
    case 'regexp':
      return (p.regexp as RegExp).test(file);
  }
}

export interface IgnoreMatcher {
  /** Whether `relPath` (slash-separated, relative to the context) is left out of the context. */
  ignores(relPath: string): boolean;
  /**
   * Whether an ignored directory can be left unread: no exception pattern could re-include
   * something under it (Docker's test: an exception that starts with the directory's path).
   */
  skipsDir(relDir: string): boolean;
}

/** A matcher of the patterns (parseDockerignore's); `source` names them in errors (".dockerignore"). */
export function ignoreMatcher(patterns: readonly string[], source = '.dockerignore'): IgnoreMatcher {
  const compiled: Pattern[] = [];
  for (const raw of patterns) {
    let text = raw.trim();
    if (text === '') continue;
    text = clean(text);
    const exclusion = text.startsWith('!');
    if (exclusion) {
      if (text.length === 1) throw new TsrunError(`${source}: "!" alone is no pattern (write !PATH to re-include PATH)`, { code: 'invalid-argument', subject: source });
      text = text.slice(1);
    }
    const { type, source: re } = compile(text);
    let regexp: RegExp | null = null;
    try {
      regexp = new RegExp(re, 'u');
    } catch {
      throw new TsrunError(`${source}: bad pattern ${JSON.stringify(raw)} (close every [ and escape a literal [ with \\)`, { code: 'invalid-argument', subject: source });
    }
    compiled.push({ text, exclusion, type, regexp: type === 'regexp' ? regexp : null });
  }
  const exceptions = compiled.filter((p) => p.exclusion);
  return {
    ignores(relPath: string): boolean {
      const file = clean(relPath);
      if (file === '.') return false;
      const parent = path.posix.dirname(file);
      const parentDirs = parent.split('/');
      let matched = false;
      for (const p of compiled) {
        if (p.exclusion !== matched) continue;
        let m = matches(p, file);
        if (!m && parent !== '.') {
          for (let i = 0; i < parentDirs.length && !m; i++) m = matches(p, parentDirs.slice(0, i + 1).join('/'));
        }
        if (m) matched = !p.exclusion;
      }
      return matched;
    },
    skipsDir(relDir: string): boolean {
      const dirSlash = `${clean(relDir)}/`;
      return !exceptions.some((p) => `${p.text}/`.startsWith(dirSlash));
    },
  };
}

/**
 * The patterns with exceptions for the Dockerfile and .dockerignore when they match (Docker's
 * client sends both even when ignored: the builder needs them).
 */
export function keepBuildFiles(patterns: readonly string[], dockerfile: string | null): string[] {
  const out = [...patterns];
  const m = ignoreMatcher(patterns);
  if (m.ignores('.dockerignore')) out.push('!.dockerignore');
  if (dockerfile !== null && m.ignores(dockerfile)) out.push(`!${dockerfile}`);
  return out;
}
