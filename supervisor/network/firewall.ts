/**
 * tsrund's own filter rules for the bridges of its networks, as Docker keeps them: containers
 * reach the outside and each other on one network, never a container on another network, and
 * the outside reaches a container only through a published port.
 *
 * All of it lives in one chain, TSRUN-FORWARD, jumped to first from FORWARD (several tsrund
 * daemons may share it). Each network has an *ingress* block (traffic whose way out is its
 * bridge) kept at the top of the chain and an *egress* rule (traffic coming in from its bridge)
 * at the bottom. Every ingress block ends in a drop, so a packet from one bridge to another meets
 * the drop of its destination's block before any egress accept: isolation holds whatever the
 * other bridge is called (the default network's bridge is named by a daemon flag) and in
 * whatever order networks come and go.
 */
import { execFileSync } from 'child_process';
import { TsrunError } from '../shared/errors';

export const FORWARD_CHAIN = 'TSRUN-FORWARD';

/** Runs iptables with these arguments and answers its stdout; throws when it fails. */
export type Iptables = (args: string[]) => string;

export interface FirewalledNetwork {
  bridge: string;
  subnet: string;
  internal: boolean;
}

/** The chains portmap shares between all its users (per-container chains go with CNI DEL), with the jumps into them. */
const CNI_SHARED_NAT_CHAINS = [
  { chain: 'CNI-HOSTPORT-DNAT', from: ['PREROUTING', 'OUTPUT'] },
  { chain: 'CNI-HOSTPORT-MASQ', from: ['POSTROUTING'] },
  { chain: 'CNI-HOSTPORT-SETMARK', from: [] as string[] },
];

/** A network's rules, in iptables -S's own spelling (so that a listing compares to them). */
function ingressRules(n: FirewalledNetwork): string[][] {
  const b = n.bridge;
  const inside = ['-i', b, '-o', b, '-j', 'ACCEPT'];
  if (n.internal) return [inside, ['-o', b, '-j', 'DROP']];
  return [
    ['-o', b, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'],
    // Published ports: portmap's DNAT sends the connection to the container's address.
    ['-o', b, '-m', 'conntrack', '--ctstate', 'DNAT', '-j', 'ACCEPT'],
    inside,
    ['-o', b, '-j', 'DROP'],
  ];
}

function egressRule(n: FirewalledNetwork): string[] {
  return ['-i', n.bridge, '-j', n.internal ? 'DROP' : 'ACCEPT'];
}

/**
 * The words of one line of `iptables -S`, as a shell would split it: iptables quotes a word with
 * spaces in double quotes and escapes the quotes inside (portmap's comments: `"name: \"n\" id: \"c\""`).
 */
export function splitRuleLine(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i];
    } else if (c === '"') {
      quoted = !quoted;
      word = word ?? '';
    } else if (!quoted && /\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

/** The rules (their words after "-A <chain>") of a listing of `iptables -S <chain>`. */
function listedRules(listing: string, chain: string): string[][] {
  return listing
    .split('\n')
    .map(splitRuleLine)
    .filter((w) => w[0] === '-A' && w[1] === chain)
    .map((w) => w.slice(2));
}

/** The rules naming `bridge` as their way in or out. */
function rulesOfBridge(listing: string, chain: string, bridge: string): string[][] {
  return listedRules(listing, chain).filter((rule) => rule.some((w, i) => (w === '-i' || w === '-o') && rule[i + 1] === bridge));
}

/** A link name as the kernel takes it, and one word in a listing (what finding a network's rules relies on). */
function checkBridgeName(bridge: string): void {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(bridge)) throw new TsrunError(`bridge name ${JSON.stringify(bridge)} is not a link name`, { code: 'internal' });
}

const sameRules = (a: string[][], b: string[][]): boolean => a.length === b.length && a.every((r, i) => r.join(' ') === b[i].join(' '));

function runIptables(args: string[]): string {
  try {
    return execFileSync('iptables', ['-w', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    const why = (e.stderr ?? '').trim().split('\n').pop() || e.message;
    throw new TsrunError(`iptables ${args.join(' ')}: ${why}`, { code: 'internal', cause: err });
  }
}

export class NetworkFirewall {
  constructor(private readonly iptables: Iptables = runIptables) {}

  /** The network's rules in place (as they should be: a partial or stale set is replaced). */
  ensure(n: FirewalledNetwork): void {
    checkBridgeName(n.bridge);
    this.ensureChain();
    const ingress = ingressRules(n);
    const wanted = [...ingress, egressRule(n)];
    if (sameRules(rulesOfBridge(this.listChain('filter', FORWARD_CHAIN) ?? '', FORWARD_CHAIN, n.bridge), wanted)) return;
    this.deleteRules(n.bridge);
    // Inserted at the top in reverse, the block keeps its order ahead of every egress rule.
    for (const rule of [...ingress].reverse()) this.iptables(['-I', FORWARD_CHAIN, '1', ...rule]);
    this.iptables(['-A', FORWARD_CHAIN, ...egressRule(n)]);
  }

  /** The network's rules gone; then the chain and its jump too once no network has any. */
  remove(bridge: string): void {
    checkBridgeName(bridge);
    if (this.listChain('filter', FORWARD_CHAIN) === null) return;
    this.deleteRules(bridge);
    const left = this.listChain('filter', FORWARD_CHAIN);
    if (left === null || listedRules(left, FORWARD_CHAIN).length > 0) return;
    const jump = ['FORWARD', '-j', FORWARD_CHAIN];
    while (this.succeeds(['-C', ...jump])) this.iptables(['-D', ...jump]);
    this.iptables(['-X', FORWARD_CHAIN]);
  }

  /**
   * portmap's shared nat chains and the jumps into them, once no container's mapping is left in
   * them: CNI-HOSTPORT-DNAT holds a jump per container with published ports, and MASQ and
   * SETMARK only their one fixed rule each, which serves nothing without them.
   */
  removeUnusedCniChains(): void {
    const dnat = this.listChain('nat', 'CNI-HOSTPORT-DNAT');
    if (dnat !== null && listedRules(dnat, 'CNI-HOSTPORT-DNAT').length > 0) return;
    for (const { chain, from } of CNI_SHARED_NAT_CHAINS) {
      if (this.listChain('nat', chain) === null) continue;
      for (const parent of from) {
        for (const rule of listedRules(this.listChain('nat', parent) ?? '', parent)) {
          if (rule[rule.length - 2] === '-j' && rule[rule.length - 1] === chain) this.iptables(['-t', 'nat', '-D', parent, ...rule]);
        }
      }
    }
    for (const { chain } of CNI_SHARED_NAT_CHAINS) {
      if (this.listChain('nat', chain) === null) continue;
      this.iptables(['-t', 'nat', '-F', chain]);
      // A per-container chain left behind (no longer reachable: DNAT is empty) may still jump to
      // SETMARK, and iptables refuses to delete a chain something refers to: it stays, empty.
      this.succeeds(['-t', 'nat', '-X', chain]);
    }
  }

  private ensureChain(): void {
    if (this.listChain('filter', FORWARD_CHAIN) === null) {
      // Another daemon may make it at the same moment: its "already exists" is as good.
      try {
        this.iptables(['-N', FORWARD_CHAIN]);
      } catch (err) {
        if (this.listChain('filter', FORWARD_CHAIN) === null) throw err;
      }
    }
    const jump = ['FORWARD', '-j', FORWARD_CHAIN];
    if (!this.succeeds(['-C', ...jump])) this.iptables(['-I', 'FORWARD', '1', '-j', FORWARD_CHAIN]);
  }

  private deleteRules(bridge: string): void {
    const listing = this.listChain('filter', FORWARD_CHAIN) ?? '';
    for (const rule of rulesOfBridge(listing, FORWARD_CHAIN, bridge)) this.iptables(['-D', FORWARD_CHAIN, ...rule]);
  }

  /** `iptables -S chain`, or null when the chain does not exist. */
  private listChain(table: string, chain: string): string | null {
    try {
      return this.iptables(['-t', table, '-S', chain]);
    } catch {
      return null;
    }
  }

  private succeeds(args: string[]): boolean {
    try {
      this.iptables(args);
      return true;
    } catch {
      return false;
    }
  }
}
