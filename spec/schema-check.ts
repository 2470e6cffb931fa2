/**
 * Checks a document against the project's JSON Schemas (spec/schema) with the validators ajv
 * generated from them (spec/generated/validators.ts), reporting every violation as a ConfigIssue
 * with a person-readable message. The schemas carry two annotation keywords for this:
 * `x-expect` (what a valid value looks like) and `x-noun` (what an enum lists).
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { type ConfigIssue, type PathSegment, issue, showValue } from './issue';

// Generated code without types of its own (ajv standalone output).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const validators: { config: ValidateFunction; process: ValidateFunction; state: ValidateFunction } = require('./generated/validators');

export function checkConfigSchema(doc: unknown): ConfigIssue[] {
  return run(validators.config, doc);
}

/** A process object (an exec's process.json), with paths as in config.json: `process.user.uid`. */
export function checkProcessSchema(proc: unknown): ConfigIssue[] {
  return run(validators.process, proc, ['process']);
}

export function checkStateSchema(doc: unknown): ConfigIssue[] {
  return run(validators.state, doc);
}

/** `at`: where `doc` sits in the document the paths of the issues name. */
function run(validate: ValidateFunction, doc: unknown, at: PathSegment[] = []): ConfigIssue[] {
  if (validate(doc)) return [];
  const errors = validate.errors ?? [];
  // A value of the wrong type also fails its node's range, pattern or enum: say only the first.
  const wrongType = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  const seen = new Set<string>();
  const issues: ConfigIssue[] = [];
  for (const err of errors) {
    if (err.keyword !== 'type' && err.keyword !== 'required' && wrongType.has(err.instancePath)) continue;
    const found = describe(err, doc, at);
    if (!found) continue;
    const key = `${found.path}\n${found.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(found);
  }
  return issues;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean (true or false)',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

function describe(err: ErrorObject, doc: unknown, docAt: PathSegment[]): ConfigIssue | null {
  const at = [...docAt, ...segmentsOf(err.instancePath, doc)];
  const schema = err.parentSchema ?? {};
  const expect = typeof schema['x-expect'] === 'string' ? (schema['x-expect'] as string) : null;
  const got = `(got ${showValue(err.data)})`;
  switch (err.keyword) {
    case 'required':
      return issue([...at, String(err.params.missingProperty)], 'is required');
    case 'type': {
      const wanted = expect ?? TYPE_NAMES[String(err.params.type)] ?? String(err.params.type);
      return issue(at, `must be ${wanted} ${got}`);
    }
    case 'enum': {
      const allowed = (err.params.allowedValues as unknown[]).map((v) => String(v)).join(', ');
      const noun = schema['x-noun'];
      return typeof noun === 'string'
        ? issue(at, `unknown ${noun} ${showValue(err.data)} (allowed: ${allowed})`)
        : issue(at, `must be one of ${allowed} ${got}`);
    }
    case 'propertyNames':
      // The key itself was reported by the nested keyword (e.g. minLength) at this object.
      return null;
    default: {
      if (err.propertyName !== undefined) {
        const rule = expect ? `keys must be ${expect}` : `key ${showValue(err.propertyName)}: ${err.message}`;
        return issue(at, `${rule} (got ${showValue(err.propertyName)})`);
      }
      return issue(at, expect ? `must be ${expect} ${got}` : `${err.message ?? err.keyword} ${got}`);
    }
  }
}

/** JSON pointer -> path segments, numbering only where the document has an array. */
function segmentsOf(pointer: string, doc: unknown): PathSegment[] {
  if (pointer === '') return [];
  const segments: PathSegment[] = [];
  let node: unknown = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^\d+$/.test(key)) {
      segments.push(Number(key));
      node = node[Number(key)];
    } else {
      segments.push(key);
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return segments;
}
