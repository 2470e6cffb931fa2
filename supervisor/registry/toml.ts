/**
 * The subset of TOML that containerd's hosts.toml files use: comments, [table] headers with bare
 * or quoted dotted keys, `key = value` with basic and literal strings, booleans, integers and
 * arrays of those (an array may span lines). Anything else (inline tables, arrays of tables,
 * dates, multi-line strings) is refused with file:line. Pure: text in, entries out.
 */
export type TomlValue = string | number | boolean | TomlValue[];

export interface TomlEntry {
  /** The enclosing table's key path ([] at the top). */
  table: string[];
  /** The key's own path within that table ("a.b" = ["a", "b"]). */
  key: string[];
  value: TomlValue;
  line: number;
}

export class TomlError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    why: string,
  ) {
    super(`${file}:${line}: ${why}`);
    this.name = 'TomlError';
  }
}

const BARE_KEY = /^[A-Za-z0-9_-]+/;
const ESCAPES: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', '\\': '\\' };

/** A cursor over one logical line (an array may have joined several). */
class Cursor {
  pos = 0;
  constructor(
    readonly text: string,
    readonly fail: (why: string) => never,
  ) {}

  skipSpace(): void {
    for (;;) {
      while (this.pos < this.text.length && /[ \t\n]/.test(this.text[this.pos])) this.pos++;
      if (this.text[this.pos] !== '#') return;
      while (this.pos < this.text.length && this.text[this.pos] !== '\n') this.pos++;
    }
  }

  atEnd(): boolean {
    this.skipSpace();
    return this.pos >= this.text.length;
  }

  peek(): string {
    return this.text[this.pos] ?? '';
  }

  expect(ch: string, what: string): void {
    this.skipSpace();
    if (this.text[this.pos] !== ch) this.fail(`expected ${JSON.stringify(ch)} ${what}, found ${this.found()}`);
    this.pos++;
  }

  found(): string {
    return this.pos >= this.text.length ? 'the end of the line' : JSON.stringify(this.text.slice(this.pos, this.pos + 20));
  }
}

function parseString(c: Cursor): string {
  const quote = c.peek();
  if (c.text.startsWith(quote.repeat(3), c.pos)) c.fail('multi-line strings are not supported here');
  c.pos++;
  let out = '';
  for (;;) {
    const ch = c.text[c.pos++];
    if (ch === undefined || ch === '\n') c.fail('a string is not closed on its line');
    if (ch === quote) return out;
    if (ch === '\\' && quote === '"') {
      const e = c.text[c.pos++];
      if (e in ESCAPES) out += ESCAPES[e];
      else if (e === 'u' || e === 'U') {
        const len = e === 'u' ? 4 : 8;
        const hex = c.text.slice(c.pos, c.pos + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) c.fail(`\\${e} needs ${len} hex digits`);
        out += String.fromCodePoint(parseInt(hex, 16));
        c.pos += len;
      } else c.fail(`unknown escape \\${e ?? ''} in a string`);
    } else out += ch;
  }
}

function parseKey(c: Cursor): string[] {
  const parts: string[] = [];
  for (;;) {
    c.skipSpace();
    const ch = c.peek();
    if (ch === '"' || ch === "'") parts.push(parseString(c));
    else {
      const m = BARE_KEY.exec(c.text.slice(c.pos));
      if (!m) c.fail(`expected a key, found ${c.found()}`);
      parts.push(m[0]);
      c.pos += m[0].length;
    }
    c.skipSpace();
    if (c.peek() !== '.') return parts;
    c.pos++;
  }
}

function parseValue(c: Cursor): TomlValue {
  c.skipSpace();
  const ch = c.peek();
  if (ch === '"' || ch === "'") return parseString(c);
  if (ch === '[') {
    c.pos++;
    const items: TomlValue[] = [];
    for (;;) {
      c.skipSpace();
      if (c.peek() === ']') break;
      items.push(parseValue(c));
      c.skipSpace();
      if (c.peek() === ',') c.pos++;
      else if (c.peek() !== ']') c.fail(`expected "," or "]" in an array, found ${c.found()}`);
    }
    c.pos++;
    return items;
  }
  if (ch === '{') c.fail('inline tables are not supported here: write a [table] instead');
  const m = /^[^\s,\]#]+/.exec(c.text.slice(c.pos));
  const word = m?.[0] ?? '';
  c.pos += word.length;
  if (word === 'true' || word === 'false') return word === 'true';
  if (/^[+-]?(0|[1-9](_?[0-9])*)$/.test(word)) return Number(word.replace(/_/g, ''));
  return c.fail(word === '' ? `expected a value, found ${c.found()}` : `${JSON.stringify(word)} is not a string, boolean, integer or array (strings are quoted)`);
}

/** Brackets still open after `text`, outside strings and comments (an array continues on the next line). */
function openBrackets(text: string): number {
  let depth = 0;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '#') {
      const end = text.indexOf('\n', i);
      if (end < 0) break;
      i = end;
    } else if (ch === '[') depth++;
    else if (ch === ']') depth--;
  }
  return depth;
}

/** The key/value entries, and every [table] header (a table may hold no key). */
export function parseToml(text: string, file: string): { entries: TomlEntry[]; tables: { table: string[]; line: number }[] } {
  const lines = text.split(/\r?\n/);
  const entries: TomlEntry[] = [];
  const headers: { table: string[]; line: number }[] = [];
  const seen = new Set<string>();
  const tables = new Set<string>();
  let table: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const first = i + 1;
    const fail = (why: string): never => {
      throw new TomlError(file, first, why);
    };
    const trimmed = lines[i].trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (trimmed.startsWith('[[')) fail('arrays of tables ([[...]]) are not supported here');
    if (trimmed.startsWith('[')) {
      const c = new Cursor(trimmed, fail);
      c.pos = 1;
      table = parseKey(c);
      c.expect(']', 'to close the table header');
      if (!c.atEnd()) fail(`unexpected ${c.found()} after the table header`);
      const name = JSON.stringify(table);
      if (tables.has(name)) fail(`table [${table.join('.')}] is defined twice`);
      tables.add(name);
      headers.push({ table, line: first });
      continue;
    }
    let logical = lines[i];
    let depth = openBrackets(logical.slice(logical.indexOf('=') + 1));
    while (depth > 0 && i + 1 < lines.length) {
      logical += `\n${lines[++i]}`;
      depth = openBrackets(logical.slice(logical.indexOf('=') + 1));
    }
    const c = new Cursor(logical, fail);
    const key = parseKey(c);
    c.expect('=', `after the key ${key.join('.')}`);
    const value = parseValue(c);
    if (!c.atEnd()) fail(`unexpected ${c.found()} after the value of ${key.join('.')}`);
    const full = JSON.stringify([...table, ...key]);
    if (seen.has(full)) fail(`${[...table, ...key].join('.')} is set twice`);
    seen.add(full);
    entries.push({ table, key, value, line: first });
  }
  return { entries, tables: headers };
}
