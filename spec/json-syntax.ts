/**
 * Parses JSON text, and when it is not valid JSON says where (line and column, from 1) and why.
 * V8's own messages carry a position only for some errors, so the location comes from a small
 * RFC 8259 scanner that runs only after JSON.parse has failed.
 */
import { TsrunError } from '../common/errors';

export class JsonSyntaxError extends TsrunError {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`invalid JSON at line ${line}, column ${column}: ${reason}`, { code: 'invalid-argument', subject: `line ${line}, column ${column}` });
    this.name = 'JsonSyntaxError';
  }
}

/**
 * Arrays and objects a document may nest: a config needs 6 or so. Deeper ones are refused before
 * any recursive code (the schema validator, JSON.stringify of the state) can overflow the stack.
 */
export const MAX_NESTING = 100;

export function parseJson(text: string): unknown {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const { offset, reason } = locateSyntaxError(text) ?? { offset: 0, reason: (err as Error).message };
    throw syntaxErrorAt(text, offset, reason);
  }
  const tooDeep = nestingBeyond(text, MAX_NESTING);
  if (tooDeep !== null) throw syntaxErrorAt(text, tooDeep, `arrays and objects nested more than ${MAX_NESTING} levels deep`);
  return doc;
}

function syntaxErrorAt(text: string, offset: number, reason: string): JsonSyntaxError {
  const before = text.slice(0, offset).split('\n');
  return new JsonSyntaxError(before.length, before[before.length - 1].length + 1, reason);
}

/** The offset of the first bracket nested deeper than `max` in valid JSON `text`, or null. */
function nestingBeyond(text: string, max: number): number | null {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return null;
}

interface SyntaxProblem {
  offset: number;
  reason: string;
}

class Stop {
  constructor(readonly problem: SyntaxProblem) {}
}

/** The first syntax error in `text`, or null when it is valid JSON. */
export function locateSyntaxError(text: string): SyntaxProblem | null {
  let i = 0;
  const fail = (reason: string, at = i): never => {
    throw new Stop({ offset: at, reason });
  };
  const unexpected = (): never =>
    i >= text.length ? fail('unexpected end of input') : fail(`unexpected ${JSON.stringify(text[i])}`);
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail(`expected "${word}"`);
  };
  const digits = () => {
    if (!/[0-9]/.test(text[i] ?? '')) unexpected();
    while (/[0-9]/.test(text[i] ?? '')) i++;
  };
  const number = () => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else digits();
    if (text[i] === '.') {
      i++;
      digits();
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      digits();
    }
  };
  const string = () => {
    const start = i;
    i++;
    for (;;) {
      if (i >= text.length) fail('unterminated string', start);
      const c = text[i];
      if (c === '"') break;
      if (c < ' ') fail(`control character ${JSON.stringify(c)} in a string (escape it)`);
      if (c === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail('invalid \\u escape');
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) fail(`invalid escape "\\${text[i] ?? ''}"`);
      }
      i++;
    }
    i++;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') return members('}', true);
    if (c === '[') return members(']', false);
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    if (c === '-' || /[0-9]/.test(c ?? '')) return number();
    unexpected();
  };
  const members = (close: string, keyed: boolean): void => {
    i++;
    ws();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      if (keyed) {
        ws();
        if (text[i] !== '"')
          fail(
            i >= text.length
              ? 'unexpected end of input'
              : `expected a property name in double quotes, found ${JSON.stringify(text[i])}`,
          );
        string();
        ws();
        if (text[i] !== ':')
          fail(
            i >= text.length
              ? 'unexpected end of input'
              : `expected ":" after the property name, found ${JSON.stringify(text[i])}`,
          );
        i++;
      }
      value();
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === close) {
        i++;
        return;
      }
      fail(
        i >= text.length ? 'unexpected end of input' : `expected "," or "${close}", found ${JSON.stringify(text[i])}`,
      );
    }
  };
  try {
    value();
    ws();
    if (i < text.length) fail(`unexpected ${JSON.stringify(text[i])} after the JSON value`);
    return null;
  } catch (err) {
    if (err instanceof Stop) return err.problem;
    throw err;
  }
}
