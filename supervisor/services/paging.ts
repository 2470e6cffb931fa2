/**
 * Pages of a List (containers.proto's ListContainersRequest gives the contract): sorted by key, at
 * most page_size entries and never more bytes than one response may carry.
 */
import { encodedSize } from '../api/load';
import { TsrunError } from '../shared/errors';

/** Below gRPC's 4 MiB message limit, with room for the response's other fields. */
export const MAX_RESPONSE_BYTES = 3 << 20;

export interface PageRequest {
  pageSize: number;
  pageToken: string;
}

/**
 * The page of `entries` that `req` asks for, and the token of the next ("" after the last).
 * `what` names the entries in the message of a list too large for one response.
 */
export function pageOf<T>(entries: T[], keyOf: (e: T) => string, typeName: string, req: PageRequest, what: string): { page: T[]; next: string } {
  const sorted = entries.filter((e) => keyOf(e) > req.pageToken).sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1));
  const limit = req.pageSize > 0 ? req.pageSize : Infinity;
  const page: T[] = [];
  let bytes = 0;
  for (const e of sorted) {
    if (page.length >= limit) break;
    // The length prefix of a repeated message field: at most 5 bytes more.
    const size = encodedSize(typeName, e as object) + 5;
    if (bytes + size > MAX_RESPONSE_BYTES && page.length > 0) {
      if (req.pageSize === 0) {
        throw new TsrunError(
          `page_size: the ${sorted.length} ${what} do not fit one response (${MAX_RESPONSE_BYTES} bytes): ask for pages (page_size, then page_token)`,
          { code: 'resource-exhausted', subject: 'page_size' },
        );
      }
      break;
    }
    bytes += size;
    page.push(e);
  }
  const more = page.length < sorted.length;
  return { page, next: more ? keyOf(page[page.length - 1]) : '' };
}
