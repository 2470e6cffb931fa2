/** Untrusted JSON text (a configuration file, a plugin's output) parsed within bounds. */

export const MAX_JSON_BYTES = 1 << 20;
const MAX_DEPTH = 64;

/** The parsed value, or an Error whose message says what is wrong with the text. */
export function parseBoundedJson(text: string): unknown {
  if (text.length > MAX_JSON_BYTES) throw new Error(`larger than ${MAX_JSON_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`not JSON (${(err as Error).message})`);
  }
  // Deep nesting would overflow the stack later, when the value is stringified for a plugin.
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > MAX_DEPTH) throw new Error(`nested deeper than ${MAX_DEPTH} levels`);
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return value;
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
