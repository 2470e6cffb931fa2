/**
 * Variable substitution as the Dockerfile reference documents it (environment replacement), the
 * names a word uses, and the ARG/ENV scoping rules along a build.
 */
import {
  declareArgs,
  expandInstruction,
  expandWord,
  expandWords,
  expansionVariables,
  globalArgValues,
  instructionVariables,
  runEnvironment,
  stageScope,
  unusedBuildArgs,
  withEnv,
  wordVariables,
} from '../../supervisor/build/dockerfile/expand';
import { DockerfileError, parseDockerfile, parseInstructions } from '../../supervisor/build/dockerfile/parse';
import type { Instruction } from '../../supervisor/build/dockerfile/types';
import { SeededRandom } from '../helpers/seeded-choices';

const ctx = { escape: '\\', file: 'Dockerfile', at: { line: 3, column: 1 } };
const vars = new Map([
  ['A', 'a'],
  ['EMPTY', ''],
  ['SP', 'x  y'],
  ['abc', 'hello'],
  ['HOME', '/root'],
]);

describe('expandWord', () => {
  test.each<[string, string]>([
    ['$A', 'a'],
    ['${A}', 'a'],
    ['${A}_b', 'a_b'],
    ['$A_b', ''], // A_b is the name
    ['$UNSET', ''],
    ['pre$A.post', 'prea.post'],
    ['${A:-w}', 'a'],
    ['${EMPTY:-w}', 'w'],
    ['${UNSET:-w}', 'w'],
    ['${EMPTY-w}', ''],
    ['${UNSET-w}', 'w'],
    ['${A:+w}', 'w'],
    ['${EMPTY:+w}', ''],
    ['${UNSET:+w}', ''],
    ['${EMPTY+w}', 'w'],
    ['${UNSET+w}', ''],
    ['${UNSET:-$A}', 'a'], // nested
    ['${UNSET:-${UNSET2:-deep}}', 'deep'],
    ['${UNSET:-"a b"}', 'a b'],
    ['${A:?must be set}', 'a'],
    ['\\$A', '$A'],
    ['\\${A}', '${A}'],
    ['$', '$'],
    ['a$', 'a$'],
    ['$ b', '$ b'],
    ['$1', ''],
    ['$$', ''],
    ["'$A'", '$A'],
    ["'a\\b'", 'a\\b'],
    ['"$A"', 'a'],
    ['"\\$A"', '$A'],
    ['"a\\"b"', 'a"b'],
    ['"a\\nb"', 'a\\nb'], // other escapes stay in double quotes
    ['"\\\\"', '\\'],
    ['a\\ b', 'a b'],
    ['Rex\\ The\\ Dog', 'Rex The Dog'],
    ['"John Doe"', 'John Doe'],
    ['foo\\', 'foo'], // an escape at the end is dropped
    ['${abc}/bar', 'hello/bar'],
    ['"${SP}"', 'x  y'],
    ['${HOME}/x', '/root/x'],
    ['é$A', 'éa'],
  ])('%s → %j', (word, expected) => {
    expect(expandWord(word, vars, ctx)).toBe(expected);
  });

  test('the backtick escape', () => {
    const c = { ...ctx, escape: '`' };
    expect(expandWord('`$A', vars, c)).toBe('$A');
    expect(expandWord('c:\\$A', vars, c)).toBe('c:\\a');
    expect(expandWord('"`""', vars, c)).toBe('"');
  });

  test.each<[string, string]>([
    ['${UNSET:?must be set}', 'Dockerfile:3:1: UNSET: must be set (give it with --build-arg UNSET=... or ARG/ENV)'],
    ['${EMPTY:?}', 'Dockerfile:3:1: EMPTY: is not allowed to be unset or empty'],
    ['${UNSET?}', 'UNSET: is not allowed to be unset'],
    ['${A', "Dockerfile:3:1: missing '}' in \"${A\""],
    ['${A:-x', "missing '}'"],
    ['${', "missing '}'"],
    ['${}', 'bad substitution'],
    ['${:-x}', 'bad substitution'],
    ['${A%x}', 'unsupported substitution ${A%...}'],
    ['${A:=x}', 'unsupported substitution ${A:=...}'],
    ["'abc", "unmatched '"],
    ['"abc', 'unmatched "'],
  ])('%s refused', (word, message) => {
    let got = '';
    try {
      expandWord(word, vars, ctx);
    } catch (err) {
      expect(err).toBeInstanceOf(DockerfileError);
      got = (err as Error).message;
    }
    expect(got).toContain(message);
  });

  test('${EMPTY?} is fine: set, if empty', () => {
    expect(expandWord('${EMPTY?}', vars, ctx)).toBe('');
  });
});

describe('expandWords (EXPOSE)', () => {
  test.each<[string, string[]]>([
    ['80 443', ['80', '443']],
    ['$SP', ['x', 'y']], // an unquoted value splits
    ['"$SP"', ['x  y']],
    ['a\\ b', ['a b']],
    ['""', []],
    ['  ', []],
    ['${UNSET:-8080/tcp}', ['8080/tcp']],
  ])('%s → %j', (word, expected) => {
    expect(expandWords(word, vars, ctx)).toEqual(expected);
  });
});

describe('wordVariables', () => {
  test.each<[string, string[]]>([
    ['$A ${B} ${C:-$D} ${E:+x${F}}', ['A', 'B', 'D', 'C', 'F', 'E']],
    ["'$NOT' \\$NOT2 \"$YES\"", ['YES']],
    ['${A:?msg}', ['A']],
    ['plain', []],
    ['$A$A', ['A']],
  ])('%s', (word, names) => {
    expect(wordVariables(word, ctx)).toEqual(names);
  });

  test('instructionVariables: only the words Docker substitutes', () => {
    const [copy, run, env] = parseInstructions('COPY --chown=$U:$G $SRC /dst/$D\nRUN echo $X\nENV $K=$V', 'Dockerfile');
    const c = { escape: '\\', file: 'Dockerfile' };
    expect(instructionVariables(copy, c)).toEqual(['SRC', 'D', 'U', 'G']);
    expect(instructionVariables(run, c)).toEqual([]);
    expect(instructionVariables(env, c)).toEqual(['K', 'V']);
  });
});

describe('expandInstruction', () => {
  const c = { escape: '\\', file: 'Dockerfile' };
  const strip = (i: Instruction) => {
    const { at: _at, ...rest } = i;
    return rest;
  };
  test.each<[string, unknown]>([
    ['FROM --platform=$P img:${TAG:-latest} AS s', { kind: 'FROM', image: 'img:latest', stageName: 's', flags: { platform: 'p' } }],
    ['ENV abc=bye def=$abc', { kind: 'ENV', pairs: [{ key: 'abc', value: 'bye' }, { key: 'def', value: 'hello' }] }], // the reference's example
    ['ENV ghi=$abc', { kind: 'ENV', pairs: [{ key: 'ghi', value: 'hello' }] }],
    ['ENV MY_VAR my value $A', { kind: 'ENV', pairs: [{ key: 'MY_VAR', value: 'my value a' }] }],
    ['LABEL "k$A"="v $A"', { kind: 'LABEL', pairs: [{ key: 'ka', value: 'v a' }] }],
    ['COPY --from=$A --chown=$A:$A $A "b" /d/$A/', { kind: 'COPY', sources: ['a', 'b'], dest: '/d/a/', flags: { from: 'a', chown: 'a:a' } }],
    ['ADD ["$A b", "/x"]', { kind: 'ADD', sources: ['a b'], dest: '/x', flags: {} }],
    ['EXPOSE $SP 80', { kind: 'EXPOSE', ports: ['x', 'y', '80'] }],
    ['VOLUME $SP', { kind: 'VOLUME', paths: ['x  y'] }],
    ['WORKDIR ${HOME}/app', { kind: 'WORKDIR', value: '/root/app' }],
    ['USER ${A}:${UNSET:-staff}', { kind: 'USER', value: 'a:staff' }],
    ['STOPSIGNAL SIG${UNSET:-TERM}', { kind: 'STOPSIGNAL', value: 'SIGTERM' }],
    ['RUN echo $A', { kind: 'RUN', command: { shell: 'echo $A' }, flags: {} }],
    ['CMD echo $A', { kind: 'CMD', command: { shell: 'echo $A' } }],
    ['ONBUILD COPY $A /', { kind: 'ONBUILD', trigger: 'COPY $A /' }],
  ])('%s', (line, expected) => {
    const ins = parseInstructions(line, 'Dockerfile')[0];
    expect(strip(expandInstruction(ins, new Map([...vars, ['P', 'p']]), c))).toEqual(expected);
  });
});

describe('ARG and ENV scoping', () => {
  const c = { escape: '\\', file: 'Dockerfile' };
  const argsOf = (d: ReturnType<typeof parseDockerfile>, stage: number) =>
    d.stages[stage].instructions.filter((i): i is Extract<Instruction, { kind: 'ARG' }> => i.kind === 'ARG');

  test('global ARGs: FROM only, unless re-declared; --build-arg overrides', () => {
    const d = parseDockerfile('ARG CODE_VERSION=latest\nARG BASE=img:$CODE_VERSION\nFROM $BASE\nARG CODE_VERSION\nARG OTHER\nFROM x\n');
    const globals = globalArgValues(d.globalArgs, {}, c);
    expect(Object.fromEntries(globals)).toEqual({ CODE_VERSION: 'latest', BASE: 'img:latest' });
    expect(expandInstruction(d.stages[0].from, globals, c).image).toBe('img:latest');
    const overridden = globalArgValues(d.globalArgs, { CODE_VERSION: '2' }, c);
    expect(overridden.get('BASE')).toBe('img:2');

    // Stage 0 re-declares CODE_VERSION (the global value), OTHER stays unset.
    let scope = stageScope(['PATH=/bin']);
    for (const a of argsOf(d, 0)) scope = declareArgs(scope, a, {}, globals, c);
    expect(Object.fromEntries(expansionVariables(scope))).toEqual({ CODE_VERSION: 'latest', PATH: '/bin' });
    // Stage 1 declares nothing: no global ARG is in scope.
    expect(expansionVariables(stageScope([])).size).toBe(0);
  });

  test('stage ARG defaults see earlier ARGs and ENV, not the same ARG\'s other names; --build-arg wins over a default', () => {
    const d = parseDockerfile('FROM x\nARG A=1 B=${A}2\nARG D=${A}3\nARG user1=someuser\nARG C=$E\n');
    let scope = stageScope(['E=env']);
    for (const a of argsOf(d, 0)) scope = declareArgs(scope, a, { user1: 'what_user' }, new Map(), c);
    expect(Object.fromEntries(scope.args)).toEqual({ A: '1', B: '2', D: '13', user1: 'what_user', C: 'env' });
  });

  test('ENV beats ARG of the same name (the reference example)', () => {
    // ARG CONT_IMG_VER; ENV CONT_IMG_VER=v1.0.0; RUN echo $CONT_IMG_VER → v1.0.0 whatever --build-arg says.
    const d = parseDockerfile('FROM ubuntu\nARG CONT_IMG_VER\nENV CONT_IMG_VER=v1.0.0\n');
    let scope = stageScope([]);
    scope = declareArgs(scope, argsOf(d, 0)[0], { CONT_IMG_VER: 'v2.0.1' }, new Map(), c);
    expect(expansionVariables(scope).get('CONT_IMG_VER')).toBe('v2.0.1');
    scope = withEnv(scope, ['CONT_IMG_VER=v1.0.0']);
    expect(expansionVariables(scope).get('CONT_IMG_VER')).toBe('v1.0.0');
    expect(runEnvironment(scope, ['CONT_IMG_VER=v1.0.0'], { CONT_IMG_VER: 'v2.0.1' })).toEqual(['CONT_IMG_VER=v1.0.0']);
  });

  test('RUN sees ENV, then undeclared-over ARGs, then proxy ARGs given without ARG', () => {
    const d = parseDockerfile('FROM x\nARG A=1\nARG PATH=/nope\n');
    let scope = stageScope(['PATH=/bin']);
    for (const a of argsOf(d, 0)) scope = declareArgs(scope, a, { HTTP_PROXY: 'http://10.0.0.1:3128', NOT_DECLARED: 'x' }, new Map(), c);
    expect(runEnvironment(scope, ['PATH=/bin'], { HTTP_PROXY: 'http://10.0.0.1:3128', NOT_DECLARED: 'x' })).toEqual(['PATH=/bin', 'A=1', 'HTTP_PROXY=http://10.0.0.1:3128']);
    // The proxy ARG is not substituted elsewhere unless declared.
    expect(expansionVariables(scope).has('HTTP_PROXY')).toBe(false);
  });

  test('automatic platform ARGs are global; a stage re-declares them to use them', () => {
    const d = parseDockerfile('FROM --platform=$BUILDPLATFORM x\nARG TARGETARCH\n');
    const globals = globalArgValues(d.globalArgs, {}, c, { BUILDPLATFORM: 'linux/amd64', TARGETARCH: 'amd64' });
    expect(expandInstruction(d.stages[0].from, globals, c).flags.platform).toBe('linux/amd64');
    const scope = declareArgs(stageScope([]), argsOf(d, 0)[0], {}, globals, c);
    expect(scope.args.get('TARGETARCH')).toBe('amd64');
  });

  test('unusedBuildArgs', () => {
    const d = parseDockerfile('ARG G\nFROM x\nARG A\n');
    expect(unusedBuildArgs([...d.globalArgs, ...argsOf(d, 0)], { A: '1', G: '2', Z: '3', no_proxy: 'x' })).toEqual(['Z']);
  });
});

describe('fuzz: substitution throws DockerfileErrors only, and ends', () => {
  const pieces = ['$', '{', '}', ':', '-', '+', '?', '=', '%', '#', '"', "'", '\\', '`', 'A', 'EMPTY', 'SP', 'x', ' ', '\t', '$A', '${A', '${', '}', 'é', '😀', '\n'];
  test('3000 random words, both escapes, one word and split', () => {
    const rnd = new SeededRandom(1414);
    for (let n = 0; n < 3000; n++) {
      let word = '';
      const count = rnd.int(24);
      for (let i = 0; i < count; i++) word += rnd.pick(pieces);
      const c = { ...ctx, escape: rnd.chance(0.5) ? '\\' : '`' };
      for (const f of [expandWord, expandWords, (w: string) => wordVariables(w, c)]) {
        try {
          f(word, vars, c);
        } catch (err) {
          if (!(err instanceof DockerfileError)) throw new Error(`case ${n} (${JSON.stringify(word)}) threw ${String(err)}`);
          expect(err.message).toMatch(/^Dockerfile:3:1: \S/);
        }
      }
    }
  });
});
