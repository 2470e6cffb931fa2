/**
 * Which endpoints a pull from a registry tries, in order: its mirrors first (from
 * --registry-mirror HOST=ENDPOINT, then the hosts of <config dir>/<host>/hosts.toml in the order
 * that file gives them, containerd's layout), then the registry itself (its hosts.toml `server`,
 * or its own address). A host that may only "pull" is not asked to resolve a tag. A directory
 * `_default` applies to every registry that has none of its own. Pure: the daemon reads the files
 * and the registry client does the requests.
 */
import { parseToml, TomlError, type TomlValue } from './toml';

export type Capability = 'pull' | 'resolve' | 'push';
const CAPABILITIES: readonly Capability[] = ['pull', 'resolve', 'push'];

export interface RegistryEndpoint {
  /** The API's base ("http://127.0.0.1:5000/v2/"), ending in "/". */
  base: URL;
  capabilities: readonly Capability[];
  /** A mirror (false: the registry itself). */
  mirror: boolean;
  /** https without verifying the certificate (hosts.toml skip_verify). */
  skipVerify: boolean;
}

export interface HostsFile {
  /** hosts.toml's `server`; null: the registry's own address. */
  server: RegistryEndpoint | null;
  hosts: RegistryEndpoint[];
}

export interface MirrorConfig {
  /** Mirrors from --registry-mirror, by registry host ("docker.io", "127.0.0.1:5000"). */
  flags: Map<string, RegistryEndpoint[]>;
  /** <config dir>/<host>/hosts.toml, by host ("_default" for every other). */
  files: Map<string, HostsFile>;
}

export const DEFAULT_HOSTS = '_default';
export const NO_MIRRORS: MirrorConfig = { flags: new Map(), files: new Map() };

export class MirrorConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MirrorConfigError';
  }
}

/**
 * An endpoint URL's API base: "<url>/v2/", or the URL's own path when `overridePath` (a mirror that
 * serves the API elsewhere). Only http and https.
 */
export function endpointBase(url: string, overridePath: boolean, where: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new MirrorConfigError(`${where}: ${JSON.stringify(url)} is not a URL (give "http://host:port" or "https://host")`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new MirrorConfigError(`${where}: ${JSON.stringify(url)} is not http:// or https://`);
  if (u.search || u.hash || u.username || u.password) throw new MirrorConfigError(`${where}: ${JSON.stringify(url)} may not carry a query, fragment or credentials`);
  let p = u.pathname.replace(/\/+$/, '');
  if (!overridePath && !p.endsWith('/v2')) p += '/v2';
  return new URL(`${u.protocol}//${u.host}${p}/`);
}

const REGISTRY_HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d{1,5})?$/;

/** "registry.k8s.io=http://127.0.0.1:5000" → the host and its mirror endpoint. */
export function parseMirrorFlag(text: string): { host: string; endpoint: RegistryEndpoint } {
  const where = `--registry-mirror ${text}`;
  const eq = text.indexOf('=');
  if (eq <= 0) throw new MirrorConfigError(`${where}: give HOST=ENDPOINT ("docker.io=http://127.0.0.1:5000")`);
  const host = text.slice(0, eq);
  if (!REGISTRY_HOST.test(host)) throw new MirrorConfigError(`${where}: ${JSON.stringify(host)} is not a registry host[:port]`);
  return { host: host.toLowerCase(), endpoint: { base: endpointBase(text.slice(eq + 1), false, where), capabilities: ['pull', 'resolve'], mirror: true, skipVerify: false } };
}

function mirrorFlags(flags: string[]): Map<string, RegistryEndpoint[]> {
  const out = new Map<string, RegistryEndpoint[]>();
  for (const f of flags) {
    const { host, endpoint } = parseMirrorFlag(f);
    out.set(host, [...(out.get(host) ?? []), endpoint]);
  }
  return out;
}

/** The keys hosts.toml may set on the server (top level) or a [host."URL"] table. */
const HOST_KEYS = ['capabilities', 'skip_verify', 'override_path'];

/** A hosts.toml's server and hosts, refusing what tsrund would not honour (file:line). */
export function parseHostsFile(text: string, file: string): HostsFile {
  let parsed;
  try {
    parsed = parseToml(text, file);
  } catch (err) {
    if (err instanceof TomlError) throw new MirrorConfigError(err.message);
    throw err;
  }
  const { entries, tables } = parsed;
  const settings = new Map<string, { url: string; line: number; values: Map<string, { value: TomlValue; line: number }> }>();
  const settingsOf = (url: string, line: number) => {
    let s = settings.get(url);
    if (!s) settings.set(url, (s = { url, line, values: new Map() }));
    return s;
  };
  let server: { url: string; line: number } | null = null;
  const top = new Map<string, { value: TomlValue; line: number }>();
  for (const e of entries) {
    const at = `${file}:${e.line}`;
    const path = [...e.table, ...e.key];
    if (path.length === 1 && path[0] === 'server') {
      if (typeof e.value !== 'string') throw new MirrorConfigError(`${at}: server must be a string URL`);
      server = { url: e.value, line: e.line };
    } else if (path.length === 1 && HOST_KEYS.includes(path[0])) top.set(path[0], { value: e.value, line: e.line });
    else if (path[0] === 'host' && path.length === 3 && HOST_KEYS.includes(path[2])) settingsOf(path[1], e.line).values.set(path[2], { value: e.value, line: e.line });
    else
      throw new MirrorConfigError(
        `${at}: ${path.join('.')} is not a setting tsrund reads (server, and capabilities, skip_verify, override_path at the top or under [host."URL"])`,
      );
  }
  // A [host."URL"] header with no keys still names a host (every capability but push).
  for (const t of tables) if (t.table[0] === 'host' && t.table.length === 2) settingsOf(t.table[1], t.line);
  const endpoint = (url: string, line: number, values: Map<string, { value: TomlValue; line: number }>, mirror: boolean): RegistryEndpoint => {
    const get = (key: string) => values.get(key);
    const bool = (key: string): boolean => {
      const v = get(key);
      if (v === undefined) return false;
      if (typeof v.value !== 'boolean') throw new MirrorConfigError(`${file}:${v.line}: ${key} must be true or false`);
      return v.value;
    };
    let capabilities: Capability[] = mirror ? ['pull', 'resolve'] : [...CAPABILITIES];
    const caps = get('capabilities');
    if (caps !== undefined) {
      if (!Array.isArray(caps.value)) throw new MirrorConfigError(`${file}:${caps.line}: capabilities must be an array, e.g. ["pull", "resolve"]`);
      capabilities = caps.value.map((c) => {
        if (typeof c !== 'string' || !(CAPABILITIES as readonly string[]).includes(c))
          throw new MirrorConfigError(`${file}:${caps.line}: capability ${JSON.stringify(c)} is not one of ${CAPABILITIES.join(', ')}`);
        return c as Capability;
      });
    }
    return { base: endpointBase(url, bool('override_path'), `${file}:${line}`), capabilities, mirror, skipVerify: bool('skip_verify') };
  };
  const hosts = [...settings.values()].sort((a, b) => a.line - b.line).map((s) => endpoint(s.url, s.line, s.values, true));
  return { server: server ? endpoint(server.url, server.line, top, false) : null, hosts };
}

export function mirrorConfig(flags: string[], files: { host: string; text: string; file: string }[]): MirrorConfig {
  return { flags: mirrorFlags(flags), files: new Map(files.map((f) => [f.host.toLowerCase(), parseHostsFile(f.text, f.file)])) };
}

/**
 * The endpoints for a request to registry `host` that needs `capability`, in the order to try
 * them: mirrors, then the registry itself (`own`, its address when hosts.toml names no server).
 */
export function endpointsFor(config: MirrorConfig, host: string, own: URL, capability: Capability): RegistryEndpoint[] {
  const key = host.toLowerCase();
  const file = config.files.get(key) ?? config.files.get(DEFAULT_HOSTS) ?? null;
  const upstream: RegistryEndpoint = file?.server ?? { base: own, capabilities: CAPABILITIES, mirror: false, skipVerify: false };
  return [...(config.flags.get(key) ?? []), ...(file?.hosts ?? []), upstream].filter((e) => e.capabilities.includes(capability) || e === upstream);
}

/** What the config says, for Status's verbose info and the log: host → endpoint URLs in order. */
export function describeMirrors(config: MirrorConfig): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const host of new Set([...config.flags.keys(), ...config.files.keys()])) {
    const file = config.files.get(host);
    out[host] = [...(config.flags.get(host) ?? []), ...(file?.hosts ?? []), ...(file?.server ? [file.server] : [])].map((e) => e.base.href);
  }
  return out;
}
