/**
 * Docker's "getting started" app journey, as `tsctl` commands against a real tsrund: a web
 * server in a container (busybox httpd) published with `-p` on the host's loopback and fetched
 * there with curl, a second container reaching it by name on a user network, and nothing left
 * answering once it is removed. Traffic stays on this machine: 127.0.0.1 and the test daemon's
 * own bridge. (Networks and -p flag by flag: test/supervisor/network/ and tsctl-network-flags.)
 */
import { execFile } from 'child_process';
import { useJourney } from './journey';

jest.setTimeout(120_000);

const j = useJourney('app');
const network = `jy-${process.pid}-app`;
const web = `jy-${process.pid}-web`;
const PAGE = 'hello from the journey';
const SERVE = `mkdir /www && echo "${PAGE}" > /www/index.html && exec httpd -f -p 80 -h /www`;

/** curl's exit status and the body it fetched (connection refusals retried for a few seconds: httpd is starting). */
function curl(url: string, retry: boolean): Promise<{ code: number; body: string }> {
  const args = ['-sS', '--max-time', '5', ...(retry ? ['--retry', '10', '--retry-connrefused', '--retry-delay', '1'] : []), url];
  return new Promise((resolve) =>
    execFile('curl', args, { encoding: 'utf8' }, (err, stdout) => resolve({ code: err ? Number((err as { code?: unknown }).code) : 0, body: stdout })),
  );
}

test('a published web server fetched from the host, reached by name from a second container', async () => {
  const created = await j.tsctl('network', 'create', network);
  expect(created.code).toBe(0);
  expect(created.stdout).toMatch(/^[0-9a-f]{64}\n$/);

  expect(await j.tsctl('run', '-d', '--name', web, '--network', network, '-p', '127.0.0.1::80', j.image, 'sh', '-c', SERVE)).toEqual({ code: 0, stdout: `${web}\n`, stderr: '' });
  const port = await j.tsctl('port', web, '80');
  expect(port.stdout).toMatch(/^127\.0\.0\.1:\d+\n$/);
  const url = `http://${port.stdout.trim()}/`;
  expect(await curl(url, true)).toEqual({ code: 0, body: `${PAGE}\n` });

  expect(await j.tsctl('run', '--rm', '--network', network, j.image, 'wget', '-qO-', `http://${web}/`)).toEqual({ code: 0, stdout: `${PAGE}\n`, stderr: '' });

  expect((await j.tsctl('rm', '-f', web)).code).toBe(0);
  // The published port is gone with the container: nothing answers there (curl 7: connection refused).
  expect((await curl(url, false)).code).toBe(7);
  expect((await j.tsctl('network', 'rm', network)).code).toBe(0);
  expect((await j.tsctl('network', 'ls')).stdout).not.toContain(network);
});
