/**
 * Validation of config.json and state documents: the project's JSON Schemas (spec/schema) plus
 * the rules a schema cannot express (spec/rules.ts). Every problem is reported, each with its
 * path in the document and the rule broken.
 */
import { type ConfigIssue } from './issue';
import { checkConfigRules, checkStateRules } from './rules';
import { checkConfigSchema, checkStateSchema } from './schema-check';

export { type ConfigIssue, formatIssue } from './issue';
export { checkConfigSchema, checkProcessSchema, checkStateSchema } from './schema-check';

/** Everything wrong with a config.json document for creating a Linux container; [] when valid. */
export function validateConfig(doc: unknown): ConfigIssue[] {
  return [...checkConfigSchema(doc), ...checkConfigRules(doc)];
}

/** Everything wrong with a container state document; [] when valid. */
export function validateState(doc: unknown): ConfigIssue[] {
  return [...checkStateSchema(doc), ...checkStateRules(doc)];
}
