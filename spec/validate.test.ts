import { type DefaultSpec, defaultSpec } from './default-config';
import { formatIssue, validateConfig, validateState } from './validate';

/** What a user reads: one `path: message` line per problem. */
const lines = (doc: unknown) => validateConfig(doc).map(formatIssue);

function config(edit: (c: DefaultSpec) => void): DefaultSpec {
  const c = defaultSpec();
  edit(c);
  return c;
}

/** For fields the types rightly forbid: the test writes what a user's config.json could hold. */
const loose = (o: object) => o as Record<string, unknown>;

test('the default config (tsrun spec) is valid', () => {
  expect(validateConfig(defaultSpec())).toEqual([]);
});

describe('schema violations', () => {
  test('a document that is not an object', () => {
    expect(lines(5)).toEqual(['(root): must be an object (got 5)']);
    expect(lines([])).toEqual(['(root): must be an object (got [])']);
  });

  test('missing required fields, named by their full path', () => {
    const c = config((c) => {
      delete loose(c).ociVersion;
      delete loose(c.process).cwd;
      c.linux.uidMappings = [loose({ containerID: 0, hostID: 1000 }) as never];
    });
    expect(lines(c)).toEqual(
      expect.arrayContaining([
        'ociVersion: is required',
        'process.cwd: is required',
        'linux.uidMappings[0].size: is required',
      ]),
    );
  });

  test('wrong types say what was expected and what was found', () => {
    const c = config((c) => {
      loose(c.process).terminal = 'yes';
      loose(c.process).args = 'sh';
      loose(c.process.user).uid = -1;
      loose(c).mounts = [{ destination: 7 }];
    });
    expect(lines(c)).toEqual([
      'mounts[0].destination: must be a string (got 7)',
      'process.terminal: must be a boolean (true or false) (got "yes")',
      'process.args: must be an array (got "sh")',
      'process.user.uid: must be an integer from 0 to 4294967295 (got -1)',
    ]);
  });

  test('an unknown enum value lists the allowed ones', () => {
    const c = config((c) => c.linux.namespaces.push(loose({ type: 'nett' }) as never));
    expect(lines(c)).toEqual([
      'linux.namespaces[6].type: unknown namespace "nett" (allowed: pid, network, mount, ipc, uts, user, cgroup, time)',
    ]);
  });

  test('patterns are explained in words', () => {
    const c = config((c) => {
      c.linux.maskedPaths.push('proc/kcore');
      c.process.env.push('NOEQUALS');
      c.process.capabilities.bounding!.push('chown');
      c.linux.resources.hugepageLimits = [{ pageSize: '2mb', limit: 1 }];
    });
    expect(lines(c)).toEqual([
      'process.env[2]: must be a "KEY=value" string with a non-empty KEY (got "NOEQUALS")',
      'process.capabilities.bounding[3]: must be a capability name such as "CAP_CHOWN" (got "chown")',
      'linux.resources.hugepageLimits[0].pageSize: must be a page size such as "64KB", "2MB" or "1GB" (got "2mb")',
      'linux.maskedPaths[10]: must be an absolute path (got "proc/kcore")',
    ]);
  });

  test('keys that are not identifiers are quoted, and empty annotation keys are refused', () => {
    const c = config((c) => {
      c.annotations = { 'org.example/key': loose({ no: 1 }) as never, '': 'x' };
    });
    expect(lines(c)).toEqual([
      'annotations: keys must be non-empty (got "")',
      'annotations["org.example/key"]: must be a string (got an object)',
    ]);
  });

  test('every problem is reported, not only the first', () => {
    const c = config((c) => {
      c.process.cwd = 'relative';
      c.process.args = [];
      c.mounts[3].destination = 'dev/shm';
      c.linux.namespaces.push({ type: 'pid' });
    });
    expect(lines(c)).toEqual([
      'process.args: must be a non-empty array (the program to run and its arguments)',
      'process.cwd: must be an absolute path (got "relative")',
      'mounts[3].destination: must be an absolute path (got "dev/shm")',
      'linux.namespaces[6].type: duplicate namespace "pid" (already at linux.namespaces[0])',
    ]);
  });
});

describe('rules beyond the schema', () => {
  test.each([
    ['0.5.0-dev', ['ociVersion: unsupported version "0.5.0-dev": tsrun implements runtime-spec 1.x (1.3.0)']],
    ['2.0.0', ['ociVersion: unsupported version "2.0.0": tsrun implements runtime-spec 1.x (1.3.0)']],
    ['1.0', ['ociVersion: must be a SemVer 2.0.0 version such as "1.3.0" (got "1.0")']],
    ['1.0.2-dev', []],
    ['1.4.0', []],
  ])('ociVersion %s', (version, expected) => {
    expect(lines(config((c) => (c.ociVersion = version)))).toEqual(expected);
  });

  test('process and root are required, args must not be empty', () => {
    expect(lines(config((c) => delete loose(c).process))).toEqual(['process: is required to create a container']);
    expect(lines(config((c) => delete loose(c).root))).toEqual(['root: is required to create a container']);
    expect(lines(config((c) => (c.root.path = '')))).toEqual(['root.path: must not be empty']);
    expect(lines(config((c) => delete loose(c.process).args))).toEqual([
      'process.args: must be a non-empty array (the program to run and its arguments)',
    ]);
  });

  test('hostname and domainname need a uts namespace, new or joined (runc sets them in a joined one)', () => {
    const withoutUts = config((c) => {
      c.domainname = 'example.org';
      c.linux.namespaces = c.linux.namespaces.filter((ns) => ns.type !== 'uts');
    });
    expect(lines(withoutUts)).toEqual([
      'hostname: needs a uts namespace (add {"type": "uts"} to linux.namespaces)',
      'domainname: needs a uts namespace (add {"type": "uts"} to linux.namespaces)',
    ]);
    const joined = config((c) => (c.linux.namespaces[3] = { type: 'uts', path: '/proc/1/ns/uts' }));
    expect(lines(joined)).toEqual([]);
    expect(lines(config((c) => (c.hostname = '')))).toEqual([]);
  });

  test('id mappings and the user namespace go together', () => {
    const mapping = [{ containerID: 0, hostID: 100000, size: 65536 }];
    expect(lines(config((c) => (c.linux.uidMappings = mapping)))).toEqual([
      'linux.uidMappings: needs a user namespace (add {"type": "user"} to linux.namespaces)',
    ]);
    expect(lines(config((c) => c.linux.namespaces.push({ type: 'user' })))).toEqual([
      'linux.uidMappings: is required to create a new user namespace',
      'linux.gidMappings: is required to create a new user namespace',
    ]);
    const complete = config((c) => {
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = mapping;
      c.linux.gidMappings = mapping;
    });
    expect(lines(complete)).toEqual([]);
    expect(lines(config((c) => c.linux.namespaces.push({ type: 'user', path: '/proc/1/ns/user' })))).toEqual([]);
  });

  test('the mount namespace may be new, joined by path or absent (the caller\'s), as the spec allows', () => {
    expect(lines(config((c) => (c.linux.namespaces = c.linux.namespaces.filter((ns) => ns.type !== 'mount'))))).toEqual([]);
    expect(lines(config((c) => (c.linux.namespaces[4] = { type: 'mount', path: '/proc/1/ns/mnt' })))).toEqual([]);
  });

  test('time offsets need a new time namespace', () => {
    const offsets = { monotonic: { secs: 10, nanosecs: 0 } };
    expect(lines(config((c) => (c.linux.timeOffsets = offsets)))).toEqual([
      'linux.timeOffsets: needs a new time namespace (add {"type": "time"} to linux.namespaces)',
    ]);
    const joined = config((c) => {
      c.linux.timeOffsets = offsets;
      c.linux.namespaces.push({ type: 'time', path: '/proc/1/ns/time' });
    });
    expect(lines(joined)).toEqual([
      'linux.timeOffsets: cannot be set when joining the existing time namespace at /proc/1/ns/time (linux.namespaces[6].path)',
    ]);
  });

  test('sysctls follow the namespaces the container has (as runc decides)', () => {
    const c = config((c) => {
      c.linux.namespaces = [{ type: 'mount' }, { type: 'uts' }];
      c.linux.sysctl = {
        'net.ipv4.ip_forward': '1',
        'kernel.shmmax': '1',
        'fs/mqueue/msg_max': '10',
        'kernel.domainname': 'x',
        'kernel.hostname': 'y',
        'vm.swappiness': '1',
      };
    });
    expect(lines(c)).toEqual([
      'linux.sysctl["net.ipv4.ip_forward"]: needs a network namespace (add {"type": "network"} to linux.namespaces)',
      'linux.sysctl["kernel.shmmax"]: needs an ipc namespace (add {"type": "ipc"} to linux.namespaces)',
      'linux.sysctl["fs/mqueue/msg_max"]: needs an ipc namespace (add {"type": "ipc"} to linux.namespaces)',
      'linux.sysctl["kernel.hostname"]: conflicts with the hostname field: set the hostname there',
      'linux.sysctl["vm.swappiness"]: is not namespaced: only sysctls of the container\'s ipc, network or uts namespace can be set',
    ]);
    expect(lines(config((c) => (c.linux.sysctl = { 'net.core.somaxconn': '256', 'kernel.msgmax': '1' })))).toEqual([]);
  });

  test('rlimits: no duplicates, Linux names only, soft within hard', () => {
    const c = config((c) => {
      c.process.rlimits.push({ type: 'RLIMIT_NOFILE', soft: 10, hard: 10 });
      c.process.rlimits.push({ type: 'RLIMIT_NPROCS', soft: 1, hard: 1 });
      c.process.rlimits.push({ type: 'RLIMIT_CORE', soft: 2048, hard: 1024 });
    });
    expect(lines(c)).toEqual([
      'process.rlimits[1].type: duplicate rlimit "RLIMIT_NOFILE" (already at process.rlimits[0])',
      expect.stringMatching(
        /^process\.rlimits\[2\]\.type: unknown rlimit "RLIMIT_NPROCS" \(allowed: RLIMIT_AS, .*RLIMIT_STACK\)$/,
      ),
      'process.rlimits[3].soft: must not exceed hard (2048 > 1024)',
    ]);
  });

  test('scheduler fields must fit the policy', () => {
    expect(lines(config((c) => (c.process.scheduler = { policy: 'SCHED_OTHER', priority: 5, runtime: 100 })))).toEqual([
      'process.scheduler.priority: only allowed with SCHED_FIFO or SCHED_RR (policy is "SCHED_OTHER")',
      'process.scheduler.runtime: only allowed with SCHED_DEADLINE (policy is "SCHED_OTHER")',
    ]);
    expect(lines(config((c) => (c.process.scheduler = { policy: 'SCHED_FIFO' })))).toEqual([
      'process.scheduler.priority: must be from 1 to 99 with SCHED_FIFO (got none)',
    ]);
    expect(lines(config((c) => (c.process.scheduler = { policy: 'SCHED_RR', priority: 10, nice: 19 })))).toEqual([]);
  });

  test('id-mapped mounts need both mappings', () => {
    const c = config((c) =>
      c.mounts.push({
        destination: '/data',
        source: '/srv',
        options: ['rbind'],
        uidMappings: [{ containerID: 0, hostID: 1, size: 1 }],
      }),
    );
    expect(lines(c)).toEqual(['mounts[7].gidMappings: is required with uidMappings (an id-mapped mount needs both)']);
  });

  test('devices other than pipes need major and minor numbers', () => {
    const c = config(
      (c) =>
        (c.linux.devices = [
          { type: 'c', path: '/dev/fuse', major: 10 },
          { type: 'p', path: '/dev/fifo' },
        ]),
    );
    expect(lines(c)).toEqual(['linux.devices[0].minor: is required for a "c" device']);
  });

  test('a device fileMode may carry the file type bits (podman passes st_mode), within uint32', () => {
    const ok = config(
      (c) =>
        (c.linux.devices = [
          { type: 'c', path: '/dev/null2', major: 1, minor: 3, fileMode: 0o20644 },
          { type: 'b', path: '/dev/loop9', major: 7, minor: 9, fileMode: 0o60600 },
        ]),
    );
    expect(lines(ok)).toEqual([]);
    const bad = config((c) => (c.linux.devices = [{ type: 'p', path: '/dev/fifo', fileMode: 2 ** 32 }]));
    expect(lines(bad)).toEqual(['linux.devices[0].fileMode: must be an integer from 0 to 4294967295 (got 4294967296)']);
  });

  test('netDevices need a network namespace and valid interface names', () => {
    const c = config((c) => {
      c.linux.namespaces = c.linux.namespaces.filter((ns) => ns.type !== 'network');
      c.linux.netDevices = { eth0: { name: 'container_eth0_too_long' }, 'bad/name': {}, ens4: { name: 'c%d' } };
    });
    expect(lines(c)).toEqual([
      'linux.netDevices: needs a network namespace (add {"type": "network"} to linux.namespaces)',
      'linux.netDevices.eth0.name: "container_eth0_too_long" is not a valid network interface name (1 to 15 characters, not "." or "..", without "/", ":" or whitespace)',
      'linux.netDevices["bad/name"]: not a valid network interface name (1 to 15 characters, not "." or "..", without "/", ":" or whitespace)',
    ]);
  });

  test('resources whose fields depend on each other', () => {
    const c = config((c) => {
      c.linux.resources.cpu = { quota: 1000, burst: 2000 };
      c.linux.resources.memory = { limit: 2048, swap: 1024 };
      c.linux.resources.blockIO = { weightDevice: [{ major: 8, minor: 0 }] };
      c.linux.resources.rdma = { mlx5_1: {} };
    });
    expect(lines(c)).toEqual([
      'linux.resources.cpu.burst: must not exceed quota (2000 > 1000)',
      'linux.resources.memory.swap: must be at least limit, as it counts memory plus swap (1024 < 2048)',
      'linux.resources.blockIO.weightDevice[0]: needs weight or leafWeight',
      'linux.resources.rdma.mlx5_1: needs hcaHandles or hcaObjects',
    ]);
    expect(lines(config((c) => (c.linux.resources.memory = { limit: 2048, swap: -1 })))).toEqual([]);
  });

  test('seccomp: errno only with errno actions, notify needs a listener', () => {
    const c = config((c) => {
      c.linux.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        defaultErrnoRet: 1,
        listenerMetadata: 'meta',
        syscalls: [
          { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
          { names: ['chmod'], action: 'SCMP_ACT_KILL', errnoRet: 1 },
          { names: ['mknod'], action: 'SCMP_ACT_NOTIFY' },
        ],
      };
    });
    expect(lines(c)).toEqual([
      'linux.seccomp.listenerMetadata: needs listenerPath',
      'linux.seccomp.defaultErrnoRet: only allowed with SCMP_ACT_ERRNO or SCMP_ACT_TRACE (defaultAction is "SCMP_ACT_ALLOW")',
      'linux.seccomp.syscalls[1].errnoRet: only allowed with SCMP_ACT_ERRNO or SCMP_ACT_TRACE (action is "SCMP_ACT_KILL")',
      'linux.seccomp.syscalls[2].action: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath (where the notify fd is sent)',
    ]);
    expect(
      lines(config((c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_NOTIFY', listenerPath: '/run/agent.sock' }))),
    ).toEqual([
      'linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action (the runtime itself must still make syscalls)',
    ]);
    const seccompSchema = config(
      (c) =>
        (c.linux.seccomp = {
          defaultAction: 'SCMP_ACT_ALLOW',
          syscalls: [{ names: [] as never, action: 'SCMP_ACT_KILL' }],
        }),
    );
    expect(lines(seccompSchema)).toEqual([
      'linux.seccomp.syscalls[0].names: must be a non-empty array of syscall names (got [])',
    ]);
  });

  test('intelRdt.closID is a plain name', () => {
    expect(lines(config((c) => (c.linux.intelRdt = { closID: '../x' })))).toEqual([
      'linux.intelRdt.closID: must be a plain directory name, not "." or ".." and without "/" (got "../x")',
    ]);
  });

  test('memoryPolicy: nodes fit the mode, static and relative flags exclude each other', () => {
    expect(
      lines(
        config(
          (c) =>
            (c.linux.memoryPolicy = { mode: 'MPOL_BIND', flags: ['MPOL_F_STATIC_NODES', 'MPOL_F_RELATIVE_NODES'] }),
        ),
      ),
    ).toEqual([
      'linux.memoryPolicy.nodes: is required with MPOL_BIND',
      'linux.memoryPolicy.flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other',
    ]);
    expect(lines(config((c) => (c.linux.memoryPolicy = { mode: 'MPOL_LOCAL', nodes: '0' })))).toEqual([
      'linux.memoryPolicy.nodes: must be empty with MPOL_LOCAL',
    ]);
    expect(lines(config((c) => (c.linux.memoryPolicy = loose({ nodes: '0' }) as never)))).toEqual([
      'linux.memoryPolicy.mode: is required',
    ]);
  });

  test('personality flags: none is defined', () => {
    expect(lines(config((c) => (c.linux.personality = { domain: 'LINUX32', flags: ['ADDR_NO_RANDOMIZE'] })))).toEqual([
      'linux.personality.flags[0]: unknown personality flag "ADDR_NO_RANDOMIZE" (runtime-spec 1.3.0 defines none)',
    ]);
  });

  test('v1.3.0 process fields are checked', () => {
    const c = config((c) => {
      c.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 9 };
      c.process.execCPUAffinity = { initial: '0-3,7', final: 'all' };
    });
    expect(lines(c)).toEqual([
      'process.ioPriority.priority: must be an integer from 0 to 7 (got 9)',
      'process.execCPUAffinity.final: must be a CPU list such as "0-3,7" (got "all")',
    ]);
  });
});

test('a value the schema rejects is not reported again by the rules that depend on it', () => {
  const c = config((c) => {
    c.process.scheduler = { policy: 'SCHED_SOMETIMES' as never, priority: 5 };
    c.linux.seccomp = { defaultAction: 'SCMP_ACT_MAYBE' as never, defaultErrnoRet: 1 };
  });
  expect(lines(c)).toEqual([
    expect.stringMatching(
      /^process\.scheduler\.policy: unknown scheduler policy "SCHED_SOMETIMES" \(allowed: SCHED_OTHER, /,
    ),
    expect.stringMatching(
      /^linux\.seccomp\.defaultAction: unknown seccomp action "SCMP_ACT_MAYBE" \(allowed: SCMP_ACT_KILL, /,
    ),
  ]);
});

describe('validateState', () => {
  const state = { ociVersion: '1.3.0', id: 'c1', status: 'running', pid: 4422, bundle: '/containers/c1' };

  test('a valid state', () => {
    expect(validateState(state)).toEqual([]);
  });

  test('every problem, with its path', () => {
    const issues = validateState({ ...state, id: '', status: 'paused', bundle: 'relative', pid: -1 }).map(formatIssue);
    expect(issues).toEqual([
      'id: must be a non-empty string (got "")',
      'status: unknown status "paused" (allowed: creating, created, running, stopped)',
      'pid: must be a process id, an integer from 0 (got -1)',
      'bundle: must be an absolute path (got "relative")',
    ]);
  });

  test('created and running containers have a pid', () => {
    const { pid: _pid, ...withoutPid } = state;
    expect(validateState(withoutPid).map(formatIssue)).toEqual(['pid: is required when status is "running"']);
    expect(validateState({ ...state, status: 'created', pid: 0 }).map(formatIssue)).toEqual([
      'pid: must be a positive process id when status is "created"',
    ]);
    expect(validateState({ ...withoutPid, status: 'stopped' })).toEqual([]);
  });
});
