/**
 * Variable substitution as Docker's shell lexer does it for the instructions that take it (ADD,
 * COPY, ENV, EXPOSE, FROM, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR and ARG defaults; not RUN,
 * CMD, ENTRYPOINT, SHELL, HEALTHCHECK or ONBUILD, whose text the shell or a later build reads),
 * the names a word uses (for the build cache's key), and the scoping of ARG and ENV values along
 * a build. Pure.
 *
 * The lexer: `$NAME`, `${NAME}`, `${NAME:-word}` (word when unset or empty), `${NAME-word}`
 * (when unset), `${NAME:+word}` (word when set and not empty), `${NAME+word}` (when set),
 * `${NAME:?message}` / `${NAME?message}` (an error when empty-or-unset / unset); the escape
 * character takes the next character literally (`\$HOME` is "$HOME"); single quotes are literal;
 * in double quotes only `$` works and the escape character escapes `"`, `$` and itself. Quotes
 * are removed. Words split only where Docker splits them (EXPOSE): at unquoted white space,
 * including white space that an unquoted variable's value brings.
 */
import type { Instruction, SourcePosition } from './types';
import { DockerfileError } from './parse';

export type Variables = ReadonlyMap<string, string>;

/** Where the word is, for errors: the escape character in effect, the file, the instruction's position. */
export interface WordContext {
  escape: string;
  file: string;
  at: SourcePosition;
}

/** The proxy ARGs Docker predefines: a --build-arg of theirs needs no ARG, and reaches RUN only. */
export const PROXY_ARGS: readonly string[] = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'];

const SPECIAL_PARAMS = '@*#?-$!0';
const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\v' || c === '\f';
const isNameChar = (c: string): boolean => /[\p{L}\p{Nd}_]/u.test(c);

/** The words being collected for a split expansion (raw text never splits). */
class Words {
  private word = '';
  private inWord = false;
  readonly words: string[] = [];

  char(c: string): void {
    if (isSpace(c)) {
      if (this.inWord && this.word !== '') {
        this.words.push(this.word);
        this.word = '';
        this.inWord = false;
      }
    } else this.raw(c);
  }

  raw(s: string): void {
    this.word += s;
    this.inWord = true;
  }

  end(): string[] {
    if (this.word !== '') this.words.push(this.word);
    return this.words;
  }
}

class Lexer {
  private i = 0;

  constructor(
    private readonly text: string,
    private readonly lookup: (name: string) => string | undefined,
    private readonly ctx: WordContext,
  ) {}

  fail(message: string): never {
    throw new DockerfileError({ file: this.ctx.file, at: this.ctx.at, message });
  }

  private peek(): string | undefined {
    return this.text[this.i];
  }

  /** Up to `stop` (consumed) or the end: the value and its split words. */
  run(stop?: string): { value: string; words: string[] } {
    let value = '';
    const words = new Words();
    for (;;) {
      const c = this.peek();
      if (c === undefined) {
        if (stop !== undefined) this.fail(`missing '${stop}' in "${this.text}" (close the \${...})`);
        break;
      }
      if (c === stop) {
        this.i++;
        break;
      }
      if (c === "'") {
        const s = this.singleQuoted();
        value += s;
        words.raw(s);
      } else if (c === '"') {
        const s = this.doubleQuoted();
        value += s;
        words.raw(s);
      } else if (c === '$') {
        const s = this.dollar();
        value += s;
        for (const ch of s) words.char(ch);
      } else {
        this.i++;
        if (c === this.ctx.escape) {
          const next = this.peek();
          if (next === undefined) break;
          this.i++;
          value += next;
          words.raw(next);
        } else {
          value += c;
          words.char(c);
        }
      }
    }
    return { value, words: words.end() };
  }

  private singleQuoted(): string {
    const close = this.text.indexOf("'", this.i + 1);
    if (close < 0) this.fail(`unmatched ' in "${this.text}" (close the quote, or escape it with ${this.ctx.escape})`);
    const s = this.text.slice(this.i + 1, close);
    this.i = close + 1;
    return s;
  }

  private doubleQuoted(): string {
    this.i++;
    let s = '';
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail(`unmatched " in "${this.text}" (close the quote, or escape it with ${this.ctx.escape})`);
      if (c === '"') {
        this.i++;
        return s;
      }
      if (c === '$') {
        s += this.dollar();
        continue;
      }
      this.i++;
      if (c === this.ctx.escape) {
        const next = this.peek();
        if (next === undefined) continue;
        if (next === '"' || next === '$' || next === this.ctx.escape) {
          this.i++;
          s += next;
          continue;
        }
      }
      s += c;
    }
  }

  private name(): string {
    const start = this.i;
    const c = this.peek();
    if (c === undefined) return '';
    if (/\d/.test(c)) {
      while (this.peek() !== undefined && /\d/.test(this.peek() as string)) this.i++;
      return this.text.slice(start, this.i);
    }
    if (SPECIAL_PARAMS.includes(c)) {
      this.i++;
      return c;
    }
    while (this.peek() !== undefined && isNameChar(this.peek() as string)) this.i++;
    return this.text.slice(start, this.i);
  }

  private dollar(): string {
    this.i++;
    if (this.peek() !== '{') {
      const name = this.name();
      return name === '' ? '$' : (this.lookup(name) ?? '');
    }
    this.i++;
    const first = this.peek();
    if (first === undefined) this.fail(`missing '}' in "${this.text}" (close the \${...})`);
    if (first === '{' || first === '}' || first === ':') this.fail(`bad substitution in "${this.text}" (write \${NAME}, \${NAME:-default} or \${NAME:+alternative})`);
    const name = this.name();
    const op = this.peek();
    if (op === undefined) this.fail(`missing '}' in "${this.text}" (close the \${...})`);
    this.i++;
    if (op === '}') return this.lookup(name) ?? '';
    const colon = op === ':';
    const modifier = colon ? this.peek() : op;
    if (colon) this.i++;
    if (modifier === undefined || !'-+?'.includes(modifier)) {
      this.fail(`unsupported substitution \${${name}${op}${colon ? (modifier ?? '') : ''}...} in "${this.text}" (Docker takes \${NAME:-word}, \${NAME-word}, \${NAME:+word}, \${NAME+word}, \${NAME:?message})`);
    }
    const word = this.run('}').value;
    const value = this.lookup(name);
    const set = colon ? value !== undefined && value !== '' : value !== undefined;
    switch (modifier) {
      case '-':
        return set ? (value as string) : word;
      case '+':
        return set ? word : '';
      default:
        if (!set) this.fail(`${name}: ${word || (colon ? 'is not allowed to be unset or empty' : 'is not allowed to be unset')} (give it with --build-arg ${name}=... or ARG/ENV)`);
        return value as string;
    }
  }
}

/** `word` with its variables substituted and quotes removed: one word. */
export function expandWord(word: string, vars: Variables, ctx: WordContext): string {
  return new Lexer(word, (n) => vars.get(n), ctx).run().value;
}

/** `word` substituted and split at unquoted white space (EXPOSE's rule). */
export function expandWords(word: string, vars: Variables, ctx: WordContext): string[] {
  return new Lexer(word, (n) => vars.get(n), ctx).run().words;
}

/** The names `word` refers to (a default's before its variable's), whether or not the substitution would read them. */
export function wordVariables(word: string, ctx: WordContext): string[] {
  const names = new Set<string>();
  new Lexer(word, (n) => (names.add(n), 'x'), ctx).run();
  return [...names];
}

/** The words of an instruction that Docker substitutes (flags by name: COPY --chown etc.). */
function substitutedWords(ins: Instruction): string[] {
  switch (ins.kind) {
    case 'FROM':
      return [ins.image, ...(ins.flags.platform !== undefined ? [ins.flags.platform] : [])];
    case 'ARG':
      return ins.args.flatMap((a) => (a.default === null ? [] : [a.default]));
    case 'ENV':
    case 'LABEL':
      return ins.pairs.flatMap((p) => [p.key, p.value]);
    case 'COPY':
    case 'ADD':
      return [...ins.sources, ins.dest, ...['from', 'chown', 'chmod'].flatMap((f) => (ins.flags[f] !== undefined ? [ins.flags[f]] : []))];
    case 'WORKDIR':
    case 'USER':
    case 'STOPSIGNAL':
      return [ins.value];
    case 'EXPOSE':
      return ins.ports;
    case 'VOLUME':
      return ins.paths;
    default:
      return [];
  }
}

/**
 * The variables an instruction's substituted words use (RUN uses none this way: its whole
 * environment is its input, which the cache key has to include as a whole).
 */
export function instructionVariables(ins: Instruction, ctx: Omit<WordContext, 'at'>): string[] {
  const names = new Set<string>();
  for (const w of substitutedWords(ins)) for (const n of wordVariables(w, { ...ctx, at: ins.at })) names.add(n);
  return [...names];
}

/**
 * The instruction with Docker's substitutions done, `vars` being what is in scope before it (an
 * ENV's pairs all see the values from before the ENV, as Docker's do). ARG is left to declareArgs,
 * whose defaults see the ARGs declared before them.
 */
export function expandInstruction<T extends Instruction>(ins: T, vars: Variables, ctx: Omit<WordContext, 'at'>): T {
  const c = { ...ctx, at: ins.at };
  const one = (w: string) => expandWord(w, vars, c);
  const flag = (flags: Record<string, string>, names: string[]) => {
    const out = { ...flags };
    for (const n of names) if (out[n] !== undefined) out[n] = one(out[n]);
    return out;
  };
  const i = ins as Instruction;
  switch (i.kind) {
    case 'FROM':
      return { ...i, image: one(i.image), flags: flag(i.flags, ['platform']) } as T;
    case 'ENV':
    case 'LABEL':
      return { ...i, pairs: i.pairs.map((p) => ({ key: one(p.key), value: one(p.value) })) } as T;
    case 'COPY':
    case 'ADD':
      return { ...i, sources: i.sources.map(one), dest: one(i.dest), flags: flag(i.flags, ['from', 'chown', 'chmod']) } as T;
    case 'WORKDIR':
    case 'USER':
    case 'STOPSIGNAL':
      return { ...i, value: one(i.value) } as T;
    case 'EXPOSE':
      return { ...i, ports: i.ports.flatMap((p) => expandWords(p, vars, c)) } as T;
    case 'VOLUME':
      return { ...i, paths: i.paths.map(one) } as T;
    default:
      return ins;
  }
}

/** --build-arg values by name. */
export type BuildArgs = Readonly<Record<string, string>>;

/**
 * The values of the ARGs before the first FROM, usable in FROM lines: each one's default sees the
 * global ARGs before it; --build-arg overrides; `automatic` (TARGETPLATFORM, BUILDARCH, ...) are
 * there without a declaration.
 */
export function globalArgValues(globalArgs: Extract<Instruction, { kind: 'ARG' }>[], buildArgs: BuildArgs, ctx: Omit<WordContext, 'at'>, automatic: BuildArgs = {}): Map<string, string> {
  let vars = new Map(Object.entries(automatic));
  for (const ins of globalArgs) vars = new Map([...vars, ...argValues(ins, buildArgs, vars, vars, ctx)]);
  return vars;
}

/**
 * What is in scope inside a stage: the ARGs declared in it (with their values; an ARG declared
 * without a value and not given stays unset) and the ENV values (the image's, then the stage's).
 */
export interface StageScope {
  args: ReadonlyMap<string, string>;
  env: ReadonlyMap<string, string>;
}

/** A stage's scope at its start: the base image's Env, no ARGs (global ones need re-declaring). */
export function stageScope(baseEnv: readonly string[] | null | undefined): StageScope {
  return { args: new Map(), env: envMap(baseEnv ?? []) };
}

/**
 * The scope after an ARG in a stage: --build-arg wins, else the default (substituted with what
 * was in scope before the ARG: its other names' values are not, as in BuildKit and buildah),
 * else a re-declared global ARG's value.
 */
export function declareArgs(scope: StageScope, ins: Extract<Instruction, { kind: 'ARG' }>, buildArgs: BuildArgs, globals: Variables, ctx: Omit<WordContext, 'at'>): StageScope {
  return { args: new Map([...scope.args, ...argValues(ins, buildArgs, globals, expansionVariables(scope), ctx)]), env: scope.env };
}

function argValues(ins: Extract<Instruction, { kind: 'ARG' }>, buildArgs: BuildArgs, globals: Variables, sees: Variables, ctx: Omit<WordContext, 'at'>): Map<string, string> {
  const out = new Map<string, string>();
  for (const a of ins.args) {
    if (Object.prototype.hasOwnProperty.call(buildArgs, a.name)) out.set(a.name, buildArgs[a.name]);
    else if (a.default !== null) out.set(a.name, expandWord(a.default, sees, { ...ctx, at: ins.at }));
    else if (globals.has(a.name)) out.set(a.name, globals.get(a.name) as string);
  }
  return out;
}

/** The scope after the stage's config Env changed (an ENV instruction applied). */
export function withEnv(scope: StageScope, env: readonly string[] | null | undefined): StageScope {
  return { args: scope.args, env: envMap(env ?? []) };
}

/** What substitution sees in a stage: the ARGs, and the ENV values over them (ENV beats ARG). */
export function expansionVariables(scope: StageScope): Map<string, string> {
  return new Map([...scope.args, ...scope.env]);
}

/**
 * The environment of a RUN: the config's Env, then the ARGs no ENV overrides, then the proxy
 * ARGs given with --build-arg (which need no declaration).
 */
export function runEnvironment(scope: StageScope, configEnv: readonly string[] | null | undefined, buildArgs: BuildArgs): string[] {
  const env = [...(configEnv ?? [])];
  const seen = new Set(env.map((e) => envName(e)));
  for (const [k, v] of scope.args) {
    if (!seen.has(k)) {
      env.push(`${k}=${v}`);
      seen.add(k);
    }
  }
  for (const k of PROXY_ARGS) {
    if (!seen.has(k) && Object.prototype.hasOwnProperty.call(buildArgs, k)) env.push(`${k}=${buildArgs[k]}`);
  }
  return env;
}

/** --build-arg names no ARG of the Dockerfile declares (Docker warns of them) and that are no proxy ARGs. */
export function unusedBuildArgs(dockerfileArgs: Extract<Instruction, { kind: 'ARG' }>[], buildArgs: BuildArgs): string[] {
  const declared = new Set(dockerfileArgs.flatMap((i) => i.args.map((a) => a.name)));
  return Object.keys(buildArgs).filter((k) => !declared.has(k) && !PROXY_ARGS.includes(k)).sort();
}

const envName = (e: string): string => (e.indexOf('=') < 0 ? e : e.slice(0, e.indexOf('=')));

function envMap(env: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of env) out.set(envName(e), e.indexOf('=') < 0 ? '' : e.slice(e.indexOf('=') + 1));
  return out;
}
