/**
 * What the metadata instructions do to an image config (Docker's semantics), and `commit -c`'s
 * parsing and refusals.
 */
import { applyChanges, applyInstruction, applyInstructions, ContainerConfig, exposedPorts, parseChanges } from '../../supervisor/build/config-changes';
import { DockerfileError, parseInstructions } from '../../supervisor/build/dockerfile/parse';

const ins = (line: string) => parseInstructions(line, 'Dockerfile')[0];
const apply = (config: ContainerConfig, ...lines: string[]) => applyInstructions(config, lines.map(ins));

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(DockerfileError);
    return (err as Error).message;
  }
  throw new Error('no error');
}

describe('applyInstruction', () => {
  test.each<[string, ContainerConfig, string[], ContainerConfig]>([
    ['CMD shell form wrapped in the default shell', {}, ['CMD echo $HOME'], { Cmd: ['/bin/sh', '-c', 'echo $HOME'] }],
    ['CMD exec form as is', {}, ['CMD ["a", "b"]'], { Cmd: ['a', 'b'] }],
    ['SHELL then CMD', {}, ['SHELL ["/bin/bash", "-eu", "-c"]', 'CMD ls'], { Shell: ['/bin/bash', '-eu', '-c'], Cmd: ['/bin/bash', '-eu', '-c', 'ls'] }],
    ['ENTRYPOINT drops the base Cmd', { Cmd: ['sh'] }, ['ENTRYPOINT ["top", "-b"]'], { Entrypoint: ['top', '-b'], Cmd: null }],
    ['ENTRYPOINT keeps a CMD of the stage', { Cmd: ['sh'] }, ['CMD ["-c"]', 'ENTRYPOINT top'], { Cmd: ['-c'], Entrypoint: ['/bin/sh', '-c', 'top'] }],
    ['ENV replaces a key in place', { Env: ['PATH=/bin', 'A=1', 'B=2'] }, ['ENV A=3 C=4'], { Env: ['PATH=/bin', 'A=3', 'B=2', 'C=4'] }],
    ['ENV keys are case-sensitive', { Env: ['a=1'] }, ['ENV A=2'], { Env: ['a=1', 'A=2'] }],
    ['LABEL merges', { Labels: { a: '1', b: '2' } }, ['LABEL b=3 c=4'], { Labels: { a: '1', b: '3', c: '4' } }],
    ['EXPOSE defaults to tcp, ranges', { ExposedPorts: { '22/tcp': {} } }, ['EXPOSE 80 53/UDP 8000-8002/sctp'], {
      ExposedPorts: { '22/tcp': {}, '80/tcp': {}, '53/udp': {}, '8000/sctp': {}, '8001/sctp': {}, '8002/sctp': {} },
    }],
    ['ONBUILD appends the trigger as written', { OnBuild: ['RUN a'] }, ['ONBUILD COPY $X /y'], { OnBuild: ['RUN a', 'COPY $X /y'] }],
    ['USER', {}, ['USER 1000:1000'], { User: '1000:1000' }],
    ['VOLUME merges', { Volumes: { '/a': {} } }, ['VOLUME /b /c'], { Volumes: { '/a': {}, '/b': {}, '/c': {} } }],
    ['WORKDIR relative to the previous, cleaned', {}, ['WORKDIR /a', 'WORKDIR b', 'WORKDIR c/../d/'], { WorkingDir: '/a/b/d' }],
    ['WORKDIR relative from nothing', {}, ['WORKDIR a'], { WorkingDir: '/a' }],
    ['WORKDIR absolute', { WorkingDir: '/x' }, ['WORKDIR //y/./z'], { WorkingDir: '/y/z' }],
    ['STOPSIGNAL', {}, ['STOPSIGNAL SIGRTMIN+3'], { StopSignal: 'SIGRTMIN+3' }],
    ['HEALTHCHECK NONE', { Healthcheck: { Test: ['CMD', 'x'] } }, ['HEALTHCHECK NONE'], { Healthcheck: { Test: ['NONE'] } }],
    ['HEALTHCHECK shell form, durations in ns', {}, ['HEALTHCHECK --interval=1m30s --timeout=500ms --start-period=0 --retries=3 CMD curl -f x'], {
      Healthcheck: { Test: ['CMD-SHELL', 'curl -f x'], Interval: 90e9, Timeout: 500e6, Retries: 3 },
    }],
    ['HEALTHCHECK exec form', {}, ['HEALTHCHECK --start-interval=2s CMD ["true"]'], { Healthcheck: { Test: ['CMD', 'true'], StartInterval: 2e9 } }],
    ['MAINTAINER changes nothing here', { User: 'u' }, ['MAINTAINER me'], { User: 'u' }],
  ])('%s', (_name, config, lines, expected) => {
    const before = JSON.stringify(config);
    expect(apply(config, ...lines)).toEqual(expected);
    expect(JSON.stringify(config)).toBe(before); // not modified
  });

  test('the shell given wraps shell forms; cmdSet keeps Cmd', () => {
    expect(applyInstruction({ Cmd: ['x'] }, ins('ENTRYPOINT run'), ['cmd', '/S', '/C'], { cmdSet: true })).toEqual({ Cmd: ['x'], Entrypoint: ['cmd', '/S', '/C', 'run'] });
  });

  test.each<[string, string]>([
    ['EXPOSE 80/foo', 'Dockerfile:1:1: invalid port "80/foo" in EXPOSE'],
    ['EXPOSE 70000', 'invalid port "70000"'],
    ['EXPOSE 90-80', 'invalid port "90-80"'],
    ['EXPOSE http', 'invalid port "http"'],
    ['STOPSIGNAL SIGFOO', 'Dockerfile:1:1: invalid signal "SIGFOO" in STOPSIGNAL'],
    ['STOPSIGNAL 0', 'invalid signal "0"'],
    ['STOPSIGNAL RTMIN+16', 'invalid signal "RTMIN+16"'],
  ])('%s refused', (line, message) => {
    expect(errorOf(() => apply({}, line))).toContain(message);
  });

  test('signals Docker takes', () => {
    for (const s of ['9', 'KILL', 'sigterm', 'SIGUSR1', 'RTMAX-14', 'SIGWINCH']) expect(apply({}, `STOPSIGNAL ${s}`).StopSignal).toBe(s);
  });

  test('build steps are refused (a caller bug)', () => {
    expect(() => applyInstruction({}, ins('RUN x'))).toThrow(/RUN is no metadata instruction/);
  });

  test('exposedPorts', () => {
    expect(exposedPorts('0')).toEqual(['0/tcp']);
    expect(exposedPorts('65535/udp')).toEqual(['65535/udp']);
    expect(exposedPorts('1-')).toBeNull();
    expect(exposedPorts('')).toBeNull();
  });
});

describe('parseChanges (commit -c)', () => {
  test("Docker's commit set, in order", () => {
    const changes = parseChanges(['CMD ["sh"]', 'ENV A=1 B=2', 'EXPOSE 80', 'LABEL a=b', 'ONBUILD RUN x', 'USER u', 'VOLUME /v', 'WORKDIR /w', 'STOPSIGNAL 9', 'ENTRYPOINT ["e"]', 'HEALTHCHECK NONE']);
    expect(changes.map((c) => c.kind)).toEqual(['CMD', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'USER', 'VOLUME', 'WORKDIR', 'STOPSIGNAL', 'ENTRYPOINT', 'HEALTHCHECK']);
    expect(applyInstructions({ Cmd: ['old'] }, changes)).toEqual({
      Cmd: ['sh'],
      Entrypoint: ['e'],
      Env: ['A=1', 'B=2'],
      ExposedPorts: { '80/tcp': {} },
      Labels: { a: 'b' },
      OnBuild: ['RUN x'],
      User: 'u',
      Volumes: { '/v': {} },
      WorkingDir: '/w',
      StopSignal: '9',
      Healthcheck: { Test: ['NONE'] },
    });
  });

  test.each<[string[], string]>([
    [['CMD x', 'RUN rm -rf /'], '--change[1]:1:1: RUN cannot be a commit change (commit takes CMD ENTRYPOINT'],
    [['FROM x'], '--change[0]:1:1: FROM cannot be a commit change'],
    [['COPY a b'], 'COPY cannot be a commit change'],
    [['SHELL ["sh"]'], 'SHELL cannot be a commit change'],
    [['CMD x', 'ENVV A=1'], '--change[1]:1:1: unknown instruction: ENVV (did you mean ENV?)'],
    [[''], '--change[0]:1:1: empty change'],
    [['ENV A'], '--change[0]:1:6: ENV A needs a value'],
  ])('%j refused', (lines, message) => {
    expect(errorOf(() => parseChanges(lines))).toContain(message);
  });

  test('applyChanges substitutes with the Env in effect at each change, as docker commit does', () => {
    const config = applyChanges({ Env: ['HOME=/root', 'V=1'], Cmd: ['sh'] }, ['ENV V=2 APP=$HOME/app', 'WORKDIR $APP', 'LABEL v=$V', 'CMD ["$V"]', 'ENTRYPOINT ["/e"]', 'ONBUILD RUN echo $V']);
    expect(config).toEqual({
      Env: ['HOME=/root', 'V=2', 'APP=/root/app'],
      WorkingDir: '/root/app',
      Labels: { v: '2' },
      Cmd: ['$V'], // CMD takes no substitution
      Entrypoint: ['/e'],
      OnBuild: ['RUN echo $V'],
    });
    expect(applyChanges({ Cmd: ['sh'] }, ['ENTRYPOINT ["/e"]']).Cmd).toBeNull();
    expect(() => applyChanges({}, ['CMD x', 'EXPOSE ${P:?unset}'])).toThrow('--change[1]:1:1: P: unset');
    expect(() => applyChanges({}, ['EXPOSE 80/ftp'])).toThrow('--change[0]:1:1: invalid port "80/ftp" in EXPOSE');
  });
});
