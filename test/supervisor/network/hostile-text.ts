/** Hostile text for the network parsers, drawn from a seeded generator so that a failing case can be replayed by its seed. */
import { SeededRandom } from '../../helpers/seeded-choices';

const PIECES = [
  '0', '1', '9', '10', '255', '256', '300', '010', '00', '4294967296', '-1', '+1', '0x1f', '1e2', ' ', '\t', '\n', '.', '..', '/', '//',
  ':', '-', '_', 'a', 'Z', 'tcp', 'udp', 'TCP', 'sctp', '٣', '１', '\u0000', '\u202e', 'é', '🙂', '"', "'", '\\', '%', '$', ';', '*',
];

/** A string of a few pieces: near misses of addresses, CIDRs, ports and names, with junk between. */
export function hostileText(r: SeededRandom): string {
  let out = '';
  const n = 1 + r.int(9);
  for (let i = 0; i < n; i++) out += r.chance(0.5) ? r.pick(PIECES) : String(r.int(r.chance(0.3) ? 70000 : 300));
  return r.chance(0.05) ? out.repeat(20) : out;
}
