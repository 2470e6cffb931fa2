/**
 * Docker's defaults as a Docker user meets them, through `tsctl run` of an image with no flags:
 * root can chown, `su` switches to nobody, ping of the loopback works (raw sockets: CAP_NET_RAW),
 * and the hostname is the container id's first 12 characters. What a default container is (the 14 capabilities, the
 * seccomp profile, masked and read-only paths, TERM, HOME) is checked in detail through the API
 * in test/supervisor/security-defaults.test.ts; this is the CLI path a user takes.
 */
import { useJourney } from './journey';

jest.setTimeout(120_000);

const j = useJourney('defaults');

test('chown, su to nobody and ping 127.0.0.1 -c1 work in a default container', async () => {
  const script = [
    'touch /tmp/f && chown 65534:65534 /tmp/f && stat -c owner=%u:%g /tmp/f',
    // nobody's shell is /bin/false, as in Debian's images: su runs another.
    "su -s /bin/sh -c 'echo su=$(id -un):$(id -u)' nobody",
    'ping 127.0.0.1 -c1 -W5 > /dev/null && echo ping=ok',
  ].join('; ');
  expect(await j.tsctl('run', '--rm', j.image, 'sh', '-c', script)).toEqual({
    code: 0,
    stdout: 'owner=65534:65534\nsu=nobody:65534\nping=ok\n',
    stderr: '',
  });
});

test('without --hostname, the hostname is the first 12 characters of the container id', async () => {
  const id = `jy${process.pid}hostnamecheck`;
  expect(await j.tsctl('run', '--name', id, j.image, 'hostname')).toEqual({ code: 0, stdout: `${id.slice(0, 12)}\n`, stderr: '' });
  expect((await j.tsctl('rm', id)).code).toBe(0);
});
