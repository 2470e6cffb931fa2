/**
 * The project's schemas against the runtime-spec v1.3.0 example documents: every "good" one is
 * accepted and every "bad" one rejected (the schema check only: the good examples are not all
 * runnable Linux containers, which validateConfig's extra rules require).
 */
import * as fs from 'fs';
import * as path from 'path';
import { formatIssue } from './issue';
import { parseJson } from './json-syntax';
import { checkConfigSchema, checkStateSchema } from './schema-check';

const EXAMPLES = path.resolve(__dirname, '../../shared/reference/oci-runtime-spec-v1.3.0/schema/test');

const documents = (kind: string, verdict: 'good' | 'bad'): string[] => {
  const dir = path.join(EXAMPLES, kind, verdict);
  return fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => path.join(dir, f))
    : [];
};

/** Problems in a file: its JSON syntax error, or what the schema check reports. */
function problems(file: string, check: (doc: unknown) => { path: string; message: string }[]): string[] {
  let doc: unknown;
  try {
    doc = parseJson(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    return [(err as Error).message];
  }
  return check(doc).map(formatIssue);
}

if (!fs.existsSync(EXAMPLES)) {
  test.skip(`upstream example documents: ${EXAMPLES} is absent, nothing to compare against`, () => {});
} else {
  describe.each([
    ['config', checkConfigSchema],
    ['state', checkStateSchema],
  ] as const)('%s examples', (kind, check) => {
    test('the example folders are not empty', () => {
      expect(documents(kind, 'good').length).toBeGreaterThan(0);
      expect(documents(kind, 'bad').length).toBeGreaterThan(0);
    });

    test.each(documents(kind, 'good').map((f) => [path.basename(f), f]))('accepts good/%s', (_name, file) => {
      expect(problems(file, check)).toEqual([]);
    });

    test.each(documents(kind, 'bad').map((f) => [path.basename(f), f]))('rejects bad/%s', (_name, file) => {
      expect(problems(file, check)).not.toEqual([]);
    });
  });

  test('the bad config examples are rejected for the reason they were written for', () => {
    const reasons = Object.fromEntries(
      documents('config', 'bad').map((f) => [path.basename(f), problems(f, checkConfigSchema)]),
    );
    expect(reasons).toEqual({
      'freebsd-vnet-disable.json': ['freebsd.jail.vnet: unknown sharing mode "disable" (allowed: new, inherit)'],
      'invalid-json.json': ['invalid JSON at line 1, column 2: expected a property name in double quotes, found "]"'],
      'linux-hugepage.json': [
        'linux.resources.hugepageLimits[0].pageSize: must be a page size such as "64KB", "2MB" or "1GB" (got "64kB")',
      ],
      'linux-netdevice.json': ['linux.netDevices.eth0.name: must be a string (got 23)'],
      'linux-rdma.json': [
        'linux.resources.rdma.mlx5_1.hcaHandles: must be an integer from 0 to 4294967295 (got "not a uint32")',
      ],
    });
  });
}
