/** The upstream addresses the embedded DNS server forwards to (supervisor/network/dns/forward.ts). */
import { parseUpstream } from '../../../../supervisor/network/dns/forward';

test.each([
  ['10.232.0.1', { address: '10.232.0.1', port: 53 }],
  ['127.0.232.2:5353', { address: '127.0.232.2', port: 5353 }],
  ['fd00::53', { address: 'fd00::53', port: 53 }],
  ['[fd00::53]', { address: 'fd00::53', port: 53 }],
  ['[fd00::53]:5353', { address: 'fd00::53', port: 5353 }],
])('%s', (text, upstream) => {
  expect(parseUpstream(text, 'dnsUpstream[0]')).toEqual(upstream);
});

test.each([
  ['resolver.example', 'dnsUpstream[1]: "resolver.example" is not an IP address (with an optional :PORT)'],
  ['10.0.0.1:0', 'dnsUpstream[1]: "10.0.0.1:0": the port is not in 1-65535'],
  ['10.0.0.1:70000', 'dnsUpstream[1]: "10.0.0.1:70000": the port is not in 1-65535'],
  ['', 'dnsUpstream[1]: "" is not an IP address (with an optional :PORT)'],
])('refuses %j', (text, message) => {
  expect(() => parseUpstream(text, 'dnsUpstream[1]')).toThrow(message);
});
