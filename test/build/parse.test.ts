/**
 * The Dockerfile parser against the Dockerfile reference's documented behaviour: directives,
 * comments, continuations, forms, flags, each instruction's arguments, and the errors with their
 * line:column. Plus a bounded seeded fuzzer: only DockerfileErrors, never a hang.
 */
import { DockerfileError, parseDockerfile, parseInstructions } from '../../supervisor/build/dockerfile/parse';
import type { Instruction } from '../../supervisor/build/dockerfile/types';
import { SeededRandom } from '../helpers/seeded-choices';

/** The instructions of the first stage, without their positions. */
function first(text: string): unknown[] {
  return parseDockerfile(text).stages[0].instructions.map(strip);
}

function strip(ins: Instruction): unknown {
  const { at: _at, ...rest } = ins;
  return rest;
}

function errorOf(text: string, file?: string): string {
  try {
    parseDockerfile(text, file);
  } catch (err) {
    expect(err).toBeInstanceOf(DockerfileError);
    return (err as Error).message;
  }
  throw new Error('parsed without an error');
}

describe('parser directives', () => {
  test.each([
    ['# escape=`\nFROM x\n', '`'],
    ['#escape=`\nFROM x\n', '`'],
    ['# ESCAPE = `  \nFROM x\n', '`'],
    ['#\tdIrEcTiVe=value\n# escape=`\nFROM x\n', '\\'], // an unknown directive is a comment: the rest are comments too
    ['# comment\n# escape=`\nFROM x\n', '\\'],
    ['\n# escape=`\nFROM x\n', '\\'], // after a blank line: a comment
    ['FROM x\n# escape=`\n', '\\'],
    ['# escape=\\\nFROM x\n', '\\'],
    ['# direc \\\n# escape=`\nFROM x\n', '\\'], // no continuation in directives
  ])('%j: escape %j', (text, escape) => {
    expect(parseDockerfile(text).escape).toBe(escape);
  });

  test('syntax is kept, names lower-cased', () => {
    const d = parseDockerfile('# syntax=docker/dockerfile:1\n# Escape=`\nFROM x\n');
    expect(d.directives).toEqual({ syntax: 'docker/dockerfile:1', escape: '`' });
  });

  test.each([
    ['# escape=\\\n# escape=`\nFROM x\n', 'Dockerfile:2:1: the escape parser directive is given twice'],
    ['# escape=x\nFROM x\n', 'Dockerfile:1:1: invalid escape character "x"'],
  ])('%j refused', (text, message) => {
    expect(errorOf(text)).toContain(message);
  });

  test('the backtick escape: backslashes are plain, ` continues', () => {
    const d = parseDockerfile('# escape=`\n\nFROM windows\nCOPY testfile.txt c:\\\nRUN dir c:\\ `\n  /w\n');
    expect(d.stages[0].instructions.map(strip)).toEqual([
      { kind: 'COPY', sources: ['testfile.txt'], dest: 'c:\\', flags: {} },
      { kind: 'RUN', command: { shell: 'dir c:\\   /w' }, flags: {} },
    ]);
  });
});

describe('comments, continuations, names', () => {
  test.each<[string, unknown[]]>([
    ['FROM x\n# a comment\nRUN echo hello\n', [{ kind: 'RUN', command: { shell: 'echo hello' }, flags: {} }]],
    ['FROM x\n   # indented comment\n\tRUN echo hi # not a comment\n', [{ kind: 'RUN', command: { shell: 'echo hi # not a comment' }, flags: {} }]],
    ['FROM x\nRUN echo hello \\\nworld\n', [{ kind: 'RUN', command: { shell: 'echo hello world' }, flags: {} }]],
    ['FROM x\nRUN echo hello \\  \t\nworld\n', [{ kind: 'RUN', command: { shell: 'echo hello world' }, flags: {} }]], // white space after the escape
    ['FROM x\nRUN a \\\n# comment inside\n  b \\\n\n   \n  c\n', [{ kind: 'RUN', command: { shell: 'a   b   c' }, flags: {} }]],
    ['FROM x\nrun echo a\nRuN echo b\n', [{ kind: 'RUN', command: { shell: 'echo a' }, flags: {} }, { kind: 'RUN', command: { shell: 'echo b' }, flags: {} }]],
    ['\uFEFFFROM x\r\nCMD a\r\n', [{ kind: 'CMD', command: { shell: 'a' } }]],
    ['FROM x\nCMD ["a", \\\n "b"]\n', [{ kind: 'CMD', command: { exec: ['a', 'b'] } }]],
  ])('%j', (text, expected) => {
    expect(first(text)).toEqual(expected);
  });

  test('positions point into the text as written', () => {
    const d = parseDockerfile('# c\n\nFROM x\n  RUN a \\\n  b\nCOPY \\\n  --from=a x y\n');
    expect(d.stages[0].from.at).toEqual({ line: 3, column: 1 });
    expect(d.stages[0].instructions.map((i) => i.at)).toEqual([
      { line: 4, column: 3 },
      { line: 6, column: 1 },
    ]);
    expect(errorOf('FROM x\nCOPY \\\n  --frm=a x y\n')).toMatch(/^Dockerfile:3:3: unknown flag: --frm /);
  });
});

describe('forms', () => {
  test.each<[string, unknown]>([
    ['RUN ["echo", "a b"]', { kind: 'RUN', command: { exec: ['echo', 'a b'] }, flags: {} }],
    ['RUN [ "echo" ]   ', { kind: 'RUN', command: { exec: ['echo'] }, flags: {} }],
    ["RUN ['echo', 'x']", { kind: 'RUN', command: { shell: "['echo', 'x']" }, flags: {} }], // not JSON: the shell form
    ['RUN [echo', { kind: 'RUN', command: { shell: '[echo' }, flags: {} }],
    ['CMD []', { kind: 'CMD', command: { exec: [] } }],
    ['ENTRYPOINT ["/bin/sh", "-c", "x\\ty"]', { kind: 'ENTRYPOINT', command: { exec: ['/bin/sh', '-c', 'x\ty'] } }],
    ['RUN --network=none apk add x', { kind: 'RUN', command: { shell: 'apk add x' }, flags: { network: 'none' } }],
    ['RUN -- --network=none', { kind: 'RUN', command: { shell: '--network=none' }, flags: {} }],
    ['SHELL ["powershell", "-command"]', { kind: 'SHELL', exec: ['powershell', '-command'] }],
    ['COPY --from=build --chown=1:2 --chmod=644 a b /dst/', { kind: 'COPY', sources: ['a', 'b'], dest: '/dst/', flags: { from: 'build', chown: '1:2', chmod: '644' } }],
    ['COPY --link ["a b", "c"]', { kind: 'COPY', sources: ['a b'], dest: 'c', flags: { link: 'true' } }],
    ['COPY --chown="a b" x y', { kind: 'COPY', sources: ['x'], dest: 'y', flags: { chown: 'a b' } }],
    ['ADD --chmod=755 a.tar /', { kind: 'ADD', sources: ['a.tar'], dest: '/', flags: { chmod: '755' } }],
    ['EXPOSE 80/tcp  443 8000-8010/udp', { kind: 'EXPOSE', ports: ['80/tcp', '443', '8000-8010/udp'] }],
    ['VOLUME ["/data", "/logs"]', { kind: 'VOLUME', paths: ['/data', '/logs'] }],
    ['VOLUME /data /logs', { kind: 'VOLUME', paths: ['/data', '/logs'] }],
    ['WORKDIR /a b', { kind: 'WORKDIR', value: '/a b' }],
    ['USER app:staff', { kind: 'USER', value: 'app:staff' }],
    ['STOPSIGNAL SIGKILL', { kind: 'STOPSIGNAL', value: 'SIGKILL' }],
    ['MAINTAINER Jane <j@example.com>', { kind: 'MAINTAINER', value: 'Jane <j@example.com>' }],
    ['HEALTHCHECK NONE', { kind: 'HEALTHCHECK', none: true, command: null, flags: {} }],
    [
      'HEALTHCHECK --interval=5m --timeout=3s --retries=2 CMD curl -f http://localhost/ || exit 1',
      { kind: 'HEALTHCHECK', none: false, command: { shell: 'curl -f http://localhost/ || exit 1' }, flags: { interval: '5m', timeout: '3s', retries: '2' } },
    ],
    ['HEALTHCHECK cmd ["true"]', { kind: 'HEALTHCHECK', none: false, command: { exec: ['true'] }, flags: {} }],
    ['ONBUILD RUN  echo "hi"', { kind: 'ONBUILD', trigger: 'RUN  echo "hi"' }],
    ['onbuild add . /app/src', { kind: 'ONBUILD', trigger: 'add . /app/src' }],
  ])('%s', (line, expected) => {
    expect(first(`FROM x\n${line}\n`)).toEqual([expected]);
  });
});

describe('ENV, LABEL, ARG', () => {
  test.each<[string, unknown]>([
    ['ENV MY_NAME="John Doe"', [{ key: 'MY_NAME', value: '"John Doe"' }]],
    ['ENV MY_DOG=Rex\\ The\\ Dog', [{ key: 'MY_DOG', value: 'Rex\\ The\\ Dog' }]],
    ['ENV MY_CAT=fluffy A=1  B=', [{ key: 'MY_CAT', value: 'fluffy' }, { key: 'A', value: '1' }, { key: 'B', value: '' }]],
    ['ENV MY_VAR my-value is long', [{ key: 'MY_VAR', value: 'my-value is long' }]], // the old form
    ["ENV A='x y' B=\"a\\\"b\"", [{ key: 'A', value: "'x y'" }, { key: 'B', value: '"a\\"b"' }]],
    ['LABEL "com.example.vendor"="ACME Inc" version=1.0', [{ key: '"com.example.vendor"', value: '"ACME Inc"' }, { key: 'version', value: '1.0' }]],
    ['LABEL description="a \\\nb"', [{ key: 'description', value: '"a b"' }]],
  ])('%s', (line, pairs) => {
    const [ins] = first(`FROM x\n${line}\n`) as { pairs: unknown }[];
    expect(ins.pairs).toEqual(pairs);
  });

  test('ARG: names and defaults, global ARGs before FROM', () => {
    const d = parseDockerfile('ARG VERSION=latest\nARG A B=2\nFROM busybox:$VERSION\nARG VERSION\nARG user1="some user"\n');
    expect(d.globalArgs.map((a) => a.args)).toEqual([[{ name: 'VERSION', default: 'latest' }], [{ name: 'A', default: null }, { name: 'B', default: '2' }]]);
    expect(d.stages[0].from.image).toBe('busybox:$VERSION');
    expect(d.stages[0].instructions.map(strip)).toEqual([
      { kind: 'ARG', args: [{ name: 'VERSION', default: null }] },
      { kind: 'ARG', args: [{ name: 'user1', default: '"some user"' }] },
    ]);
  });
});

describe('stages', () => {
  test('names are lower-cased, indexes counted, flags kept', () => {
    const d = parseDockerfile('FROM --platform=linux/amd64 golang AS Build\nRUN make\nfrom scratch as final\nCOPY --from=build /out /\nFROM x\n');
    expect(d.stages.map((s) => [s.name, s.index, s.from.image, s.from.flags, s.instructions.length])).toEqual([
      ['build', 0, 'golang', { platform: 'linux/amd64' }, 1],
      ['final', 1, 'scratch', {}, 1],
      [null, 2, 'x', {}, 0],
    ]);
  });
});

describe('errors name the line and column and say what to do', () => {
  test.each<[string, string]>([
    ['FROM x\nFORM y\n', 'Dockerfile:2:1: unknown instruction: FORM (did you mean FROM?)'],
    ['FROM x\n  COPPY a b\n', 'Dockerfile:2:3: unknown instruction: COPPY (did you mean COPY?)'],
    ['FROM x\nXYZZYPLUGH a\n', 'Dockerfile:2:1: unknown instruction: XYZZYPLUGH (the instructions are FROM'],
    ['# c\nRUN x\nFROM y\n', 'Dockerfile:2:1: RUN before any FROM (a Dockerfile starts with FROM; only ARG may come before it)'],
    ['', 'Dockerfile:1:1: no FROM instruction'],
    ['ARG A\n# only\n', 'no FROM instruction'],
    ['FROM x\nRUN a \\\n', 'Dockerfile:2:7: the Dockerfile ends inside a line continuation'],
    ['FROM x\nRUN a \\\n\n# c\n', 'Dockerfile:2:7: the Dockerfile ends inside a line continuation'],
    ['FROM x\n\n\n\nCOPY --frm=x a b\n', 'Dockerfile:5:6: unknown flag: --frm (COPY takes --from --chown --chmod --link)'],
    ['FROM x\nENV --x=1 A=b\n', 'Dockerfile:2:5: unknown flag: --x (ENV takes no flags)'],
    ['FROM x\nCOPY --from a b\n', 'Dockerfile:2:6: flag --from needs a value (write --from=VALUE)'],
    ['FROM x\nCOPY --from=a --from=b a b\n', 'Dockerfile:2:15: flag --from given twice'],
    ['FROM x\nCOPY --link=maybe a b\n', 'Dockerfile:2:6: flag --link is true or false'],
    ['FROM x\nRUN --mount=type=cache,target=/c make\n', 'Dockerfile:2:5: unknown flag: --mount (RUN takes --network)'],
    ['FROM x\nRUN\n', 'Dockerfile:2:4: RUN needs arguments'],
    ['FROM x\nCOPY onlyone\n', 'Dockerfile:2:6: COPY needs at least one source and a destination'],
    ['FROM x\nCOPY ["a"]\n', 'Dockerfile:2:6: COPY needs at least one source and a destination'],
    ['FROM x\nCMD ["a", 1]\n', "Dockerfile:2:5: CMD's JSON form takes strings only"],
    ['FROM x\nSHELL /bin/bash -c\n', 'Dockerfile:2:7: SHELL takes the JSON form only'],
    ['FROM x\nSHELL []\n', 'Dockerfile:2:7: SHELL needs at least the shell executable'],
    ['FROM x\nENV A\n', 'Dockerfile:2:6: ENV A needs a value (write ENV A=VALUE)'],
    ['FROM x\nENV A=1 B\n', 'Dockerfile:2:9: ENV expects name=value, and B has no ='],
    ['FROM x\nENV =1\n', 'Dockerfile:2:5: ENV needs a name before ='],
    ['FROM x\nLABEL a=b =c\n', 'Dockerfile:2:11: LABEL needs a name before ='],
    ['FROM x\nARG =1\n', 'Dockerfile:2:5: ARG needs a name before ='],
    ['FROM x y\n', 'Dockerfile:1:6: FROM takes an image and an optional stage name'],
    ['FROM x IN y\n', 'Dockerfile:1:8: expected AS after the image, not IN'],
    ['FROM x AS 1st\n', 'Dockerfile:1:11: invalid stage name "1st"'],
    ['FROM x AS a\nFROM y AS A\n', 'Dockerfile:2:1: duplicate stage name "a" (line 1 has it already'],
    ['FROM x\nONBUILD ONBUILD RUN x\n', 'Dockerfile:2:9: ONBUILD is not allowed as an ONBUILD trigger'],
    ['FROM x\nONBUILD FROM y\n', 'Dockerfile:2:9: FROM is not allowed as an ONBUILD trigger'],
    ['FROM x\nONBUILD MAINTAINER y\n', 'Dockerfile:2:9: MAINTAINER is not allowed as an ONBUILD trigger'],
    ['FROM x\nONBUILD RUNN y\n', 'Dockerfile:2:9: unknown instruction: RUNN (did you mean RUN?)'],
    ['FROM x\nHEALTHCHECK NONE x\n', 'Dockerfile:2:13: HEALTHCHECK NONE takes no flags or arguments'],
    ['FROM x\nHEALTHCHECK --retries=1 NONE\n', 'Dockerfile:2:25: HEALTHCHECK NONE takes no flags or arguments'],
    ['FROM x\nHEALTHCHECK RUN x\n', 'Dockerfile:2:13: unknown HEALTHCHECK type RUN'],
    ['FROM x\nHEALTHCHECK CMD\n', 'Dockerfile:2:16: HEALTHCHECK CMD needs a command'],
    ['FROM x\nHEALTHCHECK --interval=5 CMD x\n', 'Dockerfile:2:1: --interval=5 is not a duration of at least 1ms'],
    ['FROM x\nHEALTHCHECK --timeout=10us CMD x\n', 'Dockerfile:2:1: --timeout=10us is not a duration of at least 1ms'],
    ['FROM x\nHEALTHCHECK --retries=-1 CMD x\n', 'Dockerfile:2:1: --retries=-1 is not a whole number'],
    ['FROM x\nVOLUME [""]\n', 'Dockerfile:2:8: VOLUME paths cannot be empty'],
    ['FROM x\nRUN cat <<EOF > /f\n', 'Dockerfile:2:9: heredocs (<<EOF) are not supported yet'],
    ['FROM x\nCOPY <<-"END" /f\n', 'Dockerfile:2:6: heredocs'],
  ])('%j', (text, message) => {
    expect(errorOf(text)).toContain(message);
  });

  test('the file name given is the one in the message; the error carries the position', () => {
    expect(errorOf('FROM x\nFORM y\n', 'app/Dockerfile.dev')).toMatch(/^app\/Dockerfile\.dev:2:1: /);
    try {
      parseDockerfile('FROM x\nFORM y\n');
    } catch (err) {
      expect((err as DockerfileError).detail).toEqual({ file: 'Dockerfile', at: { line: 2, column: 1 }, message: expect.stringContaining('FORM') });
      expect((err as DockerfileError).code).toBe('invalid-argument');
    }
  });

  test('a here-string and quoted << are no heredocs', () => {
    expect(first('FROM x\nRUN cat <<<word; echo "<<EOF"\n')).toEqual([{ kind: 'RUN', command: { shell: 'cat <<<word; echo "<<EOF"' }, flags: {} }]);
  });
});

describe('parseInstructions (no stage rules)', () => {
  test('instructions without FROM', () => {
    expect(parseInstructions('CMD ["a"]\nENV A=1', '--change[0]').map(strip)).toEqual([
      { kind: 'CMD', command: { exec: ['a'] } },
      { kind: 'ENV', pairs: [{ key: 'A', value: '1' }] },
    ]);
  });
});

describe('fuzz: the parser throws DockerfileErrors only, and ends', () => {
  const pieces = [
    'FROM', 'from', 'RUN', 'CMD', 'ENTRYPOINT', 'ENV', 'LABEL', 'ARG', 'COPY', 'ADD', 'EXPOSE', 'VOLUME', 'HEALTHCHECK', 'ONBUILD', 'SHELL', 'WORKDIR',
    'USER', 'STOPSIGNAL', 'MAINTAINER', 'AS', 'NONE', 'x', 'a=b', '=', '"', "'", '\\', '`', '[', ']', '["a"]', '[1]', '{', '--', '--from=', '--link',
    '--interval=1s', '<<EOF', '#', '# escape=`', '# escape=\\', '$A', '${A:-b}', ' ', '  ', '\t', '\n', '\n', '\r\n', '\\\n', '`\n', 'é', '\u0000',
  ];
  test('2000 random Dockerfile-ish texts', () => {
    const rnd = new SeededRandom(14);
    for (let n = 0; n < 2000; n++) {
      let text = rnd.chance(0.7) ? 'FROM x\n' : '';
      const count = rnd.int(40);
      for (let i = 0; i < count; i++) text += rnd.pick(pieces) + (rnd.chance(0.5) ? ' ' : '');
      try {
        const d = parseDockerfile(text);
        expect(d.stages.length).toBeGreaterThan(0);
      } catch (err) {
        if (!(err instanceof DockerfileError)) throw new Error(`case ${n} (${JSON.stringify(text)}) threw ${String(err)}`);
        expect(err.message).toMatch(/^Dockerfile:\d+:\d+: \S/);
      }
    }
  });
});
