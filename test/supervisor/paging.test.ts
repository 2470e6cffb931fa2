/**
 * The pages of a List, over seeded random lists (entry sizes from bytes to past a whole page):
 * followed token by token they give every entry once, in key order; no page passes the response
 * budget unless it is a single entry; page_size 0 is everything or RESOURCE_EXHAUSTED.
 */
import { encodedSize } from '../../supervisor/api/load';
import { TsrunError } from '../../supervisor/shared/errors';
import { MAX_RESPONSE_BYTES, pageOf } from '../../supervisor/services/paging';
import { seededRandom } from '../helpers/seeded-random';

interface Entry {
  id: string;
  specJson: string;
}

const SIZES = [0, 10, 3000, 200_000, 1 << 20, MAX_RESPONSE_BYTES + 10];

test.each([1, 2, 3, 4, 5, 6, 7, 8])('seed %i', (seed) => {
  const rnd = seededRandom(seed);
  const count = Math.floor(rnd() * 60);
  const entries: Entry[] = Array.from({ length: count }, (_, i) => ({
    id: `c${Math.floor(rnd() * 1e6)}-${i}`,
    specJson: 'x'.repeat(SIZES[Math.floor(rnd() * SIZES.length)]),
  }));
  const sorted = [...entries].sort((a, b) => (a.id < b.id ? -1 : 1)).map((e) => e.id);
  for (const pageSize of [1, 7, 1000]) {
    const seen: string[] = [];
    let pageToken = '';
    for (let pages = 0; ; pages++) {
      expect(pages).toBeLessThanOrEqual(count);
      const { page, next } = pageOf(entries, (e) => e.id, 'Container', { pageSize, pageToken }, 'containers');
      expect(page.length).toBeLessThanOrEqual(pageSize);
      const bytes = page.reduce((n, e) => n + encodedSize('Container', e) + 5, 0);
      if (page.length > 1) expect(bytes).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
      seen.push(...page.map((e) => e.id));
      if (next === '') break;
      expect(next).toBe(page[page.length - 1].id);
      pageToken = next;
    }
    expect(seen).toEqual(sorted);
  }
  const total = entries.reduce((n, e) => n + encodedSize('Container', e) + 5, 0);
  const all = () => pageOf(entries, (e) => e.id, 'Container', { pageSize: 0, pageToken: '' }, 'containers');
  if (total <= MAX_RESPONSE_BYTES || count <= 1) {
    expect(all()).toEqual({ page: [...entries].sort((a, b) => (a.id < b.id ? -1 : 1)), next: '' });
  } else {
    expect(all).toThrow(TsrunError);
    expect(all).toThrow(/^page_size: the \d+ containers do not fit one response/);
  }
});
