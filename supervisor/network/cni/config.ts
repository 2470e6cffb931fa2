/**
 * CNI network configuration lists: parsed and checked once, before any plugin runs, so that a
 * plugin only ever gets a well-formed list. A single plugin configuration (.conf) becomes a list
 * of one, as libcni does; a directory is read in libcni's order.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CniConfigError, keyPath, show } from './errors';
import { isObject, parseBoundedJson } from './json';
import { isCniVersion } from './version';

export { CniConfigError } from './errors';

export interface PluginConf {
  type: string;
  capabilities?: Record<string, boolean>;
  [key: string]: unknown;
}

export interface ConfList {
  name: string;
  cniVersion: string;
  plugins: PluginConf[];
  disableCheck: boolean;
  disableGC: boolean;
  /** The list as parsed. */
  raw: Record<string, unknown>;
  /** Where it came from ("" when parsed from text). */
  file: string;
}

/** Network names and container ids (the CNI specification's rule). */
export const CNI_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** A plugin type names an executable in a bin directory: no path, nothing odd. */
export const PLUGIN_TYPE = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]{0,127}$/;
const CONF_EXTENSIONS = ['.conf', '.conflist', '.json'];

/** A .conflist, or a single plugin's .conf turned into a list of one. */
export function parseConfList(text: string, source: string): ConfList {
  let value: unknown;
  try {
    value = parseBoundedJson(text);
  } catch (err) {
    throw new CniConfigError(source, '', (err as Error).message);
  }
  if (!isObject(value)) throw new CniConfigError(source, '', `must be a JSON object, not ${show(value)}`);
  const raw = 'plugins' in value ? value : listOfOne(value, source);
  const name = checkString(raw, 'name', source);
  if (!CNI_NAME.test(name)) {
    throw new CniConfigError(source, 'name', `${show(name)} must start with a letter or digit and hold only letters, digits, _ . -`);
  }
  const cniVersion = checkString(raw, 'cniVersion', source);
  if (!isCniVersion(cniVersion)) throw new CniConfigError(source, 'cniVersion', `${show(cniVersion)} is not a version like "1.0.0"`);
  const plugins = raw.plugins;
  if (!Array.isArray(plugins) || plugins.length === 0) {
    throw new CniConfigError(source, 'plugins', `must be a non-empty list of plugin configurations, not ${show(plugins)}`);
  }
  return {
    name,
    cniVersion,
    plugins: plugins.map((p, i) => checkPlugin(p, `plugins[${i}]`, source)),
    disableCheck: checkFlag(raw, 'disableCheck', source),
    disableGC: checkFlag(raw, 'disableGC', source),
    raw,
    file: '',
  };
}

/** Every list in `dir` (.conf, .conflist and .json files, by name); a file that is wrong is an error, not a throw. */
export function loadConfDir(dir: string): { lists: ConfList[]; errors: CniConfigError[] } {
  const lists: ConfList[] = [];
  const errors: CniConfigError[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { lists, errors };
    return { lists, errors: [new CniConfigError(dir, '', `cannot read the directory: ${(err as Error).message}`)] };
  }
  for (const name of names.filter((n) => CONF_EXTENSIONS.includes(path.extname(n))).sort()) {
    const file = path.join(dir, name);
    try {
      if (!fs.statSync(file).isFile()) continue;
      lists.push({ ...parseConfList(fs.readFileSync(file, 'utf8'), file), file });
    } catch (err) {
      errors.push(err instanceof CniConfigError ? err : new CniConfigError(file, '', `cannot read: ${(err as Error).message}`));
    }
  }
  return { lists, errors };
}

function listOfOne(conf: Record<string, unknown>, source: string): Record<string, unknown> {
  if (!('type' in conf)) throw new CniConfigError(source, 'plugins', 'missing (a list needs plugins, a single configuration needs a type)');
  return { cniVersion: conf.cniVersion, name: conf.name, plugins: [conf] };
}

function checkPlugin(value: unknown, at: string, source: string): PluginConf {
  if (!isObject(value)) throw new CniConfigError(source, at, `must be an object, not ${show(value)}`);
  const type = checkString(value, 'type', source, at);
  if (!PLUGIN_TYPE.test(type)) throw new CniConfigError(source, `${at}.type`, `${show(type)} is not a plugin name`);
  const caps = value.capabilities;
  if (caps !== undefined) {
    if (!isObject(caps)) throw new CniConfigError(source, `${at}.capabilities`, `must be an object, not ${show(caps)}`);
    for (const [k, v] of Object.entries(caps)) {
      if (typeof v !== 'boolean') throw new CniConfigError(source, keyPath(`${at}.capabilities`, k), `must be true or false, not ${show(v)}`);
    }
  }
  return value as PluginConf;
}

function checkString(o: Record<string, unknown>, key: string, source: string, at = ''): string {
  const v = o[key];
  const where = at ? `${at}.${key}` : key;
  if (v === undefined) throw new CniConfigError(source, where, 'missing');
  if (typeof v !== 'string' || v === '') throw new CniConfigError(source, where, `must be a non-empty string, not ${show(v)}`);
  return v;
}

/** A boolean; libcni also takes the strings "true" and "false". */
function checkFlag(o: Record<string, unknown>, key: string, source: string): boolean {
  const v = o[key];
  if (v === undefined || typeof v === 'boolean') return v === true;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new CniConfigError(source, key, `must be true or false, not ${show(v)}`);
}
