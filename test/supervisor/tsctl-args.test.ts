/**
 * tsctl's command lines as docker's: the parser on the real FlagSpec tables (POSIX short groups,
 * glued and separate values, `--`, flags ending at run's image), a seeded generator of hostile
 * argument vectors, the help and the bash and zsh completion scripts of the real bin/tsctl, and
 * docker's exit statuses (125, 126, 127) of the real bin/tsctl against a real tsrund.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseFlags, type FlagSpec } from '../../runtime/cli/args';
import { parseLine, UsageError } from '../../supervisor/tsctl/parser';
import { commandNotRunStatus, failureStatus } from '../../supervisor/tsctl/exit-status';
import { SECURITY_FLAGS } from '../../supervisor/tsctl/security-flags';
import { VOLUME_FLAGS } from '../../supervisor/tsctl/volume-flags';
import { NETWORK_RUN_FLAGS } from '../../supervisor/tsctl/network-flags';
import { LIFECYCLE_RUN_FLAGS } from '../../supervisor/tsctl/lifecycle-flags';
import { seededRandom } from '../helpers/seeded-random';
import { refusal } from './network/refusals';
import { buildBusyboxArchive } from '../helpers/oci-image';
import { useDaemon } from './fixtures';
import { TSCTL } from './daemon';

jest.setTimeout(120_000);

const RUN_FLAGS: FlagSpec[] = [
  { name: 'name', kind: 'string', usage: 'id' },
  { name: 'tty', short: 't', kind: 'bool', usage: 'terminal', default: false },
  { name: 'interactive', short: 'i', kind: 'bool', usage: 'stdin', default: false },
  { name: 'detach', short: 'd', kind: 'bool', usage: 'detach', default: false },
  { name: 'rm', kind: 'bool', usage: 'remove', default: false },
  { name: 'env', short: 'e', kind: 'list', usage: 'env' },
  { name: 'workdir', short: 'w', kind: 'string', usage: 'cwd', default: '' },
  ...SECURITY_FLAGS,
  ...VOLUME_FLAGS,
  ...NETWORK_RUN_FLAGS,
  ...LIFECYCLE_RUN_FLAGS,
];
const run = (argv: string[]) => parseLine(argv, RUN_FLAGS, 'tsctl run', { trailing: true });
const usageRefusal = (f: () => unknown): UsageError => {
  const err = refusal(f);
  expect(err).toBeInstanceOf(UsageError);
  return err as UsageError;
};

describe('the parser', () => {
  test('short bools grouped in any order: -it, -ti, -dit', () => {
    for (const g of ['-it', '-ti']) expect(run([g, 'img']).flags).toMatchObject({ tty: true, interactive: true, detach: false });
    expect(run(['-dit', 'img', 'sh'])).toMatchObject({ flags: { tty: true, interactive: true, detach: true }, args: ['img', 'sh'] });
  });

  test('a short flag taking a value takes the rest of its group, or the next argument whatever it is', () => {
    expect(run(['-eFOO=bar', '-e', 'X=1', '-e=Y', '--env=Z=2', '--env', 'W', 'img']).flags.env).toEqual(['FOO=bar', 'X=1', 'Y', 'Z=2', 'W']);
    expect(run(['-ite', 'A=1', 'img']).flags).toMatchObject({ tty: true, interactive: true, env: ['A=1'] });
    expect(run(['-p8080:80', '-v', '/a:/b', 'img']).flags).toMatchObject({ publish: ['8080:80'], volume: ['/a:/b'] });
    expect(run(['-w', '-x', 'img']).flags.workdir).toBe('-x');
    expect(run(['-w', '', 'img']).flags.workdir).toBe('');
    expect(run(['--tty=false', '-t=false', '--rm=true', 'img']).flags).toMatchObject({ tty: false, rm: true });
    expect(run(['--stop-timeout=-1', 'img']).flags['stop-timeout']).toBe(-1);
    expect(run(['--net', 'host', 'img']).flags.network).toEqual(['host']);
    expect(run(['--name', 'a', '--name=b', 'img']).flags.name).toBe('b');
  });

  test("everything after run's image is the container's command: -c, -l, --rm, -- untouched", () => {
    expect(run(['--rm', 'img', 'sh', '-c', 'ls -l']).args).toEqual(['img', 'sh', '-c', 'ls -l']);
    expect(run(['img', '--rm', '-it', '--', '-x']).args).toEqual(['img', '--rm', '-it', '--', '-x']);
    expect(run(['img']).flags.rm).toBe(false);
    expect(run(['--', '-img', 'a']).args).toEqual(['-img', 'a']);
    expect(run(['-', 'a']).args).toEqual(['-', 'a']);
  });

  test('flags between operands of other commands, as docker rm c1 -f c2', () => {
    const rm: FlagSpec[] = [{ name: 'force', short: 'f', kind: 'bool', usage: 'force', default: false }];
    expect(parseLine(['c1', '-f', 'c2', '--', '-c3'], rm, 'tsctl rm')).toEqual({ flags: { force: true }, args: ['c1', 'c2', '-c3'] });
  });

  test("the values handed to the commands are the shape runc's parser gave (defaults, lists, ints)", () => {
    const argv = ['--name', 'x', '-t', '-e', 'A=1', '-e', 'B=2', '--stop-timeout', '3', '--cap-add', 'NET_ADMIN', 'img', 'sh'];
    const old = parseFlags(argv, RUN_FLAGS, 'tsctl run');
    expect(run(argv)).toEqual({ flags: old.flags, args: old.rest });
  });

  test('refusals: one line naming the flag and pointing at the help; a flag refusal is docker\'s 125', () => {
    const cases: [string[], string][] = [
      [['--bogus', 'img'], 'tsctl run: unknown flag: --bogus (see tsctl run --help)'],
      [['-itz', 'img'], 'tsctl run: unknown shorthand flag: "z" in -itz (see tsctl run --help)'],
      [['--name'], 'tsctl run: flag needs an argument: --name (see tsctl run --help)'],
      [['-it', '-e'], 'tsctl run: flag needs an argument: -e (see tsctl run --help)'],
      [['--stop-timeout', 'soon', 'img'], 'tsctl run: invalid value "soon" for flag --stop-timeout: must be an integer (see tsctl run --help)'],
      [['--tty=maybe', 'img'], 'tsctl run: invalid value "maybe" for flag --tty: give true or false (see tsctl run --help)'],
      [['--a\nb', 'img'], 'tsctl run: unknown flag: "--a\\nb" (see tsctl run --help)'],
    ];
    for (const [argv, line] of cases) {
      const err = usageRefusal(() => run(argv));
      expect({ argv, message: err.message }).toEqual({ argv, message: line });
      expect(err.flag).toBe(true);
      expect(failureStatus('ls', err, err.message)).toBe(125);
    }
  });

  test('seeded argument vectors: parsed into the declared flags, or refused in one line; never another failure', () => {
    const random = seededRandom(0x7c71);
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
    const names = RUN_FLAGS.flatMap((f) => [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])]);
    const junk = ['', '-', '--', '=', '-=', '--=', '-e=', '---x', '-\u00e9', '--\u0000', 'img', 'sh', '-c', 'a=b', '-1', '\n', '💥', 'x'.repeat(300)];
    let parsed = 0;
    for (let n = 0; n < 1000; n++) {
      const argv = Array.from({ length: Math.floor(random() * 8) }, () => {
        const r = random();
        if (r < 0.4) return pick(names);
        if (r < 0.55) return `${pick(names)}=${pick(junk)}`;
        if (r < 0.7) return `-${Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(['i', 't', 'd', 'e', 'p', 'v', 'P', 'q'])).join('')}${pick(['', 'X=1', '80'])}`;
        return pick(junk);
      });
      try {
        const r = run(argv);
        parsed++;
        expect(Object.keys(r.flags).sort()).toEqual(RUN_FLAGS.map((f) => f.name).sort());
        for (const a of r.args) expect(typeof a).toBe('string');
      } catch (err) {
        expect({ argv, err }).toEqual({ argv, err: expect.any(UsageError) });
        const message = (err as Error).message;
        expect({ argv, message }).toEqual({ argv, message: expect.stringMatching(/^tsctl run: [^\n]{1,200} \(see tsctl run --help\)$/) });
      }
    }
    // Both outcomes were exercised.
    expect(parsed).toBeGreaterThan(100);
    expect(parsed).toBeLessThan(900);
  });
});

describe('exit statuses', () => {
  test("the container's command not run: 127 not found, 126 not executable; as tsrund words it", () => {
    expect(commandNotRunStatus('exec: "nosuch": executable file not found in $PATH')).toBe(127);
    expect(commandNotRunStatus('start c1: exec: "/nonexistent": ENOENT (No such file or directory)')).toBe(127);
    expect(commandNotRunStatus('unable to start container process: exec: "/etc/passwd": EACCES (Permission denied)')).toBe(126);
    expect(commandNotRunStatus('exec: "/bin/x": ENOEXEC (Exec format error)')).toBe(126);
    expect(commandNotRunStatus('mount proc on /proc: EPERM (Operation not permitted)')).toBeNull();
  });
});

describe('help and completion of bin/tsctl', () => {
  const tsctl = (...args: string[]) => spawnSync(TSCTL, ['--address', '/nonexistent/ap.sock', ...args], { encoding: 'utf8' });

  test('tsctl --help, tsctl help, COMMAND --help, GROUP SUB --help: flags with their short forms and defaults', () => {
    const top = tsctl('--help');
    expect(top.status).toBe(0);
    expect(top.stdout).toMatch(/^Usage: tsctl \[global options\] COMMAND/);
    expect(top.stdout).toMatch(/^ {2}run +create and start a container/m);
    expect(top.stdout).toMatch(/^ {2}-a, --address +tsrund's socket +\[string\] \[default: "\/run\/tsrund\/tsrund.sock"\]$/m);
    expect(tsctl('help').stdout).toBe(top.stdout);
    const runHelp = tsctl('run', '--help');
    expect(runHelp.status).toBe(0);
    expect(runHelp.stdout).toMatch(/^ {2}-t, --tty +give the container a terminal +\[boolean\] \[default: false\]$/m);
    expect(runHelp.stdout).toMatch(/^ {2}-p, --publish /m);
    expect(tsctl('help', 'run').stdout).toBe(runHelp.stdout);
    const groupHelp = tsctl('network', '--help');
    expect(groupHelp.stdout).toMatch(/^ {2}create +create a network/m);
    const sub = tsctl('network', 'create', '--help');
    expect(sub.status).toBe(0);
    expect(sub.stdout).toMatch(/^Usage: tsctl network create \[options\] NAME$/m);
    expect(sub.stdout).toMatch(/^ {2}-l, --label /m);
    expect(tsctl('help', 'network', 'create').stdout).toBe(sub.stdout);
    expect(tsctl('images', 'ls', '-h').stdout).toMatch(/^Usage: tsctl images ls/);
    expect(tsctl('help', 'nosuch')).toMatchObject({ status: 1, stderr: 'tsctl: help: no command "nosuch" (see tsctl --help)\n' });
    expect(tsctl('completion', 'fish')).toMatchObject({ status: 1, stderr: 'tsctl: completion: no script for "fish": give bash or zsh\n' });
  });

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-completion-'));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
  const script = (shell: string) => {
    const file = path.join(work, `tsctl.${shell}`);
    const r = tsctl('completion', shell);
    expect(r.status).toBe(0);
    fs.writeFileSync(file, r.stdout);
    return file;
  };

  /** What bash's completion offers with the cursor at the end of `words` (the last one being typed). */
  const bashOffers = (file: string, words: string[]) =>
    execFileSync('bash', ['-c', 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _tsctl; printf "%s\\n" "${COMPREPLY[@]}"', '_', file, ...words], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .sort();

  test('bash: commands, subcommands and flags; nothing of its own after run IMAGE or on a flag\'s value', () => {
    const file = script('bash');
    expect(bashOffers(file, ['tsctl', 'ne'])).toEqual(['network']);
    expect(bashOffers(file, ['tsctl', ''])).toEqual(expect.arrayContaining(['run', 'images', 'volume', 'network', 'completion', 'help']));
    expect(bashOffers(file, ['tsctl', '--address', '/s', 'images', ''])).toEqual(['export', 'import', 'inspect', 'ls', 'pull', 'push', 'rm', 'tag']);
    expect(bashOffers(file, ['tsctl', 'network', 'create', '--'])).toEqual(['--gateway', '--help', '--internal', '--json', '--label', '--subnet']);
    expect(bashOffers(file, ['tsctl', 'run', '-it', '--pri'])).toEqual(['--privileged']);
    expect(bashOffers(file, ['tsctl', 'run', '--name', 'x', '--publish-'])).toEqual(['--publish-all']);
    expect(bashOffers(file, ['tsctl', 'run', '--name', '-'])).toEqual([]);
    expect(bashOffers(file, ['tsctl', 'run', 'img', 'sh', '-'])).toEqual([]);
    expect(bashOffers(file, ['tsctl', 'rm', 'c1', '--f'])).toEqual(['--force']);
    expect(bashOffers(file, ['tsctl', 'completion', ''])).toEqual(['bash', 'zsh']);
    expect(bashOffers(file, ['tsctl', 'help', 'vo'])).toEqual(['volume']);
    expect(execFileSync('bash', ['-c', 'source "$1"; complete -p tsctl', '_', file], { encoding: 'utf8' })).toBe('complete -o default -F _tsctl tsctl\n');
  });

  const zsh = spawnSync('zsh', ['--version']).status === 0;
  (zsh ? test : test.skip)('zsh: the same candidates through compadd (zsh not installed: scripts/setup.sh installs it)', () => {
    const file = script('zsh');
    // compadd and _files stand in for zsh's completion widgets, which need a terminal: each prints what it was given.
    const zshOffers = (words: string[]) =>
      execFileSync(
        'zsh',
        ['-f', '-c', 'compdef() { :; }; compadd() { [[ $1 == -- ]] && shift; print -rl -- "$@"; }; _files() { print -r -- "<files>"; }; source "$1"; shift; words=("$@"); CURRENT=$#; _tsctl', '_', file, ...words],
        { encoding: 'utf8' },
      )
        .split('\n')
        .filter((w) => w !== '' && w.startsWith(words[words.length - 1]))
        .sort();
    expect(zshOffers(['tsctl', 'vol'])).toEqual(['volume']);
    expect(zshOffers(['tsctl', 'images', ''])).toEqual(['export', 'import', 'inspect', 'ls', 'pull', 'push', 'rm', 'tag']);
    expect(zshOffers(['tsctl', 'run', '-d', '--rest'])).toEqual(['--restart']);
    expect(zshOffers(['tsctl', 'run', 'img', ''])).toEqual(['<files>']);
    const registered = spawnSync('zsh', ['-f', '-c', 'compdef() { print -r -- "compdef $*"; }; source "$1"', '_', file], { encoding: 'utf8' });
    expect(registered.stdout).toBe('compdef _tsctl tsctl\n');
  });
});

describe('through tsrund', () => {
  const f = useDaemon();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-tsctl-args-'));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
  const tsctl = (...args: string[]) => {
    const r = spawnSync(TSCTL, ['--address', f.daemon.address, ...args], { encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const ref = 'localhost/ap/args:1';
  beforeAll(() => {
    const { file } = buildBusyboxArchive(work, ref);
    expect(tsctl('images', 'import', file).status).toBe(0);
  });

  test("run IMAGE sh -c '...' -l: the container's command keeps its flags; a short flag's value glued (-v/path)", () => {
    expect(tsctl('run', '--rm', ref, 'sh', '-c', 'echo "[$*]"', 'sh', '-l', '-c', '--rm', '-it')).toEqual({ status: 0, stdout: '[-l -c --rm -it]\n', stderr: '' });
    expect(tsctl('run', '--rm', '-v/ap-data', ref, 'sh', '-c', 'grep -c " /ap-data " /proc/mounts')).toMatchObject({ status: 0, stdout: '1\n' });
    expect(tsctl('run', '--rm', ref, 'sh', '-c', 'exit 3')).toMatchObject({ status: 3, stderr: '' });
  });

  test('run -dit: detached, with a terminal and stdin', async () => {
    const id = `ap-${process.pid}-dit`;
    expect(tsctl('run', '-dit', '--name', id, ref, 'sh')).toMatchObject({ status: 0, stdout: `${id}\n` });
    expect(await f.c().getTask(id)).toMatchObject({ terminal: true, stdin: true, status: 'RUNNING' });
    expect(tsctl('rm', id, '-f')).toMatchObject({ status: 0, stdout: `${id}\n` });
  });

  test("docker's statuses: 125 tsctl's or tsrund's failure on run/create/exec, 126 not executable, 127 not found", async () => {
    const refused = (status: number, args: string[], line: RegExp) => {
      const r = tsctl(...args);
      expect({ args, status: r.status, stderr: r.stderr }).toEqual({ args, status, stderr: expect.stringMatching(line) });
      expect(r.stderr.trimEnd()).not.toContain('\n');
    };
    refused(125, ['run', '--bogus', ref], /^tsctl run: unknown flag: --bogus \(see tsctl run --help\)\n$/);
    refused(125, ['ls', '-z'], /^tsctl ls: unknown shorthand flag: "z" in -z/);
    refused(125, ['run'], /^tsctl: run: give --bundle DIR or an image\n$/);
    refused(125, ['exec', 'x'], /^tsctl: exec: expects ID COMMAND \[ARG\.\.\.\] \(see tsctl exec --help\)\n$/);
    refused(1, ['rename', 'x'], /^tsctl: rename: expects ID NEW_ID/);
    refused(125, ['run', '--rm', '--pull', 'never', 'localhost/ap/missing:1', 'true'], /missing/);
    refused(125, ['create', '--name', `ap-${process.pid}-bad`, '--restart', 'sometimes', ref], /--restart "sometimes"/);
    refused(127, ['run', '--rm', ref, '/nonexistent'], /^tsctl: .*exec: "\/nonexistent": ENOENT/);
    refused(127, ['run', '--rm', ref, 'nosuchcmd'], /exec: "nosuchcmd": executable file not found in \$PATH/);
    refused(126, ['run', '--rm', ref, '/etc/passwd'], /exec: "\/etc\/passwd": EACCES/);
    const id = `ap-${process.pid}-exec`;
    expect(tsctl('run', '-d', '--name', id, ref, 'sleep', '60').status).toBe(0);
    try {
      refused(127, ['exec', id, '/nonexistent'], /exec: "\/nonexistent": ENOENT/);
      refused(126, ['exec', id, '/etc/passwd'], /EACCES/);
      expect(tsctl('exec', id, 'sh', '-c', 'echo "$@"', 'sh', '-x', '--y')).toMatchObject({ status: 0, stdout: '-x --y\n' });
      expect(tsctl('exec', '-eFOO=bar', '-e', 'BAZ=qux', '--env=Q=1', '-w/tmp', id, 'sh', '-c', 'echo "$FOO $BAZ $Q $PWD"')).toMatchObject({ status: 0, stdout: 'bar qux 1 /tmp\n' });
    } finally {
      tsctl('rm', '-f', id);
    }
    expect((await f.c().listContainers()).filter((k) => k.id.startsWith('ap-'))).toEqual([]);
    // tsrund unreachable: 125 on run, 1 on the others.
    const away = (...args: string[]) => spawnSync(TSCTL, ['--address', path.join(work, 'none.sock'), ...args], { encoding: 'utf8' });
    expect(away('run', ref)).toMatchObject({ status: 125, stderr: expect.stringContaining('no tsrund serves') });
    expect(away('ls')).toMatchObject({ status: 1, stderr: expect.stringContaining('no tsrund serves') });
  });
});
