/**
 * Docker's volume journey ("persist the data"), as `tsctl` commands against a real tsrund: a
 * named volume written in one container is read in the next once the first is removed, two
 * running containers see each other's writes in it, and it outlives them until `volume rm`,
 * which is refused while a container uses it. (The volume verbs and flags one by one:
 * test/supervisor/volume*.test.ts.)
 */
import { useJourney } from './journey';

jest.setTimeout(120_000);

const j = useJourney('volumes');
const volume = `jy-${process.pid}-data`;
const ids = [`jy-${process.pid}-vol-a`, `jy-${process.pid}-vol-b`];

const ok = (stdout: string) => ({ code: 0, stdout, stderr: '' });

test('written in one container, that container removed, read in the next', async () => {
  expect(await j.tsctl('volume', 'create', volume)).toEqual(ok(`${volume}\n`));
  const writer = `jy-${process.pid}-writer`;
  expect(await j.tsctl('run', '--name', writer, '-v', `${volume}:/data`, j.image, 'sh', '-c', 'echo kept > /data/f')).toEqual(ok(''));
  expect(await j.tsctl('rm', writer)).toEqual(ok(`${writer}\n`));
  expect(await j.tsctl('run', '--rm', '-v', `${volume}:/data`, j.image, 'cat', '/data/f')).toEqual(ok('kept\n'));
  expect((await j.tsctl('volume', 'ls')).stdout).toMatch(new RegExp(`^local +${volume}$`, 'm'));
});

test('two running containers share it; volume rm is refused while they use it', async () => {
  for (const id of ids) expect(await j.tsctl('run', '-d', '--name', id, '-v', `${volume}:/data`, j.image, 'sleep', '1000')).toEqual(ok(`${id}\n`));
  expect(await j.tsctl('exec', ids[0], 'sh', '-c', 'echo from-a >> /data/shared')).toEqual(ok(''));
  expect(await j.tsctl('exec', ids[1], 'sh', '-c', 'echo from-b >> /data/shared; cat /data/shared')).toEqual(ok('from-a\nfrom-b\n'));
  expect(await j.tsctl('exec', ids[0], 'cat', '/data/shared')).toEqual(ok('from-a\nfrom-b\n'));

  const refused = await j.tsctl('volume', 'rm', volume);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain(volume);
  expect((await j.tsctl('volume', 'ls')).stdout).toContain(volume);

  expect(await j.tsctl('rm', '-f', ...ids)).toEqual(ok(ids.map((id) => `${id}\n`).join('')));
  expect(await j.tsctl('volume', 'rm', volume)).toEqual(ok(`${volume}\n`));
  expect((await j.tsctl('volume', 'ls')).stdout).not.toContain(volume);
});
