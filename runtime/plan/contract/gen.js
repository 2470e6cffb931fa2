#!/usr/bin/env node
/**
 * Generates the plan contract's code from runtime/plan/contract/steps.json: the TypeScript step
 * types, the TypeScript encoder with its validation, the C structs and decoder, and the addon's
 * decoder back to objects (for tests of the wire format). Every bound is checked on both sides
 * from the one definition in the table.
 *
 *   node runtime/plan/contract/gen.js          write the generated files
 *   node runtime/plan/contract/gen.js --check  exit 1 when a committed file differs from what the
 *                                              table produces (CI)
 *
 * The table's vocabulary: a field has a `name`, a wire `type` (u8, u32, i32, u64, bool, str,
 * bytes, optstr, enum, list, record, step, steps) and optionally bounds (`min`, `max`, `maxBy`,
 * `minItems`, `maxItems`, `minBytes`, `maxBytes`, `bits`), cross-field rules (`requires`, `iff`,
 * `where`), `optional` (may be missing in TypeScript; `default` is what travels then),
 * `nullable`, `wire: false` (TypeScript only) and C spellings (`c`, `cType`, `flatten`).
 */
'use strict';
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '../../..');
const TABLE_FILE = path.join(__dirname, 'steps.json');
const OUT = {
  tsTypes: path.join(ROOT, 'runtime/plan/contract/generated/steps.ts'),
  tsEncoder: path.join(ROOT, 'runtime/native/generated/plan-encoder.ts'),
  cTypes: path.join(ROOT, 'native/src/exec/generated/plan_types.h'),
  cDecoder: path.join(ROOT, 'native/src/exec/generated/plan_decode.c'),
  cppObject: path.join(ROOT, 'native/src/addon/generated/plan_object.inc'),
};

const BANNER = 'Generated from runtime/plan/contract/steps.json by runtime/plan/contract/gen.js: do not edit.\n' +
  ' * Change the table and run `npm run gen:types`.';

// ---------------------------------------------------------------------------------------------
// The table, with every derived name filled in

const snake = (name) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
const upper = (name) => snake(name).toUpperCase();
const opConst = (op) => `OP_${upper(op)}`;
const phaseConst = (phase) => `PLAN_IN_${upper(phase)}`;
const cName = (field) => field.c ?? snake(field.name);
const onWire = (field) => field.wire !== false;

function loadTable() {
  const table = JSON.parse(fs.readFileSync(TABLE_FILE, 'utf8'));
  const phases = Object.keys(table.phases);
  for (const step of table.steps) {
    step.cMember = step.cMember ?? snake(step.op);
    step.cStruct = step.cStruct ?? `${snake(step.op)}_step`;
    for (const p of step.phases) if (!phases.includes(p)) throw new Error(`${step.op}: unknown phase ${p}`);
  }
  const codes = new Set();
  for (const step of table.steps) {
    if (codes.has(step.code)) throw new Error(`${step.op}: op code ${step.code} taken twice`);
    codes.add(step.code);
  }
  // Steps sharing a C union member must share its fields.
  const members = new Map();
  for (const step of table.steps.filter((s) => s.fields.some(onWire))) {
    const shape = JSON.stringify({ struct: step.cStruct, fields: step.fields.filter(onWire).map((f) => ({ ...f, doc: undefined })) });
    if (members.has(step.cMember) && members.get(step.cMember) !== shape) throw new Error(`${step.op}: C member ${step.cMember} shared with different fields`);
    members.set(step.cMember, shape);
  }
  return table;
}

const table = loadTable();
const record = (name) => {
  const r = table.records[name];
  if (!r) throw new Error(`unknown record ${name}`);
  return r;
};
const stepOf = (op) => {
  const s = table.steps.find((x) => x.op === op);
  if (!s) throw new Error(`unknown step ${op}`);
  return s;
};
const stepsIn = (phase) => table.steps.filter((s) => s.phases.includes(phase));
/** The name messages give a record's fields ("address local", "exec preserveFds"). */
const recordLabel = (name) => record(name).name ?? (name === table.plan.ts ? '' : name);
const label = (prefix, field) => (prefix ? `${prefix} ${field}` : field);

/** The fewest bytes a value of this field takes on the wire (bounds what a count may claim). */
function minBytes(field) {
  switch (field.type) {
    case 'u8': case 'bool': case 'enum': case 'optstr': return 1;
    case 'u32': case 'i32': case 'str': case 'bytes': case 'list': case 'steps': return 4;
    case 'u64': return 8;
    case 'step': return 1;
    case 'record': return field.nullable || field.optional ? 1 : recordMinBytes(field.record);
    default: throw new Error(`unknown type ${field.type}`);
  }
}
function recordMinBytes(name) {
  const r = record(name);
  const own = r.fields.filter(onWire).reduce((n, f) => n + minBytes(f), 0);
  return r.extendsStep ? 1 + stepOf(r.extendsStep).fields.filter(onWire).reduce((n, f) => n + minBytes(f), 0) + own : own;
}
/** Records C holds as structs of their own (the others are flattened into their holder). */
function structRecords() {
  const used = new Set();
  const walk = (fields) => {
    for (const f of fields) {
      const ref = f.type === 'record' ? f : f.type === 'list' && f.item.type === 'record' ? f.item : null;
      if (ref && !ref.flatten) used.add(ref.record);
      if (ref) walk(record(ref.record).fields);
    }
  };
  walk(table.plan.fields);
  table.steps.forEach((s) => walk(s.fields));
  return Object.entries(table.records).filter(([name]) => used.has(name));
}

const itemMinBytes = (item) => (item.type === 'record' ? recordMinBytes(item.record) : minBytes(item));

// ---------------------------------------------------------------------------------------------
// TypeScript types

function tsDoc(doc, indent) {
  if (!doc || doc.length === 0) return '';
  if (doc.length === 1) return `${indent}/** ${doc[0]} */\n`;
  return `${indent}/**\n${doc.map((l) => `${indent} * ${l}`.trimEnd()).join('\n')}\n${indent} */\n`;
}

function tsType(field) {
  let t;
  switch (field.type) {
    case 'u8': case 'u32': case 'i32': t = 'number'; break;
    case 'u64': case 'str': case 'bytes': t = 'string'; break;
    case 'optstr': t = 'string | null'; break;
    case 'bool': t = 'boolean'; break;
    case 'enum': t = Object.keys(field.values).map((v) => `'${v}'`).join(' | '); break;
    case 'list': {
      const item = tsType(field.item);
      t = /[ |]/.test(item) ? `(${item})[]` : `${item}[]`;
      break;
    }
    case 'record': t = field.record; break;
    case 'step': t = stepOf(field.op).ts; break;
    case 'steps': t = `${field.tsType}[]`; break;
    default: throw new Error(`unknown type ${field.type}`);
  }
  return field.nullable ? `${t} | null` : t;
}

function tsFields(fields) {
  return fields.map((f) => `${tsDoc(f.doc, '  ')}  ${f.name}${f.optional ? '?' : ''}: ${tsType(f)};\n`).join('');
}

function genTsTypes() {
  let out = `/* ${BANNER} */\n\n`;
  out += `/** The processes a step list belongs to; exec* are the steps ExecSpec holds. */\n`;
  out += `export type PlanPhase = ${Object.keys(table.phases).map((p) => `'${p}'`).join(' | ')};\n\n`;
  const planRecord = { ...table.plan, name: undefined };
  out += tsDoc(planRecord.doc, '') + `export interface ${table.plan.ts} {\n${tsFields(table.plan.fields)}}\n\n`;
  for (const [name, r] of Object.entries(table.records)) {
    const ext = r.extendsStep ? ` extends ${stepOf(r.extendsStep).ts}` : '';
    out += tsDoc(r.doc, '') + `export interface ${name}${ext} {\n${tsFields(r.fields)}}\n\n`;
  }
  for (const s of table.steps) {
    out += tsDoc(s.doc, '') + `export interface ${s.ts} {\n  op: '${s.op}';\n${tsFields(s.fields)}}\n\n`;
  }
  for (const f of table.plan.fields.filter((x) => x.type === 'steps')) {
    out += `export type ${f.tsType} =\n${stepsIn(f.phase).map((s) => `  | ${s.ts}`).join('\n')};\n\n`;
  }
  const lists = table.plan.fields.filter((x) => x.type === 'steps');
  const elsewhere = table.steps.filter((s) => !lists.some((f) => s.phases.includes(f.phase))).map((s) => s.ts);
  out += `/** Any step of any phase. */\nexport type AnyStep = ${[...lists.map((f) => f.tsType), ...elsewhere].join(' | ')};\n`;
  return out;
}

// ---------------------------------------------------------------------------------------------
// TypeScript encoder

const jsString = (s) => JSON.stringify(s);
/** The path template literal `at` with `suffix` appended inside it. */
const subPath = (at, suffix) => `${at.slice(0, -1)}${suffix}\``;

/** A requirement of `requires`/`iff` as a TypeScript condition on `obj` and its name in messages. */
function tsRequirement(req, obj, fields) {
  if (typeof req === 'string') {
    const f = fields.find((x) => x.name === req);
    const cond = f.type === 'bool' ? `${obj}.${req} === true` : `${obj}.${req} != null`;
    return { cond, name: req };
  }
  if (req.bits !== undefined) return { cond: `((${obj}.${req.field} & ${req.bits}) >>> 0) === ${req.bits}`, name: req.name };
  return { cond: `${obj}.${req.field} === ${jsString(req.equals)}`, name: `${req.field} ${req.equals}` };
}

function tsPresent(field, value) {
  if (field.type === 'bool') return `(${value}) === true`;
  return `(${value}) != null`;
}

function tsValue(field, obj) {
  const v = `${obj}.${field.name}`;
  if (!field.optional) return v;
  if (field.default !== undefined) return `(${v} ?? ${JSON.stringify(field.default)})`;
  if (field.type === 'list') return `(${v} ?? [])`;
  return `(${v} ?? null)`;
}

/** Statements writing one value of `field` held in `v`, at path expression `at`. */
function tsWriteValue(field, v, at, what, indent) {
  const i = indent;
  switch (field.type) {
    case 'u8': return `${i}w.u8(${v}, ${at}, ${field.min ?? 0}, ${field.maxByValue ?? field.max ?? 255});\n`;
    case 'u32': return `${i}w.u32(${v}, ${at}, ${field.min ?? 0}, ${field.max ?? 0xffffffff});\n`;
    case 'i32': return `${i}w.i32(${v}, ${at}, ${field.min}, ${field.max});\n`;
    case 'u64': return `${i}w.u64(${v}, ${at});\n`;
    case 'bool': return `${i}w.bool(${v}, ${at});\n`;
    case 'str': {
      const bounds = field.minBytes !== undefined || field.maxBytes !== undefined
        ? `, { min: ${field.minBytes ?? 0}, max: ${field.maxBytes ?? 0xffffffff}, what: ${jsString(what)} }` : '';
      return `${i}w.str(${v}, ${at}${bounds});\n`;
    }
    case 'bytes': return field.nul === false ? `${i}w.str(${v}, ${at});\n` : `${i}w.bytes(${v}, ${at});\n`;
    case 'optstr': return `${i}w.optstr(${v}, ${at});\n`;
    case 'enum': return `${i}w.u8(w.oneOf(${jsString(field.values)}, ${v}, ${at}), ${at});\n`;
    case 'list': {
      const items = `${v}`;
      let out = `${i}w.count(${items}, ${at}, ${field.minItems ?? 0}, ${field.maxItems ?? 0xffffffff}, ${jsString(what)});\n`;
      const itemWhat = label(what.split(' ').slice(0, -1).join(' '), field.item.name ?? field.name);
      out += `${i}${items}.forEach((item, n) => {\n`;
      out += tsWriteValue(field.item, 'item', subPath(at, '[${n}]'), itemWhat, i + '  ');
      out += `${i}});\n`;
      return out;
    }
    case 'record': {
      const write = `write${field.record}(w, ${field.nullable || field.optional ? 'present' : v}, ${at});\n`;
      if (!field.nullable && !field.optional) return `${i}${write}`;
      return `${i}{\n${i}  const present = ${v};\n${i}  w.bool(present != null, ${at});\n${i}  if (present != null) ${write}${i}}\n`;
    }
    case 'step': {
      let out = `${i}{\n${i}  const step = ${v};\n${i}  w.bool(step != null, ${at});\n${i}  if (step != null) {\n`;
      out += `${i}    writeStep(w, step, '${field.phase}', ${at});\n`;
      for (const [key, want] of Object.entries(field.where ?? {})) {
        const sub = stepOf(field.op).fields.find((x) => x.name === key);
        if (want === null) {
          out += `${i}    if (step.op === '${field.op}' && ${tsPresent(sub, `step.${key}`)}) w.refuse(${at}, ${jsString(`${what} ${field.whereMessage}`)});\n`;
        } else {
          out += `${i}    if (step.op === '${field.op}' && step.${key} !== ${jsString(want)}) w.refuse(${subPath(at, `.${key}`)}, ${jsString(`must be ${JSON.stringify(want)}`)});\n`;
        }
      }
      return out + `${i}  }\n${i}}\n`;
    }
    case 'steps': {
      return `${i}w.count(${v}, ${at}, 0, 0xffffffff, ${jsString(what)});\n${i}${v}.forEach((step, n) => writeStep(w, step, '${field.phase}', ${subPath(at, '[${n}]')}));\n`;
    }
    default: throw new Error(`unknown type ${field.type}`);
  }
}

/** Writes the fields of `obj` (a record or step) and checks its cross-field rules. */
function tsWriteFields(fields, obj, atBase, prefix) {
  let out = '';
  const at = (f) => `\`\${${atBase}}.${f.name}\``;
  for (const f of fields.filter(onWire)) {
    let field = f;
    if (f.maxBy) {
      const by = f.maxBy;
      out += `  const max${f.name} = (${jsString(by.values)} as Record<string, number>)[${obj}.${by.field}] ?? 0;\n`;
      field = { ...f, maxByValue: `max${f.name}` };
    }
    out += tsWriteValue(field, tsValue(f, obj), at(f), label(prefix, f.name), '  ');
    if (f.bits !== undefined) {
      out += `  if (((${obj}.${f.name} & ~${f.bits}) >>> 0) !== 0) w.refuse(${at(f)}, ${jsString(`${label(prefix, f.name)} ${f.bitsMessage}`)});\n`;
    }
  }
  for (const f of fields.filter(onWire)) {
    const present = tsPresent(f, tsValue(f, obj));
    for (const req of f.requires ?? []) {
      const { cond, name } = tsRequirement(req, obj, fields);
      out += `  if (${present} && !(${cond})) w.refuse(${at(f)}, ${jsString(`${label(prefix, f.name)} without ${name}`)});\n`;
    }
    if (f.iff) {
      const { cond, name } = tsRequirement(f.iff, obj, fields);
      out += `  if ((${present}) !== (${cond})) w.refuse(${at(f)}, ${jsString(`${label(prefix, f.name)} without ${name}, or ${name} without ${f.name}`)});\n`;
    }
  }
  return out;
}

function genTsEncoder() {
  const stepTypes = [...new Set(table.steps.filter((s) => s.fields.some(onWire)).map((s) => s.ts))];
  let out = `/* ${BANNER} */\n`;
  out += `import type {\n  AnyStep,\n  PlanPhase,\n  ${table.plan.ts},\n${Object.keys(table.records).map((r) => `  ${r},\n`).join('')}${stepTypes.map((t) => `  ${t},\n`).join('')}} from '../../plan/contract/generated/steps';\n`;
  out += `import type { PlanWriter } from '../plan-writer';\n\n`;
  out += `export const PLAN_MAGIC = ${jsString(table.magic)};\nexport const PLAN_VERSION = ${table.version};\n\n`;
  out += `/** Op codes on the wire (enum plan_op in native/src/exec/generated/plan_types.h). */\n`;
  out += `export const OP_CODES: Record<AnyStep['op'], number> = {\n${table.steps.map((s) => `  ${s.op}: ${s.code},\n`).join('')}};\n\n`;
  out += `/** The steps each phase may hold. */\nexport const PHASE_OPS: Record<PlanPhase, ReadonlySet<string>> = {\n`;
  out += Object.keys(table.phases).map((p) => `  ${p}: new Set([${stepsIn(p).map((s) => `'${s.op}'`).join(', ')}]),\n`).join('');
  out += `};\n\n`;
  out += `function writeStep(w: PlanWriter, step: AnyStep, phase: PlanPhase, at: string): void {\n`;
  out += `  if (!PHASE_OPS[phase].has(step.op)) w.refuse(\`\${at}.op\`, \`\${JSON.stringify(step.op)} is not a step of this phase\`);\n`;
  out += `  w.u8(OP_CODES[step.op], \`\${at}.op\`);\n  switch (step.op) {\n`;
  for (const s of table.steps) {
    if (s.fields.some(onWire)) out += `    case '${s.op}':\n      write${s.ts}(w, step, at);\n      break;\n`;
  }
  const empty = table.steps.filter((s) => !s.fields.some(onWire));
  out += empty.map((s) => `    case '${s.op}':\n`).join('') + `      break;\n`;
  out += `    default: {\n      const unknown: never = step;\n      w.refuse(\`\${at}.op\`, \`unknown op \${JSON.stringify((unknown as { op: unknown }).op)}\`);\n    }\n  }\n}\n\n`;
  for (const s of table.steps.filter((x) => x.fields.some(onWire))) {
    out += `function write${s.ts}(w: PlanWriter, step: ${s.ts}, at: string): void {\n${tsWriteFields(s.fields, 'step', 'at', s.op)}}\n\n`;
  }
  for (const [name, r] of Object.entries(table.records)) {
    let body = '';
    if (r.extendsStep) body += `  writeStep(w, x, '${r.phase}', at);\n`;
    body += tsWriteFields(r.fields, 'x', 'at', recordLabel(name));
    out += `function write${name}(w: PlanWriter, x: ${name}, at: string): void {\n${body}}\n\n`;
  }
  out += `/** The plan's fields after the header, checked against the contract. */\n`;
  out += `export function write${table.plan.ts}(w: PlanWriter, plan: ${table.plan.ts}): void {\n`;
  out += `  const at = 'plan';\n` + tsWriteFields(table.plan.fields, 'plan', 'at', '');
  for (const one of table.plan.atMostOne) {
    const lists = table.plan.fields.filter((f) => f.type === 'steps').map((f) => `...plan.${f.name}`);
    const nested = nestedSteps().map((n) => `plan.${n.path}`);
    out += `  if ([${lists.join(', ')}, ${nested.join(', ')}].filter((s) => s?.op === '${one.op}').length > 1) w.refuse(at, ${jsString(one.message)});\n`;
  }
  out += `}\n`;
  return out;
}

/** The step fields of the plan's records (exec.seccomp), as paths from the plan. */
function nestedSteps() {
  const found = [];
  const walk = (fields, pathSoFar) => {
    for (const f of fields) {
      if (f.type === 'step') found.push({ path: `${pathSoFar}${f.name}`, field: f });
      if (f.type === 'record' && !f.nullable && !f.optional) walk(record(f.record).fields, `${pathSoFar}${f.name}.`);
    }
  };
  walk(table.plan.fields, '');
  return found;
}

// ---------------------------------------------------------------------------------------------
// C structs

/** Declarations of `fields` with C names prefixed by `prefix` (flattened records). */
function cDecls(fields, prefix) {
  const out = [];
  for (const f of fields.filter(onWire)) {
    const n = `${prefix}${cName(f)}`;
    if (f.doc) out.push(f.doc.length === 1 ? `/* ${f.doc[0]} */` : `/* ${f.doc.join('\n   * ')} */`);
    switch (f.type) {
      case 'u8': case 'bool': case 'enum': out.push(`uint8_t ${n};${f.type === 'enum' && f.cEnum ? ` /* enum ${f.cEnum.name} */` : ''}`); break;
      case 'u32': out.push(`${f.cType ?? 'uint32_t'} ${n};`); break;
      case 'i32': out.push(`int32_t ${n};`); break;
      case 'u64': out.push(`uint64_t ${n};`); break;
      case 'str': case 'optstr': out.push(`const char *${n};${f.type === 'optstr' ? ' /* NULL when absent */' : ''}`); break;
      case 'bytes': out.push(`struct plan_str ${n};`); break;
      case 'list': {
        const item = f.item.type === 'str' ? 'char *const *' : f.item.type === 'record' ? `const struct ${record(f.item.record).c} *` : 'const uint32_t *';
        out.push(`uint32_t n_${n};`, `${item}${n};${f.item.type === 'str' ? ' /* NULL-terminated */' : ''}`);
        break;
      }
      case 'record':
        if (f.flatten) {
          if (f.nullable || f.optional) out.push(`uint8_t has_${n};`);
          out.push(...cDecls(record(f.record).fields, `${n}_`));
        } else if (f.nullable || f.optional) out.push(`const struct ${record(f.record).c} *${n}; /* NULL when absent */`);
        else out.push(`struct ${record(f.record).c} ${n};`);
        break;
      case 'step': out.push(`const struct plan_step *${n}; /* a ${f.op} step, or NULL */`); break;
      case 'steps': out.push(`const struct plan_step *${n};`, `uint32_t n_${n};`); break;
      default: throw new Error(`unknown type ${f.type}`);
    }
  }
  return out;
}

/** Records a struct embeds by value (so they must be defined first). */
function cDeps(fields) {
  const deps = [];
  for (const f of fields.filter(onWire)) {
    if (f.type !== 'record') continue;
    if (f.flatten) deps.push(...cDeps(record(f.record).fields));
    else if (!f.nullable && !f.optional) deps.push(record(f.record).c);
  }
  return deps;
}

function genCTypes() {
  let out = `/* ${BANNER} */\n#ifndef TSRUN_PLAN_TYPES_H\n#define TSRUN_PLAN_TYPES_H\n\n#include <stdint.h>\n\n`;
  out += `#define PLAN_MAGIC ${jsString(table.magic)}\n#define PLAN_VERSION ${table.version}u\n\n`;
  out += `/* Op codes on the wire. */\nenum plan_op {\n${table.steps.map((s) => `  ${opConst(s.op)} = ${s.code},\n`).join('')}};\n\n`;
  out += `/* The phases a step may be decoded in (bits). */\nenum plan_phase {\n${Object.keys(table.phases).map((p, i) => `  ${phaseConst(p)} = ${1 << i},\n`).join('')}};\n\n`;
  const enums = [];
  const collectEnums = (fields) => {
    for (const f of fields) {
      if (f.type === 'enum' && f.cEnum) enums.push(f);
      if (f.type === 'record') collectEnums(record(f.record).fields);
    }
  };
  for (const s of table.steps) collectEnums(s.fields);
  for (const f of [...new Map(enums.map((e) => [e.cEnum.name, e])).values()]) {
    out += `enum ${f.cEnum.name} { ${Object.entries(f.values).map(([k, v]) => `${f.cEnum.prefix}${upper(k)} = ${v}`).join(', ')} };\n`;
  }
  const maxConsts = [];
  const collectMax = (fields) => fields.forEach((f) => f.cMaxConst && maxConsts.push(`#define ${f.cMaxConst} ${f.max}u`));
  table.steps.forEach((s) => collectMax(s.fields));
  Object.values(table.records).forEach((r) => collectMax(r.fields));
  if (maxConsts.length) out += `\n/* Bounds C code sizes buffers by. */\n${maxConsts.join('\n')}\n`;
  out += `\n/* A string from the plan: NUL-terminated; \`len\` excludes the NUL. */\nstruct plan_str {\n  const char *s;\n  uint32_t len;\n};\n\n`;
  out += `struct plan_step;\nstruct plan_arena;\n`;
  for (const [, r] of structRecords()) out += `struct ${r.c};\n`;
  out += '\n';

  // Every struct with what it embeds by value; emitted depth first.
  const structs = new Map();
  const add = (name, doc, body, deps) => structs.set(name, { doc, body, deps });
  for (const [, r] of structRecords()) {
    const body = [...(r.extendsStep ? ['struct plan_step step;'] : []), ...cDecls(r.fields, ''), ...(r.cExtra ?? [])];
    add(r.c, r.doc, body, [...cDeps(r.fields), ...(r.extendsStep ? ['plan_step'] : [])]);
  }
  const stepStructs = [];
  for (const s of table.steps.filter((x) => x.fields.some(onWire))) {
    if (structs.has(s.cStruct)) continue;
    add(s.cStruct, [`${s.op}${table.steps.filter((x) => x.cStruct === s.cStruct && x !== s).map((x) => `, ${x.op}`).join('')}`], [...cDecls(s.fields, ''), ...(s.cExtra ?? [])], cDeps(s.fields));
    stepStructs.push(s.cStruct);
  }
  const members = [...new Map(table.steps.filter((x) => x.fields.some(onWire)).map((s) => [s.cMember, s.cStruct])).entries()];
  add('plan_step', ['One step: `op` says which member of `u` holds its fields.'], ['uint8_t op; /* enum plan_op */', 'union {', ...members.map(([m, st]) => `  struct ${st} ${m};`), '} u;'], stepStructs);
  add(table.plan.c, table.plan.doc, [...cDecls(table.plan.fields, ''), ...(table.plan.cExtra ?? [])], cDeps(table.plan.fields));
  const done = new Set();
  const emit = (name) => {
    if (done.has(name)) return;
    done.add(name);
    const s = structs.get(name);
    for (const d of s.deps) emit(d);
    out += `${s.doc ? `/* ${s.doc.join('\n * ')} */\n` : ''}struct ${name} {\n${s.body.map((l) => `  ${l}`).join('\n')}\n};\n\n`;
  };
  for (const name of structs.keys()) emit(name);
  out += `#endif\n`;
  return out;
}

// ---------------------------------------------------------------------------------------------
// C decoder

const cStr = (s) => JSON.stringify(s);

/** C presence test of `field` (bool set, pointer set, flattened record present). */
function cPresent(field, lv) {
  const n = lv(cName(field));
  if (field.type === 'bool') return n;
  if (field.type === 'record' && field.flatten) return lv(`has_${cName(field)}`);
  return `${n} != NULL`;
}

function cRequirement(req, fields, lv) {
  if (typeof req === 'string') return { cond: cPresent(fields.find((x) => x.name === req), lv), name: req };
  const f = fields.find((x) => x.name === req.field);
  if (req.bits !== undefined) return { cond: `(${lv(cName(f))} & ${req.bits}u) == ${req.bits}u`, name: req.name };
  return { cond: `${lv(cName(f))} == ${f.values[req.equals]}`, name: `${req.field} ${req.equals}` };
}

function cRange(field, v, what, indent) {
  const min = field.min ?? 0;
  if (field.maxByValue) return `${indent}if (!r->failed && ${v} > ${field.maxByValue}) plan_bad(r, ${cStr(`${what} above its bound`)});\n`;
  if (field.max === undefined && min === 0) return '';
  const max = field.max ?? 0xffffffff;
  if (min === 0) return `${indent}if (!r->failed && ${v} > ${max}${field.type === 'i32' ? '' : 'u'}) plan_bad(r, ${cStr(`${what} above ${max}`)});\n`;
  return `${indent}if (!r->failed && (${v} < ${min} || ${v} > ${max})) plan_bad(r, ${cStr(`${what} outside ${min}..${max}`)});\n`;
}

/** Statements reading one value into lvalue `dst`; `lv` names siblings, `what` the field. */
function cRead(field, dst, lv, what, indent) {
  const i = indent;
  switch (field.type) {
    case 'u8': return `${i}${dst} = rd_u8(r, ${cStr(what)});\n${cRange(field, dst, what, i)}`;
    case 'bool': return `${i}${dst} = rd_bool(r, ${cStr(what)});\n`;
    case 'enum':
      return `${i}${dst} = rd_u8(r, ${cStr(what)});\n${i}if (!r->failed && ${Object.values(field.values).map((v) => `${dst} != ${v}`).join(' && ')}) plan_bad(r, ${cStr(what)});\n`;
    case 'u32': {
      const range = cRange(field, 'v', what, `${i}  `);
      if (!range && !field.cType) return `${i}${dst} = rd_u32(r, ${cStr(what)});\n`;
      return `${i}{\n${i}  uint32_t v = rd_u32(r, ${cStr(what)});\n${range}${i}  ${dst} = ${field.cType ? `(${field.cType})` : ''}v;\n${i}}\n`;
    }
    case 'i32': return `${i}${dst} = (int32_t)rd_u32(r, ${cStr(what)});\n${cRange(field, dst, what, i)}`;
    case 'u64': return `${i}${dst} = rd_u64(r, ${cStr(what)});\n`;
    case 'str': {
      let out = `${i}${dst} = rd_str(r, ${cStr(what)});\n`;
      if (field.minBytes !== undefined || field.maxBytes !== undefined) {
        out += `${i}if (!r->failed && (strlen(${dst}) < ${field.minBytes ?? 0} || strlen(${dst}) > ${field.maxBytes ?? 0xffffffff}))\n`;
        out += `${i}  plan_bad(r, ${cStr(`${what} must be ${field.minBytes ?? 0} to ${field.maxBytes} bytes`)});\n`;
      }
      return out;
    }
    case 'bytes': return `${i}${dst} = rd_bytes(r, ${cStr(what)}, ${field.nul === false ? 0 : 1});\n`;
    case 'optstr': return `${i}${dst} = rd_optstr(r, ${cStr(what)});\n`;
    case 'list': {
      const count = dst.replace(/([a-z_0-9]+)$/, 'n_$1');
      const item = field.item;
      const ctype = item.type === 'str' ? 'char *' : item.type === 'record' ? `struct ${record(item.record).c} ` : 'uint32_t ';
      const itemWhat = label(what.split(' ').slice(0, -1).join(' '), item.name ?? field.name);
      let out = `${i}{\n${i}  uint32_t n = rd_count(r, ${itemMinBytes(item)}, ${cStr(what)});\n`;
      if (field.minItems) out += `${i}  if (!r->failed && n < ${field.minItems}) plan_bad(r, ${cStr(field.minItems === 1 ? `${what} is empty` : `${what} holds fewer than ${field.minItems}`)});\n`;
      if (field.maxItems !== undefined) out += `${i}  if (!r->failed && n > ${field.maxItems}) plan_bad(r, ${cStr(`${what}: more than ${field.maxItems}`)});\n`;
      out += `${i}  ${ctype}*items = plan_alloc(r, ((size_t)n + 1) * sizeof *items);\n`;
      out += `${i}  for (uint32_t k = 0; items && k < n && !r->failed; k++) {\n`;
      if (item.type === 'str') out += `${i}    items[k] = (char *)rd_str(r, ${cStr(itemWhat)});\n`;
      else if (item.type === 'record') out += `${i}    rd_${record(item.record).c}(r, &items[k]);\n`;
      else out += cRead(item, 'items[k]', lv, itemWhat, `${i}    `);
      out += `${i}  }\n${i}  ${dst} = items;\n${i}  ${count} = n;\n${i}}\n`;
      return out;
    }
    case 'record': {
      const r = record(field.record);
      if (field.flatten) {
        const prefix = `${cName(field)}_`;
        const inner = (n) => lv(`${prefix}${n}`);
        let body = cReadFields(r.fields, inner, recordLabel(field.record), `${i}${field.nullable || field.optional ? '  ' : ''}`);
        if (!field.nullable && !field.optional) return body;
        return `${i}${lv(`has_${cName(field)}`)} = rd_bool(r, ${cStr(what)});\n${i}if (${lv(`has_${cName(field)}`)}) {\n${body}${i}}\n`;
      }
      if (!field.nullable && !field.optional) return `${i}rd_${r.c}(r, &${dst});\n`;
      return `${i}if (rd_bool(r, ${cStr(what)})) {\n${i}  struct ${r.c} *p = plan_alloc(r, sizeof *p);\n${i}  if (p) rd_${r.c}(r, p);\n${i}  ${dst} = p;\n${i}}\n`;
    }
    case 'step': {
      const target = stepOf(field.op);
      let out = `${i}if (rd_bool(r, ${cStr(what)})) {\n${i}  struct plan_step *s = plan_alloc(r, sizeof *s);\n${i}  if (s) plan_read_step(r, s, ${phaseConst(field.phase)});\n`;
      for (const [key, want] of Object.entries(field.where ?? {})) {
        const sub = target.fields.find((x) => x.name === key);
        const member = (n) => `s->u.${target.cMember}.${n}`;
        const bad = want === null ? cPresent(sub, member) : `${member(cName(sub))} != ${sub.values[want]}`;
        const msg = want === null ? `${what} ${field.whereMessage}` : `${what} ${key} must be ${want}`;
        out += `${i}  if (!r->failed && s && s->op == ${opConst(field.op)} && ${bad}) plan_bad(r, ${cStr(msg)});\n`;
      }
      return out + `${i}  ${dst} = s;\n${i}}\n`;
    }
    case 'steps': return `${i}${dst} = plan_read_steps(r, &${dst.replace(/([a-z_0-9]+)$/, 'n_$1')}, ${phaseConst(field.phase)});\n`;
    default: throw new Error(`unknown type ${field.type}`);
  }
}

function cReadFields(fields, lv, prefix, indent) {
  let out = '';
  for (const f of fields.filter(onWire)) {
    let field = f;
    if (f.maxBy) {
      const sib = fields.find((x) => x.name === f.maxBy.field);
      const cases = Object.entries(f.maxBy.values).map(([k, v]) => `${lv(cName(sib))} == ${sib.values[k]} ? ${v} : `).join('');
      field = { ...f, maxByValue: `(${cases}0)` };
    }
    out += cRead(field, lv(cName(f)), lv, label(prefix, f.name), indent);
    if (f.bits !== undefined) {
      out += `${indent}if (!r->failed && (${lv(cName(f))} & ~${f.bits}u)) plan_bad(r, ${cStr(`${label(prefix, f.name)} ${f.bitsMessage}`)});\n`;
    }
  }
  for (const f of fields.filter(onWire)) {
    for (const req of f.requires ?? []) {
      const { cond, name } = cRequirement(req, fields, lv);
      out += `${indent}if (!r->failed && ${cPresent(f, lv)} && !(${cond})) plan_bad(r, ${cStr(`${label(prefix, f.name)} without ${name}`)});\n`;
    }
    if (f.iff) {
      const { cond, name } = cRequirement(f.iff, fields, lv);
      out += `${indent}if (!r->failed && !(${cPresent(f, lv)}) != !(${cond}))\n${indent}  plan_bad(r, ${cStr(`${label(prefix, f.name)} without ${name}, or ${name} without ${f.name}`)});\n`;
    }
  }
  return out;
}

function genCDecoder() {
  let out = `/* ${BANNER} */\n#include "../plan.h"\n#include "../plan_reader.h"\n\n#include <stdlib.h>\n#include <string.h>\n\n`;
  const finishes = [];
  for (const r of Object.values(table.records)) if (r.cFinish) finishes.push(`void ${r.cFinish}(struct reader *r, struct ${r.c} *x);`);
  for (const s of table.steps) if (s.cFinish) finishes.push(`void ${s.cFinish}(struct reader *r, struct ${s.cStruct} *x);`);
  out += `/* Hand-written in plan.c: what the decoder derives from a decoded value. */\n${finishes.join('\n')}\n\n`;
  for (const [, r] of structRecords()) out += `static void rd_${r.c}(struct reader *r, struct ${r.c} *x);\n`;
  out += '\n';
  const lvX = (n) => `x->${n}`;
  for (const [name, r] of structRecords()) {
    let body = r.extendsStep ? `  plan_read_step(r, &x->step, ${phaseConst(r.phase)});\n` : '';
    body += cReadFields(r.fields, lvX, recordLabel(name), '  ');
    if (r.cFinish) body += `  if (!r->failed) ${r.cFinish}(r, x);\n`;
    out += `static void rd_${r.c}(struct reader *r, struct ${r.c} *x) {\n${body}}\n\n`;
  }
  for (const s of table.steps.filter((x) => x.fields.some(onWire))) {
    let body = cReadFields(s.fields, lvX, s.op, '  ');
    if (s.cFinish) body += `  if (!r->failed) ${s.cFinish}(r, x);\n`;
    out += `static void rd_${snake(s.op)}(struct reader *r, struct ${s.cStruct} *x) {\n${body}}\n\n`;
  }
  out += `static int plan_op_allowed(uint8_t op, int phase) {\n  switch (op) {\n`;
  for (const s of table.steps) out += `  case ${opConst(s.op)}: return (phase & (${s.phases.map(phaseConst).join(' | ')})) != 0;\n`;
  out += `  default: return 0;\n  }\n}\n\n`;
  out += `const char *plan_op_name(uint8_t op) {\n  switch (op) {\n${table.steps.map((s) => `  case ${opConst(s.op)}: return "${s.op}";\n`).join('')}  default: return "unknown";\n  }\n}\n\n`;
  out += `void plan_read_step(struct reader *r, struct plan_step *s, int phase) {\n  s->op = rd_u8(r, "step op");\n  if (r->failed) return;\n`;
  out += `  if (!plan_op_allowed(s->op, phase)) {\n    r->pos--;\n    plan_bad(r, strcmp(plan_op_name(s->op), "unknown") != 0 ? "op not allowed in this phase" : "unknown op");\n    return;\n  }\n`;
  out += `  switch (s->op) {\n`;
  for (const s of table.steps.filter((x) => x.fields.some(onWire))) out += `  case ${opConst(s.op)}: rd_${snake(s.op)}(r, &s->u.${s.cMember}); break;\n`;
  out += `  default: break; /* ${table.steps.filter((x) => !x.fields.some(onWire)).map((x) => x.op).join(', ')}: no fields */\n  }\n}\n\n`;
  out += `void plan_read_plan(struct reader *r, struct ${table.plan.c} *x) {\n${cReadFields(table.plan.fields, lvX, '', '  ')}`;
  for (const one of table.plan.atMostOne) {
    out += `  if (!r->failed) {\n    uint32_t n = 0;\n`;
    for (const f of table.plan.fields.filter((y) => y.type === 'steps')) {
      out += `    for (uint32_t k = 0; k < x->n_${cName(f)}; k++) n += x->${cName(f)}[k].op == ${opConst(one.op)};\n`;
    }
    for (const nested of nestedSteps()) {
      const p = `x->${nested.path.split('.').map((part, k, all) => (k === all.length - 1 ? cName(nested.field) : snake(part))).join('.')}`;
      out += `    n += ${p} && ${p}->op == ${opConst(one.op)};\n`;
    }
    out += `    if (n > 1) plan_bad(r, ${cStr(one.message)});\n  }\n`;
  }
  out += `}\n`;
  return out;
}

// ---------------------------------------------------------------------------------------------
// The addon's decoder back to objects (C++), for tests of the wire format

/** Statements setting `obj[name]` from C value `v` of `field`. */
function cppSet(field, obj, v, lv, indent) {
  const i = indent;
  const key = jsString(field.name);
  switch (field.type) {
    case 'u8': case 'u32': case 'i32': case 'enum': {
      if (field.type === 'enum') {
        const names = Object.entries(field.values).map(([k, n]) => `${v} == ${n} ? ${jsString(k)} : `).join('');
        return `${i}${obj}.Set(${key}, ${names}"?");\n`;
      }
      if (field.optional && field.default !== undefined) return `${i}if (${v} != ${field.default}) ${obj}.Set(${key}, static_cast<double>(${v}));\n`;
      return `${i}${obj}.Set(${key}, static_cast<double>(${v}));\n`;
    }
    case 'bool':
      if (field.optional && field.default === false) return `${i}if (${v}) ${obj}.Set(${key}, true); /* optional: absent means false */\n`;
      return `${i}${obj}.Set(${key}, static_cast<bool>(${v}));\n`;
    case 'u64': return `${i}${obj}.Set(${key}, U64(env, ${v}));\n`;
    case 'str': case 'optstr': return `${i}${obj}.Set(${key}, Str(env, ${v}));\n`;
    case 'bytes': return `${i}${obj}.Set(${key}, Bytes(env, ${v}));\n`;
    case 'list': {
      const count = v.replace(/([a-z_0-9]+)$/, 'n_$1');
      let out = `${i}{\n${i}  Napi::Array a = Napi::Array::New(env, ${count});\n${i}  for (uint32_t k = 0; k < ${count}; k++) `;
      const item = field.item;
      if (item.type === 'str') out += `a.Set(k, Str(env, ${v}[k]));\n`;
      else if (item.type === 'record') out += `a.Set(k, Object_${record(item.record).c}(env, ${v}[k]));\n`;
      else out += `a.Set(k, static_cast<double>(${v}[k]));\n`;
      // optional: an empty list is what travels when the field is missing.
      const set = field.optional ? `if (${count} > 0) ${obj}.Set(${key}, a);` : `${obj}.Set(${key}, a);`;
      return out + `${i}  ${set}\n${i}}\n`;
    }
    case 'record': {
      const r = record(field.record);
      if (field.flatten) {
        const prefix = `${cName(field)}_`;
        let out = '';
        const present = field.nullable || field.optional ? lv(`has_${cName(field)}`) : null;
        out += present ? `${i}if (${present}) {\n` : `${i}{\n`;
        out += `${i}  Napi::Object sub = Napi::Object::New(env);\n`;
        for (const f of r.fields.filter(onWire)) out += cppSet(f, 'sub', lv(`${prefix}${cName(f)}`), lv, `${i}  `);
        out += `${i}  ${obj}.Set(${key}, sub);\n${i}}`;
        if (present && !field.optional) out += ` else {\n${i}  ${obj}.Set(${key}, env.Null());\n${i}}`;
        return out + '\n';
      }
      if (!field.nullable && !field.optional) return `${i}${obj}.Set(${key}, Object_${r.c}(env, ${v}));\n`;
      const absent = field.optional ? '' : ` else ${obj}.Set(${key}, env.Null());`;
      return `${i}if (${v}) ${obj}.Set(${key}, Object_${r.c}(env, *${v}));${absent}\n`;
    }
    case 'step': {
      const absent = field.optional ? '' : ` else ${obj}.Set(${key}, env.Null());`;
      return `${i}if (${v}) ${obj}.Set(${key}, StepObject(env, *${v}));${absent}\n`;
    }
    case 'steps': return `${i}${obj}.Set(${key}, StepArray(env, ${v}, ${v.replace(/([a-z_0-9]+)$/, 'n_$1')}));\n`;
    default: throw new Error(`unknown type ${field.type}`);
  }
}

function genCppObject() {
  let out = `/* ${BANNER}\n * Included by native/src/addon/plan_binding.cc, which defines Str, Bytes and U64. */\n\n`;
  out += `Napi::Object StepObject(Napi::Env env, const plan_step &s);\n`;
  for (const [, r] of structRecords()) out += `Napi::Object Object_${r.c}(Napi::Env env, const struct ${r.c} &x);\n`;
  out += `\nNapi::Array StepArray(Napi::Env env, const plan_step *steps, uint32_t n) {\n  Napi::Array a = Napi::Array::New(env, n);\n  for (uint32_t k = 0; k < n; k++) a.Set(k, StepObject(env, steps[k]));\n  return a;\n}\n\n`;
  const lvX = (n) => `x.${n}`;
  for (const [, r] of structRecords()) {
    let body = r.extendsStep ? `  Napi::Object o = StepObject(env, x.step);\n` : `  Napi::Object o = Napi::Object::New(env);\n`;
    for (const f of r.fields.filter(onWire)) body += cppSet(f, 'o', lvX(cName(f)), lvX, '  ');
    out += `Napi::Object Object_${r.c}(Napi::Env env, const struct ${r.c} &x) {\n${body}  return o;\n}\n\n`;
  }
  out += `Napi::Object StepObject(Napi::Env env, const plan_step &s) {\n  Napi::Object o = Napi::Object::New(env);\n  o.Set("op", plan_op_name(s.op));\n  switch (s.op) {\n`;
  for (const s of table.steps.filter((x) => x.fields.some(onWire))) {
    const lv = (n) => `s.u.${s.cMember}.${n}`;
    out += `  case ${opConst(s.op)}:\n`;
    for (const f of s.fields.filter(onWire)) out += cppSet(f, 'o', lv(cName(f)), lv, '    ');
    out += `    break;\n`;
  }
  out += `  default: break;\n  }\n  return o;\n}\n\n`;
  let body = `  Napi::Object o = Napi::Object::New(env);\n`;
  for (const f of table.plan.fields.filter(onWire)) body += cppSet(f, 'o', lvX(cName(f)), lvX, '  ');
  out += `Napi::Object PlanObject(Napi::Env env, const struct ${table.plan.c} &x) {\n${body}  return o;\n}\n`;
  return out;
}

// ---------------------------------------------------------------------------------------------

function main() {
  const check = process.argv.includes('--check');
  const results = [
    { file: OUT.tsTypes, code: genTsTypes() },
    { file: OUT.tsEncoder, code: genTsEncoder() },
    { file: OUT.cTypes, code: genCTypes() },
    { file: OUT.cDecoder, code: genCDecoder() },
    { file: OUT.cppObject, code: genCppObject() },
  ];
  if (check) {
    const stale = results.filter(({ file, code }) => !fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== code);
    for (const { file } of stale) console.error(`${path.relative(process.cwd(), file)}: missing or stale, run npm run gen:types`);
    process.exit(stale.length ? 1 : 0);
  }
  for (const { file, code } of results) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, code);
  }
}

main();
