/**
 * Cases on linux.netDevices (config-linux.md § Network Devices): a veth end made for the case is
 * moved into the container, renamed, with its permanent global addresses, and set up; a move
 * that cannot happen fails create. Every interface a case makes is deleted when it ends.
 */
import { deleteLinks, linkExists, makeVethPair } from '../../test/helpers/veth';
import { Case, CaseContext, expect } from '../case';
import { expectCreateFails } from './util';

/** A veth pair for one case; `use` gets the end to move. Both ends are gone afterwards. */
async function withVeth(use: (end: string) => Promise<void>): Promise<void> {
  const pair = makeVethPair('tsrc', ['10.213.17.2/24', 'fd00:217::2/64']);
  try {
    await use(pair.end);
  } finally {
    deleteLinks(pair);
  }
}

async function moved(ctx: CaseContext): Promise<void> {
  await withVeth(async (end) => {
    const dir = '/sys/class/net/ctnet0';
    const report = await ctx.probe((c) => Object.assign(c.linux, { netDevices: { [end]: { name: 'ctnet0' } } }), [
      '--read', `${dir}/mtu`, '--read', `${dir}/flags`, '--read', '/proc/net/fib_trie', '--read', '/proc/net/if_inet6',
    ]);
    const files = report.files;
    expect(files[`${dir}/mtu`] === '1400', `ctnet0 mtu inside is ${files[`${dir}/mtu`]} (the interface is missing, or its MTU was not kept)`);
    expect((Number(files[`${dir}/flags`]) & 0x1) === 1, `ctnet0 is not up inside (flags ${files[`${dir}/flags`]})`);
    expect((files['/proc/net/fib_trie'] ?? '').includes('10.213.17.2'), 'the IPv4 address 10.213.17.2/24 did not move with the interface');
    const v6 = (files['/proc/net/if_inet6'] ?? '').split('\n').some((l) => l.startsWith('fd000217000000000000000000000002') && l.trim().endsWith('ctnet0'));
    expect(v6, 'the IPv6 address fd00:217::2/64 did not move with the interface');
    expect(!linkExists(end), `${end} is still on the host while the container runs`);
  });
}

export const netDeviceCases: Case[] = [
  {
    id: 'linux.net-devices',
    clause: 'config-linux.md § Network Devices',
    level: 'MUST',
    requirement: 'a host interface in linux.netDevices is in the container under its new name, with its MTU and permanent global addresses, and up',
    check: moved,
  },
  {
    id: 'linux.net-devices-missing',
    clause: 'config-linux.md § Network Devices',
    level: 'MUST',
    requirement: 'a move that is not possible (no such interface on the host) fails create',
    async check(ctx) {
      const bundle = ctx.bundle(['true'], (c) => Object.assign(c.linux, { netDevices: { [`tsrcnone${process.pid % 100000}`]: {} } }));
      expectCreateFails(ctx, bundle.dir, 'a netDevices entry the host does not have');
    },
  },
  {
    id: 'linux.net-devices-name-taken',
    clause: 'config-linux.md § Network Devices',
    level: 'MUST',
    requirement: 'a new name an interface of the container namespace already has (lo) fails create, and the interface stays on the host',
    async check(ctx) {
      await withVeth(async (end) => {
        const bundle = ctx.bundle(['true'], (c) => Object.assign(c.linux, { netDevices: { [end]: { name: 'lo' } } }));
        expectCreateFails(ctx, bundle.dir, 'netDevices renaming an interface to "lo"');
        expect(linkExists(end), `${end} left the host although create failed`);
      });
    },
  },
];
