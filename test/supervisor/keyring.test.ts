/**
 * A tsrund container's session keyring: its init joins `_ses.<id>`, as runc's and tsrun's do
 * (not an anonymous one), and a process exec'd through Tasks.Exec joins that same keyring.
 * Seen from inside by the conformance probe (its `sessionKeyring`: /proc/keys of @s).
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseProbeOutput, probeBinary, PROBE_IN_CONTAINER, type ProbeReport } from '../../conformance/probe';
import { useDaemon } from './fixtures';

jest.setTimeout(60_000);

const { c, bundle, remove } = useDaemon();

/** What `execId` ('' for the init) printed on stdout so far. */
async function stdoutOf(id: string, execId: string): Promise<string> {
  let out = '';
  for await (const e of c().logs(id, { execId })) if (e.stream === 'stdout') out += e.partial ? e.text : `${e.text}\n`;
  return out;
}

async function probeReport(id: string, execId: string): Promise<ProbeReport> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const out = await stdoutOf(id, execId);
    if (/^\{.*\}$/m.test(out) || Date.now() > deadline) return parseProbeOutput(out);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('the init joins _ses.<id> and an exec joins the same keyring', async () => {
  const id = 'k-ses';
  const b = bundle(['sh', '-c', `${PROBE_IN_CONTAINER}; exec sleep 600`]);
  fs.copyFileSync(probeBinary(), path.join(b.rootfs, PROBE_IN_CONTAINER));
  fs.chmodSync(path.join(b.rootfs, PROBE_IN_CONTAINER), 0o755);
  await c().createContainer({ id, bundle: b.dir });
  await c().createTask(id);
  await c().startTask(id);

  const init = await probeReport(id, '');
  // "keyring;<uid>;<gid>;<perm>;<description>", the keyring's serial left out: the same name and owner.
  expect(init.sessionKeyring).toMatch(new RegExp(`^keyring;0;0;[0-9a-f]+;_ses\\.${id}$`));

  await c().exec({ id, execId: 'probe', args: [PROBE_IN_CONTAINER] });
  expect((await c().wait(id, { execId: 'probe' })).exitStatus).toBe(0);
  expect((await probeReport(id, 'probe')).sessionKeyring).toBe(init.sessionKeyring);
  await remove(id);
});
