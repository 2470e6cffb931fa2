/**
 * `tsctl ps` / `tsctl ls` as docker ps: the pure formatting (docker's duration words, STATUS
 * texts, COMMAND quoting and truncation, PORTS grouping, the table's alignment, --format, the
 * selection of -a, -n, -l and the filters), also over a bounded seeded generator of containers;
 * then the real bin/tsctl against a real tsrund with running, paused, exited, created and bundle
 * containers and a published port.
 */
import { execFile, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import type { Container, PortMapping, Task, TaskStatus, Timestamp } from '../../supervisor/api/types';
import { humanDuration } from '../../supervisor/tsctl/output';
import { commandText, formatEntries, goQuote, parseContainerFilter, portsText, selectEntries, statusText, type PsEntry } from '../../supervisor/tsctl/ps';
import { buildBusyboxArchive } from '../helpers/oci-image';
import { seededRandom } from '../helpers/seeded-random';
import { useDaemon } from './fixtures';
import { TSCTL, until } from './daemon';

jest.setTimeout(120_000);

const NOW = Date.UTC(2026, 11, 2, 6, 0, 0);
const at = (msAgo: number): Timestamp => ({ seconds: Math.floor((NOW - msAgo) / 1000), nanos: ((NOW - msAgo) % 1000) * 1e6 });
const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

function container(id: string, o: Partial<Container> & { args?: string[] } = {}): Container {
  const { args = ['sleep', '600'], ...rest } = o;
  return {
    id,
    bundle: '',
    image: 'docker.io/library/busybox:latest',
    labels: {},
    overrides: null,
    createdAt: at(10 * MIN),
    specJson: JSON.stringify({ process: { args } }),
    networkStatus: null,
    restartStatus: null,
    ...rest,
  } as Container;
}

function task(id: string, status: TaskStatus, o: Partial<Task> = {}): Task {
  return { id, pid: 1234, status, exitStatus: 0, exitedAt: null, terminal: false, stdin: false, monitorPid: 1233, createdAt: at(5 * MIN), ...o };
}

const port = (hostPort: number, containerPort: number, hostIp = '', protocol = 'tcp'): PortMapping => ({ hostIp, hostPort, containerPort, protocol });

describe('formatting', () => {
  test("durations in docker's words, at each boundary", () => {
    const cases: [number, string][] = [
      [0, 'Less than a second'],
      [999, 'Less than a second'],
      [SEC, '1 second'],
      [2 * SEC, '2 seconds'],
      [MIN - 1, '59 seconds'],
      [MIN, 'About a minute'],
      [2 * MIN - 1, 'About a minute'],
      [2 * MIN, '2 minutes'],
      [HOUR - 1, '59 minutes'],
      [HOUR, 'About an hour'],
      [90 * MIN - 1, 'About an hour'],
      [90 * MIN, '2 hours'],
      [47 * HOUR, '47 hours'],
      [47.5 * HOUR, '2 days'],
      [13 * DAY, '13 days'],
      [14 * DAY, '2 weeks'],
      [59 * DAY, '8 weeks'],
      [60 * DAY, '2 months'],
      [729 * DAY, '24 months'],
      [730 * DAY, '2 years'],
    ];
    expect(cases.map(([ms]) => [ms, humanDuration(ms)])).toEqual(cases);
  });

  test('STATUS: Up, Up (Paused), Exited (N) ... ago, Restarting (N) ... ago, Created', () => {
    const k = container('web');
    const restarting = container('web', { restartStatus: { restartCount: 1, stoppedByUser: false, restarting: true } });
    expect(statusText({ container: k, task: task('web', 'RUNNING') }, NOW)).toBe('Up 5 minutes');
    expect(statusText({ container: k, task: task('web', 'PAUSED', { createdAt: at(HOUR) }) }, NOW)).toBe('Up About an hour (Paused)');
    expect(statusText({ container: k, task: task('web', 'STOPPED', { exitStatus: 3, exitedAt: at(2 * SEC) }) }, NOW)).toBe('Exited (3) 2 seconds ago');
    expect(statusText({ container: restarting, task: task('web', 'STOPPED', { exitStatus: 1, exitedAt: at(3 * SEC) }) }, NOW)).toBe('Restarting (1) 3 seconds ago');
    expect(statusText({ container: restarting, task: null }, NOW)).toBe('Restarting');
    expect(statusText({ container: k, task: task('web', 'CREATED') }, NOW)).toBe('Created');
    expect(statusText({ container: k, task: null }, NOW)).toBe('Created');
  });

  test('COMMAND: joined, quoted as Go quotes, cut to 20 characters with … unless --no-trunc', () => {
    expect(commandText(['sleep', '600'], false)).toBe('"sleep 600"');
    expect(commandText(['sh', '-c', 'echo "hi"\n'], false)).toBe('"sh -c echo \\"hi\\"\\n"');
    expect(commandText(['12345678901234567890'], false)).toBe('"12345678901234567890"');
    expect(commandText(['123456789012345678901'], false)).toBe('"1234567890123456789…"');
    expect(commandText(['123456789012345678901'], true)).toBe('"123456789012345678901"');
    expect(commandText([], false)).toBe('""');
    expect(goQuote('a\x01\x7f\u0085é\\')).toBe('"a\\x01\\x7f\\u0085é\\\\"');
  });

  test('PORTS: ip:host->container/proto, same-number runs as ranges, others after, 0.0.0.0 for every address', () => {
    expect(portsText([])).toBe('');
    expect(portsText([port(8080, 80)])).toBe('0.0.0.0:8080->80/tcp');
    expect(portsText([port(53, 53, '127.0.0.1', 'udp')])).toBe('127.0.0.1:53->53/udp');
    expect(portsText([port(8002, 8002), port(8000, 8000), port(8001, 8001), port(9000, 9000), port(32768, 80, '127.0.0.1')])).toBe(
      '0.0.0.0:8000-8002->8000-8002/tcp, 0.0.0.0:9000->9000/tcp, 127.0.0.1:32768->80/tcp',
    );
    expect(portsText([port(53, 53, '', 'udp'), port(53, 53)])).toBe('0.0.0.0:53->53/tcp, 0.0.0.0:53->53/udp');
    // docker's order: a run a gap ended first, then each open run in the order first seen.
    expect(portsText([port(80, 80), port(80, 80, '', 'udp'), port(82, 82, '', 'udp'), port(84, 84)])).toBe(
      '0.0.0.0:80->80/udp, 0.0.0.0:80->80/tcp, 0.0.0.0:84->84/tcp, 0.0.0.0:82->82/udp',
    );
  });

  test("docker ps's table: columns at least 10 wide, 3 spaces apart, ids cut to 12 unless --no-trunc", () => {
    const entries: PsEntry[] = [
      {
        container: container('web', { networkStatus: { netnsPath: '', endpoints: [], hostname: 'web', ports: [port(8080, 80)] } }),
        task: task('web', 'RUNNING'),
      },
      { container: container('a-long-container-name', { image: '', bundle: '/srv/bundle', args: ['sh', '-c', 'exit 3'] }), task: task('x', 'STOPPED', { exitStatus: 3, exitedAt: at(MIN) }) },
    ];
    expect(formatEntries(entries, undefined, { noTrunc: false, now: NOW })).toBe(
      [
        'CONTAINER ID   IMAGE                              COMMAND          CREATED          STATUS                          PORTS                  NAMES',
        'web            docker.io/library/busybox:latest   "sleep 600"      10 minutes ago   Up 5 minutes                    0.0.0.0:8080->80/tcp   web',
        'a-long-conta   /srv/bundle                        "sh -c exit 3"   10 minutes ago   Exited (3) About a minute ago                          a-long-container-name',
        '',
      ].join('\n'),
    );
    expect(formatEntries(entries, '{{.ID}}|{{ .Names }}\\t{{.State}}', { noTrunc: true, now: NOW })).toBe('web|web\trunning\na-long-container-name|a-long-container-name\texited\n');
    expect(formatEntries(entries.slice(0, 1), 'table {{.Names}}\\t{{.Status}}', { noTrunc: false, now: NOW })).toBe('NAMES     STATUS\nweb       Up 5 minutes\n');
    expect(formatEntries([], undefined, { noTrunc: false, now: NOW })).toBe('CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n');
    expect(() => formatEntries(entries, '{{.Size}}', { noTrunc: false, now: NOW })).toThrow(
      '--format: {{.Size}} is not supported: give {{.Field}} with Field one of ID, Image, Command, CreatedAt, RunningFor, Status, State, Ports, Names, Labels',
    );
    expect(() => formatEntries(entries, '{{json .}}', { noTrunc: false, now: NOW })).toThrow(/^--format: \{\{json \.\}\} is not supported/);
    expect(() => formatEntries(entries, '{{.ID', { noTrunc: false, now: NOW })).toThrow('--format: an unclosed {{ or a stray }}');
  });

  test('selection: running ones newest first; -a; a status filter and -n take every state; filters', () => {
    const e = (id: string, ago: number, status: TaskStatus | null, labels: Record<string, string> = {}): PsEntry => ({
      container: container(id, { createdAt: at(ago), labels }),
      task: status ? task(id, status) : null,
    });
    const entries = [e('old-up', 3 * HOUR, 'RUNNING', { app: 'web' }), e('paused', 2 * HOUR, 'PAUSED'), e('exited', HOUR, 'STOPPED'), e('created', MIN, null, { app: 'db' }), e('new-up', SEC, 'RUNNING')];
    const ids = (s: Parameters<typeof selectEntries>[1]) => selectEntries(entries, s).map((x) => x.container.id);
    const none = { all: false, filters: [], last: -1 };
    expect(ids(none)).toEqual(['new-up', 'paused', 'old-up']);
    expect(ids({ ...none, all: true })).toEqual(['new-up', 'created', 'exited', 'paused', 'old-up']);
    expect(ids({ ...none, filters: [parseContainerFilter('status=exited'), parseContainerFilter('status=created')] })).toEqual(['created', 'exited']);
    expect(ids({ ...none, last: 2 })).toEqual(['new-up', 'created']);
    expect(ids({ ...none, last: 0 })).toEqual([]);
    expect(ids({ ...none, all: true, filters: [parseContainerFilter('label=app')] })).toEqual(['created', 'old-up']);
    entries[2].task!.exitStatus = 3;
    expect(ids({ ...none, all: true, filters: [parseContainerFilter('exited=3')] })).toEqual(['exited']);
    expect(ids({ ...none, all: true, filters: [parseContainerFilter('exited=0')] })).toEqual([]);
    expect(ids({ ...none, filters: [parseContainerFilter('exited=3')] })).toEqual([]);
    expect(() => parseContainerFilter('exited=x')).toThrow('--filter "exited=x": give an exit code (0-255)');
    expect(ids({ ...none, filters: [parseContainerFilter('label=app=web'), parseContainerFilter('id=old')] })).toEqual(['old-up']);
    expect(() => parseContainerFilter('status=sleeping')).toThrow('--filter "status=sleeping": the status is one of created, restarting, running, removing, paused, exited, dead');
    expect(() => parseContainerFilter('colour=red')).toThrow('--filter "colour=red": expected KEY=VALUE, KEY one of status, exited, label, id, name, ancestor');
  });
});

/** Go's strconv.Unquote for what goQuote writes. */
function goUnquote(q: string): string {
  const named: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '"': '"', '\\': '\\' };
  return q.slice(1, -1).replace(/\\(x[0-9a-f]{2}|u[0-9a-f]{4}|.)/g, (_m, e: string) => (e.length > 1 ? String.fromCodePoint(parseInt(e.slice(1), 16)) : named[e]));
}

test('seeded: 300 generated lists keep the table aligned, the words docker uses, the cut commands, every published port and the selection rules', () => {
  const random = seededRandom(1302);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const word = () => {
    const alphabet = 'abcxyz -_."\\\n\té…\x01';
    return Array.from({ length: Math.floor(random() * 14) }, () => pick([...alphabet])).join('');
  };
  const STATUS_TEXT = /^(Up [A-Za-z0-9 ]+( \(Paused\))?|Exited \(\d+\) [A-Za-z0-9 ]+ ago|Restarting( \(\d+\) [A-Za-z0-9 ]+ ago)?|Created)$/;
  for (let round = 0; round < 300; round++) {
    const entries: PsEntry[] = Array.from({ length: Math.floor(random() * 8) }, (_, i) => {
      const id = `c${i}` + 'x'.repeat(Math.floor(random() * 20));
      const status = pick<TaskStatus | null>([null, 'CREATED', 'RUNNING', 'PAUSED', 'STOPPED']);
      const ports = Array.from({ length: Math.floor(random() * 6) }, () =>
        port(8000 + Math.floor(random() * 4), 8000 + Math.floor(random() * 4), pick(['', '127.0.0.1']), pick(['tcp', 'udp'])),
      );
      return {
        container: container(id, {
          createdAt: at(Math.floor(random() * 800 * DAY)),
          args: Array.from({ length: 1 + Math.floor(random() * 3) }, word),
          networkStatus: { netnsPath: '', endpoints: [], hostname: '', ports },
          restartStatus: { restartCount: 0, stoppedByUser: false, restarting: random() < 0.1 },
        }),
        task: status ? task(id, status, { exitStatus: Math.floor(random() * 256), exitedAt: at(Math.floor(random() * DAY)), createdAt: at(Math.floor(random() * DAY)) }) : null,
      };
    });
    const where = `round ${round}`;
    const lines = formatEntries(entries, undefined, { noTrunc: false, now: NOW }).split('\n');
    expect({ where, last: lines.pop() }).toEqual({ where, last: '' });
    const header = lines[0];
    const names = header.indexOf('NAMES');
    const status = header.indexOf('STATUS');
    const ports = header.indexOf('PORTS');
    expect(lines).toHaveLength(entries.length + 1);
    for (const [i, e] of entries.entries()) {
      const line = lines[i + 1];
      expect({ where, name: line.slice(names) }).toEqual({ where, name: e.container.id });
      expect({ where, id: line.slice(0, 12).trimEnd() }).toEqual({ where, id: e.container.id.slice(0, 12) });
      expect({ where, status: STATUS_TEXT.test(line.slice(status, ports).trimEnd()) }).toEqual({ where, status: true });
      const args = JSON.parse(e.container.specJson).process.args as string[];
      const full = args.join(' ');
      const shown = goUnquote(commandText(args, false));
      expect({ where, shown }).toEqual({ where, shown: [...full].length <= 20 ? full : [...full].slice(0, 19).join('') + '…' });
      expect({ where, whole: goUnquote(commandText(args, true)) }).toEqual({ where, whole: full });
    }
    for (const e of entries) {
      // PORTS expanded again (ranges to ports) is every published port, no more, no fewer.
      const given = e.container.networkStatus!.ports.map((p) => `${p.hostIp || '0.0.0.0'}:${p.hostPort}->${p.containerPort}/${p.protocol}`).sort();
      const shown = portsText(e.container.networkStatus!.ports)
        .split(', ')
        .filter(Boolean)
        .flatMap((item) => {
          const m = /^([\d.]+):(\d+)(?:-(\d+))?->(\d+)(?:-(\d+))?\/(tcp|udp)$/.exec(item)!;
          const [host, hostEnd, cport, cportEnd] = [m[2], m[3] ?? m[2], m[4], m[5] ?? m[4]].map(Number);
          expect({ where, item, span: hostEnd - host }).toEqual({ where, item, span: cportEnd - cport });
          return Array.from({ length: hostEnd - host + 1 }, (_, i) => `${m[1]}:${host + i}->${cport + i}/${m[6]}`);
        })
        .sort();
      expect({ where, shown }).toEqual({ where, shown: given });
    }
    const every = selectEntries(entries, { all: true, filters: [], last: -1 });
    const created = every.map((e) => e.container.createdAt!.seconds);
    expect({ where, sorted: created.every((s, i) => i === 0 || created[i - 1] >= s) }).toEqual({ where, sorted: true });
    const up = selectEntries(entries, { all: false, filters: [], last: -1 });
    expect({ where, up: up.map((e) => e.container.id) }).toEqual({
      where,
      up: every.filter((e) => e.container.restartStatus!.restarting || e.task?.status === 'RUNNING' || e.task?.status === 'PAUSED').map((e) => e.container.id),
    });
    const n = Math.floor(random() * 10);
    expect({ where, last: selectEntries(entries, { all: false, filters: [], last: n }) }).toEqual({ where, last: every.slice(0, n) });
  }
});

describe('through tsrund', () => {
  const f = useDaemon();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-tsctl-ps-'));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
  const P = `ps-${process.pid}`;
  const tsctl = (...args: string[]) => spawnSync(TSCTL, ['--address', f.daemon.address, ...args], { encoding: 'utf8', timeout: 60_000 });
  const ok = (...args: string[]) => {
    const r = tsctl(...args);
    if (r.status !== 0) throw new Error(`tsctl ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
    return r.stdout;
  };
  let image = '';
  let bundleDir = '';

  beforeAll(async () => {
    const archive = buildBusyboxArchive(work, 'localhost/tsrun-test/ps:1');
    await promisify(execFile)(TSCTL, ['--address', f.daemon.address, 'images', 'import', archive.file]);
    image = archive.ref;
    // Oldest first: ps lists them newest first.
    ok('create', '--name', `${P}-created`, image, 'true');
    bundleDir = f.bundle(['sleep', '600']).dir;
    ok('run', '-d', '--name', `${P}-bundle`, '--bundle', bundleDir);
    ok('run', '-d', '--name', `${P}-paused`, image, 'sleep', '600');
    ok('pause', `${P}-paused`);
    expect(tsctl('run', '--name', `${P}-exited`, image, 'sh', '-c', 'exit 3').status).toBe(3);
    ok('run', '-d', '--name', `${P}-web`, '-p', '127.0.0.1::80', image, 'sh', '-c', 'exec sleep 600 # a command longer than twenty');
  });

  test('ps: the running containers (paused too), newest first, in docker ps columns; ls is the same', async () => {
    const out = ok('ps');
    const [header, ...rows] = out.trimEnd().split('\n');
    expect(header).toMatch(/^CONTAINER ID {3}IMAGE {3,}COMMAND {3,}CREATED {3,}STATUS {3,}PORTS {3,}NAMES$/);
    const column = (row: string, name: string) => row.slice(header.indexOf(name)).split(/ {3,}/)[0];
    const mine = rows.filter((r) => column(r, 'NAMES').startsWith(P));
    expect(mine.map((r) => column(r, 'NAMES'))).toEqual([`${P}-web`, `${P}-paused`, `${P}-bundle`]);
    const [web, paused, bundle] = mine;
    expect(column(web, 'CONTAINER ID')).toBe(`${P}-web`.slice(0, 12));
    expect(column(web, 'IMAGE')).toBe(image);
    expect(column(web, 'COMMAND')).toBe('"sh -c exec sleep 60…"');
    expect(column(web, 'CREATED')).toMatch(/^(Less than a second|\d+ seconds?|About a minute) ago$/);
    expect(column(web, 'STATUS')).toMatch(/^Up (Less than a second|\d+ seconds?|About a minute)$/);
    const hostPort = (await f.c().getContainer(`${P}-web`)).networkStatus!.ports[0].hostPort;
    expect(hostPort).toBeGreaterThan(0);
    expect(column(web, 'PORTS')).toBe(`127.0.0.1:${hostPort}->80/tcp`);
    expect(column(paused, 'STATUS')).toMatch(/^Up .+ \(Paused\)$/);
    expect(column(paused, 'PORTS')).toBe('');
    expect(column(bundle, 'IMAGE')).toBe(bundleDir);
    expect(column(bundle, 'COMMAND')).toBe('"sleep 600"');
    expect(ok('ls', '-q')).toBe(ok('ps', '-q'));
    // Its widths follow the times shown, which go on: the same columns.
    expect(ok('ls').split('\n')[0].split(/ {3,}/)).toEqual(header.split(/ {3,}/));
  });

  test('-a adds the exited and created ones; --no-trunc; -q whole ids; -n, -l; a status filter takes every state', () => {
    const names = (...args: string[]) => ok(...args).split('\n').filter((l) => l.startsWith(P));
    const all = ok('ps', '-a', '--no-trunc').trimEnd().split('\n');
    const row = (name: string) => all.find((l) => l.endsWith(`   ${name}`))!;
    expect(row(`${P}-exited`)).toMatch(new RegExp(`^${P}-exited +${image.replace(/[./]/g, '\\$&')} +"sh -c exit 3" +.+ ago +Exited \\(3\\) .+ ago +${P}-exited$`));
    expect(row(`${P}-created`)).toMatch(/ {3}Created {3,}/);
    expect(row(`${P}-web`)).toContain('"sh -c exec sleep 600 # a command longer than twenty"');
    expect(names('ps', '-a', '-q')).toEqual([`${P}-web`, `${P}-exited`, `${P}-paused`, `${P}-bundle`, `${P}-created`]);
    expect(names('ps', '-q')).toEqual([`${P}-web`, `${P}-paused`, `${P}-bundle`]);
    expect(ok('ps', '-q', '--filter', 'status=exited', '--filter', `name=${P}`)).toBe(`${P}-exited\n`);
    expect(ok('ps', '-q', '--filter', 'status=created', '--filter', `name=${P}`)).toBe(`${P}-created\n`);
    expect(ok('ps', '-q', '--filter', 'status=paused')).toBe(`${P}-paused\n`);
    expect(ok('ps', '-a', '-q', '--filter', 'exited=3')).toBe(`${P}-exited\n`);
    expect(ok('ps', '-q', '-n', '2')).toBe(`${P}-web\n${P}-exited\n`);
    expect(ok('ps', '-q', '-l')).toBe(`${P}-web\n`);
    expect(ok('ps', '-l', '--format', '{{.Names}} {{.State}} {{.Image}}')).toBe(`${P}-web running ${image}\n`);
    expect(ok('ps', '-a', '--filter', `id=${P}-ex`, '--format', 'table {{.Names}}\\t{{.Status}}')).toMatch(new RegExp(`^NAMES {3,}STATUS\n${P}-exited   Exited \\(3\\) .+ ago\n$`));
    const json = JSON.parse(ok('ps', '--json', '-a', '--filter', `name=${P}-exited`));
    expect(json).toEqual([{ container: expect.objectContaining({ id: `${P}-exited`, image }), task: expect.objectContaining({ status: 'STOPPED', exitStatus: 3 }) }]);
  });

  test("--init: COMMAND (and inspect's Path and Args) the container's command, not the init before it", () => {
    const id = `${P}-init`;
    ok('run', '-d', '--init', '--name', id, image, 'sleep', '600');
    expect(ok('ps', '--filter', `name=${id}`, '--format', '{{.Command}}')).toBe('"sleep 600"\n');
    expect(JSON.parse(ok('inspect', id))[0]).toMatchObject({ Path: 'sleep', Args: ['600'] });
    ok('rm', '-f', id);
  });

  test('bad flags: one line on stderr, exit 1', () => {
    const bad = (args: string[], message: string) => {
      const r = tsctl(...args);
      expect([r.status, r.stdout, r.stderr]).toEqual([1, '', `${message}\n`]);
    };
    bad(['ps', '--filter', 'status=asleep'], 'tsctl: --filter "status=asleep": the status is one of created, restarting, running, removing, paused, exited, dead');
    bad(['ps', '--format', '{{.Nope}}'], 'tsctl: --format: {{.Nope}} is not supported: give {{.Field}} with Field one of ID, Image, Command, CreatedAt, RunningFor, Status, State, Ports, Names, Labels');
    bad(['ps', '-n', '-2'], 'tsctl: ps: --last -2: give a number of containers (0 or more)');
    bad(['ps', `${P}-web`], 'tsctl: ps: expects no arguments (see tsctl ps --help)');
  });

  test('a container its restart policy restarts shows Restarting (N) ... ago, without -a too; stop ends it', async () => {
    const id = `${P}-again`;
    ok('run', '-d', '--name', id, '--restart', 'always', image, 'sh', '-c', 'exit 1');
    let status = '';
    await until(() => (status = ok('ps', '--filter', 'status=restarting', '--format', '{{.Names}} {{.Status}}')).startsWith(`${id} Restarting (1) `), 15_000).catch(() => undefined);
    expect(status).toMatch(new RegExp(`^${id} Restarting \\(1\\) (Less than a second|\\d+ seconds?) ago\n$`));
    expect(ok('ps', '-q', '--filter', `name=${id}`)).toBe(`${id}\n`);
    ok('stop', id);
    await until(() => ok('ps', '-q', '--filter', `name=${id}`) === '');
    expect(ok('ps', '-a', '--filter', `name=${id}`, '--format', '{{.State}}')).toBe('exited\n');
    ok('rm', id);
  });

  test('a container started again exits again (its STATUS anew); one removed is gone', async () => {
    ok('start', `${P}-exited`);
    await until(() => tsctl('ps', '-a', '--filter', `name=${P}-exited`, '--format', '{{.Status}}').stdout.startsWith('Exited (3)'));
    ok('rm', '-f', `${P}-web`);
    expect(ok('ps', '-a', '-q', '--filter', `name=${P}-web`)).toBe('');
  });
});
