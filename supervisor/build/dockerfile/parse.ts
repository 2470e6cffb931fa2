/**
 * The Dockerfile parser: text → ./types.ts's Dockerfile, as the Dockerfile reference (and BuildKit's
 * parser, which Docker and buildah follow) reads it: parser directives at the very top, whole-line
 * comments, line continuations with the escape character, instruction names in any case, flags,
 * the shell and JSON forms. Words stay unexpanded (./expand.ts substitutes them, step by step).
 * Pure: every refusal is a DockerfileError naming the file, line and column.
 */
import { TsrunError } from '../../shared/errors';
import type { CommandForm, Dockerfile, DockerfileErrorDetail, Instruction, InstructionFlags, InstructionKind, SourcePosition, Stage } from './types';

export class DockerfileError extends TsrunError {
  readonly detail: DockerfileErrorDetail;

  constructor(detail: DockerfileErrorDetail) {
    const where = `${detail.file}:${detail.at.line}:${detail.at.column}`;
    super(`${where}: ${detail.message}`, { code: 'invalid-argument', subject: where });
    this.name = 'DockerfileError';
    this.detail = detail;
  }
}

export const INSTRUCTION_KINDS: readonly InstructionKind[] = [
  'FROM', 'ARG', 'ENV', 'LABEL', 'RUN', 'CMD', 'ENTRYPOINT', 'SHELL', 'COPY', 'ADD', 'WORKDIR', 'USER', 'STOPSIGNAL', 'EXPOSE', 'VOLUME',
  'HEALTHCHECK', 'ONBUILD', 'MAINTAINER',
];

/**
 * The flags each instruction takes: 'string' needs `=value`, 'bool' may have one (true/false).
 * RUN --mount/--security and COPY --parents/--exclude are left out: the builder has no way to
 * honour them, so they are refused rather than silently dropped.
 */
const FLAGS: Partial<Record<InstructionKind, Record<string, 'string' | 'bool'>>> = {
  FROM: { platform: 'string' },
  RUN: { network: 'string' },
  COPY: { from: 'string', chown: 'string', chmod: 'string', link: 'bool' },
  ADD: { chown: 'string', chmod: 'string', link: 'bool', checksum: 'string', 'keep-git-dir': 'bool' },
  HEALTHCHECK: { interval: 'string', timeout: 'string', 'start-period': 'string', 'start-interval': 'string', retries: 'string' },
};

const KNOWN_DIRECTIVES = new Set(['syntax', 'escape', 'check']);
const DIRECTIVE = /^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.*?)[ \t]*$/;
const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;
const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\v' || c === '\f';

/** One logical line (continuations joined) with the source position of each character. */
class Line {
  constructor(
    readonly text: string,
    private readonly pos: SourcePosition[],
    private readonly end: SourcePosition,
  ) {}

  at(i: number): SourcePosition {
    return i < this.pos.length ? this.pos[i] : this.end;
  }

  slice(start: number, end = this.text.length): Line {
    return new Line(this.text.slice(start, end), this.pos.slice(start, end), this.at(end));
  }

  /** Without leading and trailing white space. */
  trim(): Line {
    let s = 0;
    let e = this.text.length;
    while (s < e && isSpace(this.text[s])) s++;
    while (e > s && isSpace(this.text[e - 1])) e--;
    return new Line(this.text.slice(s, e), this.pos.slice(s, e), this.at(s === e ? s : e));
  }
}

interface Word {
  text: string;
  start: number;
}

class Parser {
  constructor(
    readonly file: string,
    readonly escape: string,
  ) {}

  fail(at: SourcePosition, message: string): never {
    throw new DockerfileError({ file: this.file, at, message });
  }

  /** One logical line: `INSTRUCTION [--flag=value ...] arguments`. */
  instruction(line: Line): Instruction {
    const text = line.text;
    let nameEnd = 0;
    while (nameEnd < text.length && !isSpace(text[nameEnd])) nameEnd++;
    const written = text.slice(0, nameEnd);
    const kind = written.toUpperCase() as InstructionKind;
    const at = line.at(0);
    if (!INSTRUCTION_KINDS.includes(kind)) {
      const near = nearest(kind, INSTRUCTION_KINDS);
      this.fail(at, `unknown instruction: ${written} (${near ? `did you mean ${near}?` : `the instructions are ${INSTRUCTION_KINDS.join(' ')}`})`);
    }
    let restStart = nameEnd;
    while (restStart < text.length && isSpace(text[restStart])) restStart++;
    const { flags, argsStart } = this.flags(kind, line, restStart);
    const rest = line.slice(argsStart).trim();
    if (rest.text === '') {
      this.fail(line.at(text.length), `${kind} needs arguments (see the Dockerfile reference for ${kind}'s form)`);
    }
    switch (kind) {
      case 'FROM': {
        const words = splitWhitespace(rest.text);
        if (words.length !== 1 && words.length !== 3) {
          this.fail(rest.at(0), 'FROM takes an image and an optional stage name (write FROM image [AS name])');
        }
        let stageName: string | null = null;
        if (words.length === 3) {
          if (words[1].text.toLowerCase() !== 'as') this.fail(rest.at(words[1].start), `expected AS after the image, not ${words[1].text} (write FROM image AS name)`);
          stageName = words[2].text.toLowerCase();
          if (!STAGE_NAME.test(stageName)) {
            this.fail(rest.at(words[2].start), `invalid stage name "${words[2].text}" (start it with a letter; letters, digits, '-', '_' and '.' only)`);
          }
        }
        return { kind, image: words[0].text, stageName, flags, at };
      }
      case 'ARG': {
        const words = parseWords(rest.text, this.escape);
        if (words.length === 0) this.fail(rest.at(0), 'ARG needs a name (write ARG NAME or ARG NAME=default)');
        const args = words.map((w) => {
          const eq = w.text.indexOf('=');
          const name = eq < 0 ? w.text : w.text.slice(0, eq);
          if (name === '') this.fail(rest.at(w.start), 'ARG needs a name before = (write ARG NAME or ARG NAME=default)');
          return { name, default: eq < 0 ? null : w.text.slice(eq + 1) };
        });
        return { kind, args, at };
      }
      case 'ENV':
      case 'LABEL':
        return { kind, pairs: this.pairs(kind, rest), at };
      case 'RUN':
        return { kind, command: this.command(kind, rest), flags, at };
      case 'CMD':
      case 'ENTRYPOINT':
        return { kind, command: this.command(kind, rest), at };
      case 'SHELL': {
        const json = parseJSONArray(rest.text);
        if (json === 'not-strings') this.fail(rest.at(0), 'SHELL takes a JSON array of strings (write SHELL ["/bin/sh", "-c"])');
        if (json === 'not-json') this.fail(rest.at(0), 'SHELL takes the JSON form only (write SHELL ["executable", "parameters"])');
        if (json.length === 0) this.fail(rest.at(0), 'SHELL needs at least the shell executable (write SHELL ["/bin/sh", "-c"])');
        return { kind, exec: json, at };
      }
      case 'COPY':
      case 'ADD': {
        const items = this.list(kind, rest);
        if (items.length < 2) this.fail(rest.at(0), `${kind} needs at least one source and a destination (write ${kind} SOURCE... DEST)`);
        return { kind, sources: items.slice(0, -1), dest: items[items.length - 1], flags, at };
      }
      case 'WORKDIR':
      case 'USER':
      case 'STOPSIGNAL':
      case 'MAINTAINER':
        return { kind, value: rest.text, at };
      case 'EXPOSE':
        return { kind, ports: splitWhitespace(rest.text).map((w) => w.text), at };
      case 'VOLUME': {
        const paths = this.list(kind, rest);
        if (paths.length === 0 || paths.includes('')) this.fail(rest.at(0), 'VOLUME paths cannot be empty (write VOLUME /path or VOLUME ["/path"])');
        return { kind, paths, at };
      }
      case 'HEALTHCHECK':
        return this.healthcheck(rest, flags, at);
      case 'ONBUILD': {
        const trigger = this.instruction(rest);
        if (trigger.kind === 'ONBUILD' || trigger.kind === 'FROM' || trigger.kind === 'MAINTAINER') {
          this.fail(rest.at(0), `${trigger.kind} is not allowed as an ONBUILD trigger (ONBUILD takes any other instruction)`);
        }
        return { kind, trigger: rest.text, at };
      }
    }
    throw new TsrunError(`internal: no parser for ${kind as string}`, { code: 'internal' });
  }

  /** Leading `--name[=value]` words (BuildKit's extractBuilderFlags: quotes and `\` work in them; a lone `--` ends them). */
  private flags(kind: InstructionKind, line: Line, from: number): { flags: InstructionFlags; argsStart: number } {
    const text = line.text;
    const flags: InstructionFlags = {};
    let i = from;
    for (;;) {
      while (i < text.length && isSpace(text[i])) i++;
      if (!(text[i] === '-' && text[i + 1] === '-')) return { flags, argsStart: i };
      const start = i;
      let word = '';
      let quote = '';
      for (; i < text.length; i++) {
        const c = text[i];
        if (quote === '' && isSpace(c)) break;
        if (quote === '' && (c === '"' || c === "'")) quote = c;
        else if (quote !== '' && c === quote) quote = '';
        else if (c === '\\' && i + 1 < text.length) word += text[++i];
        else if (c !== '\\') word += c;
      }
      if (word === '--') return { flags, argsStart: i };
      const eq = word.indexOf('=');
      const name = (eq < 0 ? word : word.slice(0, eq)).slice(2);
      const type = FLAGS[kind]?.[name];
      const shown = `--${name}`;
      if (type === undefined) {
        const known = Object.keys(FLAGS[kind] ?? {}).map((f) => `--${f}`);
        this.fail(line.at(start), `unknown flag: ${shown} (${known.length > 0 ? `${kind} takes ${known.join(' ')}` : `${kind} takes no flags`})`);
      }
      if (name in flags) this.fail(line.at(start), `flag ${shown} given twice (give it once)`);
      if (type === 'string') {
        if (eq < 0) this.fail(line.at(start), `flag ${shown} needs a value (write ${shown}=VALUE)`);
        flags[name] = word.slice(eq + 1);
      } else {
        const value = eq < 0 ? 'true' : word.slice(eq + 1).toLowerCase();
        if (value !== 'true' && value !== 'false') this.fail(line.at(start), `flag ${shown} is true or false, not "${word.slice(eq + 1)}"`);
        flags[name] = value;
      }
    }
  }

  /** RUN/CMD/ENTRYPOINT: the JSON form if the arguments are a JSON array, else the shell form. */
  private command(kind: InstructionKind, rest: Line): CommandForm {
    const json = parseJSONArray(rest.text);
    if (json === 'not-strings') this.fail(rest.at(0), `${kind}'s JSON form takes strings only (quote every item)`);
    if (json !== 'not-json') return { exec: json };
    if (kind === 'RUN') this.refuseHeredoc(rest);
    return { shell: rest.text };
  }

  /** COPY/ADD/VOLUME: a JSON array, else words split at white space. */
  private list(kind: InstructionKind, rest: Line): string[] {
    const json = parseJSONArray(rest.text);
    if (json === 'not-strings') this.fail(rest.at(0), `${kind}'s JSON form takes strings only (quote every item)`);
    if (json !== 'not-json') return json;
    if (kind !== 'VOLUME') this.refuseHeredoc(rest);
    return splitWhitespace(rest.text).map((w) => w.text);
  }

  private refuseHeredoc(rest: Line): void {
    // Left to right, so that quoted text (no heredoc) is skipped; `<<<` is a here-string.
    const re = /<<-?(["']?)[A-Za-z_][A-Za-z0-9_]*\1|'[^']*'|"(?:[^"\\]|\\.)*"/g;
    for (let m = re.exec(rest.text); m; m = re.exec(rest.text)) {
      if (m[0].startsWith('<<') && rest.text[m.index - 1] !== '<') {
        this.fail(rest.at(m.index), 'heredocs (<<EOF) are not supported yet (put the text in a file in the context and COPY it)');
      }
    }
  }

  /** ENV/LABEL: `key=value ...` (quotes and escapes kept for the expansion) or the old `key value`. */
  private pairs(kind: 'ENV' | 'LABEL', rest: Line): { key: string; value: string }[] {
    const words = parseWords(rest.text, this.escape);
    if (words.length === 0) this.fail(rest.at(0), `${kind} needs name=value pairs (write ${kind} NAME=VALUE)`);
    if (!words[0].text.includes('=')) {
      const first = splitWhitespace(rest.text);
      if (first.length < 2) this.fail(rest.at(rest.text.length), `${kind} ${first[0].text} needs a value (write ${kind} ${first[0].text}=VALUE)`);
      return [{ key: first[0].text, value: rest.text.slice(first[1].start) }];
    }
    return words.map((w) => {
      const eq = w.text.indexOf('=');
      if (eq < 0) this.fail(rest.at(w.start), `${kind} expects name=value, and ${w.text} has no = (quote values that hold spaces)`);
      if (eq === 0) this.fail(rest.at(w.start), `${kind} needs a name before = (write ${kind} NAME=VALUE)`);
      return { key: w.text.slice(0, eq), value: w.text.slice(eq + 1) };
    });
  }

  private healthcheck(rest: Line, flags: InstructionFlags, at: SourcePosition): Instruction {
    const words = splitWhitespace(rest.text);
    const type = words[0].text.toUpperCase();
    if (type === 'NONE') {
      if (words.length > 1 || Object.keys(flags).length > 0) this.fail(rest.at(0), 'HEALTHCHECK NONE takes no flags or arguments (write HEALTHCHECK NONE)');
      return { kind: 'HEALTHCHECK', none: true, command: null, flags, at };
    }
    if (type !== 'CMD') this.fail(rest.at(0), `unknown HEALTHCHECK type ${words[0].text} (write HEALTHCHECK [flags] CMD command, or HEALTHCHECK NONE)`);
    const cmd = rest.slice(words[0].text.length).trim();
    if (cmd.text === '') this.fail(rest.at(rest.text.length), 'HEALTHCHECK CMD needs a command (write HEALTHCHECK CMD command)');
    for (const name of ['interval', 'timeout', 'start-period', 'start-interval']) {
      if (name in flags && goDuration(flags[name]) === null) {
        this.fail(at, `--${name}=${flags[name]} is not a duration of at least 1ms (write e.g. --${name}=30s, 1m30s, 500ms)`);
      }
    }
    if ('retries' in flags && !/^\d+$/.test(flags.retries)) this.fail(at, `--retries=${flags.retries} is not a whole number (write e.g. --retries=3)`);
    return { kind: 'HEALTHCHECK', none: false, command: this.command('HEALTHCHECK', cmd), flags, at };
  }
}

/**
 * A Go duration ("1m30s", "500ms", "1.5h") in nanoseconds; null when it does not parse, is
 * negative, or is below 1ms and not 0 (Docker's HEALTHCHECK limits).
 */
export function goDuration(text: string): number | null {
  if (text === '0') return 0;
  const units: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let i = 0;
  if (text === '') return null;
  while (i < text.length) {
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) return null;
    total += Number(m[1]) * units[m[2]];
    i = re.lastIndex;
  }
  total = Math.round(total);
  return total === 0 || total >= 1e6 ? total : null;
}

/** Words split at white space, nothing else special (BuildKit's parseStringsWhitespaceDelimited). */
function splitWhitespace(text: string): Word[] {
  const words: Word[] = [];
  const re = /[^ \t\r\n\v\f]+/g;
  for (let m = re.exec(text); m; m = re.exec(text)) words.push({ text: m[0], start: m.index });
  return words;
}

/**
 * Words split at white space outside quotes, quotes and escapes kept in the word (the expansion
 * removes them): BuildKit's parseWords, for ENV, LABEL and ARG.
 */
function parseWords(text: string, escape: string): Word[] {
  const words: Word[] = [];
  let word = '';
  let start = -1;
  let quote = '';
  let blankOK = false;
  const push = () => {
    if (start >= 0 && (blankOK || word !== '')) words.push({ text: word, start });
    word = '';
    start = -1;
    blankOK = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === '') {
      if (isSpace(c)) {
        push();
        continue;
      }
      if (start < 0) start = i;
      if (c === "'" || c === '"') {
        quote = c;
        blankOK = true;
      } else if (c === escape) {
        if (i + 1 === text.length) continue;
        word += c;
        word += text[++i];
        continue;
      }
      word += c;
    } else {
      if (c === quote) quote = '';
      else if (c === escape && quote !== "'") {
        if (i + 1 === text.length) continue;
        word += c;
        word += text[++i];
        continue;
      }
      word += c;
    }
  }
  push();
  return words;
}

/** A JSON array of strings; 'not-json' when the text is no JSON array (the shell form then); 'not-strings' when it holds other things. */
function parseJSONArray(text: string): string[] | 'not-json' | 'not-strings' {
  if (!text.startsWith('[')) return 'not-json';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not-json';
  }
  if (!Array.isArray(value)) return 'not-json';
  return value.every((v) => typeof v === 'string') ? (value as string[]) : 'not-strings';
}

/** The known name within an edit distance of 2 (or a third of its length), if any. */
function nearest(word: string, names: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const name of names) {
    const d = editDistance(word, name);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : null;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

const isComment = (line: string): boolean => line.trimStart().startsWith('#');

/**
 * The top-of-file parser directives, then the logical lines. A directive must come before any
 * comment, blank line or instruction; an unknown one is a comment and ends the directives (the
 * reference's rule); each known one at most once.
 */
function readDirectives(lines: string[], file: string): { directives: Record<string, string>; next: number } {
  const directives: Record<string, string> = {};
  let i = 0;
  for (; i < lines.length; i++) {
    const m = DIRECTIVE.exec(lines[i].trimStart());
    if (!m) break;
    const name = m[1].toLowerCase();
    if (!KNOWN_DIRECTIVES.has(name)) break;
    const at = { line: i + 1, column: 1 };
    if (name in directives) throw new DockerfileError({ file, at, message: `the ${name} parser directive is given twice (give it once)` });
    if (name === 'escape' && m[2] !== '\\' && m[2] !== '`') {
      throw new DockerfileError({ file, at, message: `invalid escape character "${m[2]}" (the escape directive takes \\ or \`)` });
    }
    directives[name] = m[2];
  }
  return { directives, next: i };
}

/** The logical lines from `lines[from]` on: comments and blank lines dropped, continuations joined. */
function* logicalLines(lines: string[], from: number, escape: string, file: string): Generator<Line> {
  const continued = new RegExp(`${escape === '\\' ? '\\\\' : '`'}[ \\t]*$`);
  for (let i = from; i < lines.length; i++) {
    const first = lines[i];
    if (isComment(first) || first.trim() === '') continue;
    let text = '';
    const pos: SourcePosition[] = [];
    let end: SourcePosition = { line: i + 1, column: 1 };
    // Appends one physical line's text from `start`, without its continuation; says whether one was there.
    const add = (lineIndex: number, start: number): boolean => {
      const raw = lines[lineIndex];
      const m = continued.exec(raw);
      const stop = m ? m.index : raw.length;
      for (let c = start; c < stop; c++) {
        text += raw[c];
        pos.push({ line: lineIndex + 1, column: c + 1 });
      }
      end = { line: lineIndex + 1, column: stop + 1 };
      return m !== null;
    };
    let more = add(i, first.length - first.trimStart().length);
    const escapeAt = { ...end };
    while (more) {
      i++;
      if (i >= lines.length) {
        throw new DockerfileError({ file, at: escapeAt, message: `the Dockerfile ends inside a line continuation (remove the last ${escape} or add the rest of the instruction)` });
      }
      if (isComment(lines[i]) || lines[i].trim() === '') continue;
      Object.assign(escapeAt, { line: i + 1, column: (continued.exec(lines[i])?.index ?? 0) + 1 });
      more = add(i, 0);
    }
    yield new Line(text, pos, end).trim();
  }
}

export function parseDockerfile(text: string, file = 'Dockerfile'): Dockerfile {
  const lines = text.replace(/^\uFEFF/, '').split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const { directives, next } = readDirectives(lines, file);
  const escape = directives.escape ?? '\\';
  const parser = new Parser(file, escape);
  const globalArgs: Extract<Instruction, { kind: 'ARG' }>[] = [];
  const stages: Stage[] = [];
  for (const line of logicalLines(lines, next, escape, file)) {
    const ins = parser.instruction(line);
    if (ins.kind === 'FROM') {
      if (ins.stageName !== null) {
        const earlier = stages.find((s) => s.name === ins.stageName);
        if (earlier) parser.fail(ins.at, `duplicate stage name "${ins.stageName}" (line ${earlier.from.at.line} has it already: give each stage its own name)`);
      }
      stages.push({ name: ins.stageName, index: stages.length, from: ins, instructions: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1].instructions.push(ins);
    } else if (ins.kind === 'ARG') {
      globalArgs.push(ins);
    } else {
      parser.fail(ins.at, `${ins.kind} before any FROM (a Dockerfile starts with FROM; only ARG may come before it)`);
    }
  }
  if (stages.length === 0) {
    parser.fail({ line: lines.length, column: 1 }, 'no FROM instruction (a Dockerfile needs at least one FROM image)');
  }
  return { directives, escape, globalArgs, stages };
}

/**
 * Instructions without the Dockerfile's stage rules (no FROM needed), e.g. `tsctl commit -c`
 * values: `file` names the input in errors.
 */
export function parseInstructions(text: string, file: string): Instruction[] {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const parser = new Parser(file, '\\');
  return [...logicalLines(lines, 0, '\\', file)].map((line) => parser.instruction(line));
}
