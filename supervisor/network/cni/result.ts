/**
 * Plugin results: checked field by field (a plugin is an outside program) and turned into the
 * 1.0.0 shape whatever version the plugin answered in (0.1.0 and 0.2.0 had ip4/ip6 objects,
 * 0.3.x and 0.4.0 an ips[].version); and the reverse, a result in the shape of a list's version
 * for the next plugin's prevResult.
 */
import * as net from 'net';
import { show } from './errors';
import { isObject } from './json';
import { atLeast, isCniVersion } from './version';

export interface CniResult {
  cniVersion: string;
  interfaces: Array<{ name: string; mac?: string; mtu?: number; sandbox?: string }>;
  ips: Array<{ address: string; gateway?: string; interface?: number }>;
  routes: Array<{ dst: string; gw?: string }>;
  dns: { nameservers?: string[]; domain?: string; search?: string[]; options?: string[] };
}

/** A result that is not what the specification allows; the message is "<json path>: <what is wrong>". */
export class InvalidResult extends Error {
  constructor(at: string, problem: string) {
    super(`${at || '(top)'}: ${problem}`);
  }
}

type Obj = Record<string, unknown>;

/** `value` (a plugin's stdout, parsed) as a 1.0.0-shaped result; `confVersion` when it names none. */
export function parseResult(value: unknown, confVersion: string): CniResult {
  if (!isObject(value)) throw new InvalidResult('', `must be an object, not ${show(value)}`);
  const version = value.cniVersion === undefined ? confVersion : value.cniVersion;
  if (typeof version !== 'string' || !isCniVersion(version)) throw new InvalidResult('cniVersion', `${show(version)} is not a version`);
  if (!atLeast(version, '0.3.0')) return legacyResult(value);
  const interfaces = list(value, 'interfaces', '', (v, at) => {
    const o = object(v, at);
    const name = string(o, 'name', at);
    if (!isInterfaceName(name)) throw new InvalidResult(`${at}.name`, `${show(name)} is not an interface name`);
    const mac = optionalString(o, 'mac', at);
    if (mac !== undefined && mac !== '' && !/^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5,19}$/.test(mac)) {
      throw new InvalidResult(`${at}.mac`, `${show(mac)} is not a MAC address`);
    }
    const mtu = o.mtu;
    if (mtu !== undefined && !(Number.isInteger(mtu) && (mtu as number) >= 0 && (mtu as number) <= 0xffff)) {
      throw new InvalidResult(`${at}.mtu`, `${show(mtu)} is not an MTU`);
    }
    const sandbox = optionalString(o, 'sandbox', at);
    return { name, ...(mac ? { mac } : {}), ...(mtu !== undefined ? { mtu: mtu as number } : {}), ...(sandbox ? { sandbox } : {}) };
  });
  const ips = list(value, 'ips', '', (v, at) => {
    const o = object(v, at);
    const address = cidr(o, 'address', at);
    const gateway = optionalIp(o, 'gateway', at);
    const index = o.interface;
    if (index !== undefined && !(Number.isInteger(index) && (index as number) >= 0 && (index as number) < interfaces.length)) {
      throw new InvalidResult(`${at}.interface`, `${show(index)} is not the index of one of the ${interfaces.length} interfaces`);
    }
    if (!atLeast(version, '1.0.0') && o.version !== undefined && o.version !== '4' && o.version !== '6') {
      throw new InvalidResult(`${at}.version`, `${show(o.version)} is not "4" or "6"`);
    }
    return { address, ...(gateway ? { gateway } : {}), ...(index !== undefined ? { interface: index as number } : {}) };
  });
  return { cniVersion: atLeast(version, '1.0.0') ? version : '1.0.0', interfaces, ips, routes: routes(value, ''), dns: dns(value) };
}

/** The result as a plugin of the list's `version` expects its prevResult. */
export function resultForVersion(result: CniResult, version: string): Obj {
  if (atLeast(version, '1.0.0')) return { ...result, cniVersion: version };
  if (atLeast(version, '0.3.0')) {
    const ips = result.ips.map((ip) => ({ version: net.isIPv6(ip.address.split('/')[0]) ? '6' : '4', ...ip }));
    return { ...result, cniVersion: version, ips };
  }
  const legacy: Obj = { cniVersion: version, dns: result.dns };
  for (const [key, family] of [['ip4', 4], ['ip6', 6]] as const) {
    const ip = result.ips.find((i) => net.isIP(i.address.split('/')[0]) === family);
    if (!ip) continue;
    const own = result.routes.filter((r) => net.isIP(r.dst.split('/')[0]) === family);
    legacy[key] = { ip: ip.address, ...(ip.gateway ? { gateway: ip.gateway } : {}), ...(own.length ? { routes: own } : {}) };
  }
  return legacy;
}

/** 0.1.0 / 0.2.0: { ip4: { ip, gateway, routes }, ip6: …, dns }. */
function legacyResult(value: Obj): CniResult {
  const result: CniResult = { cniVersion: '1.0.0', interfaces: [], ips: [], routes: [], dns: dns(value) };
  for (const key of ['ip4', 'ip6']) {
    if (value[key] === undefined) continue;
    const o = object(value[key], key);
    const gateway = optionalIp(o, 'gateway', key);
    result.ips.push({ address: cidr(o, 'ip', key), ...(gateway ? { gateway } : {}) });
    result.routes.push(...routes(o, key));
  }
  return result;
}

function routes(o: Obj, at: string): CniResult['routes'] {
  return list(o, 'routes', at, (v, where) => {
    const r = object(v, where);
    const gw = optionalIp(r, 'gw', where);
    return { dst: cidr(r, 'dst', where), ...(gw ? { gw } : {}) };
  });
}

function dns(o: Obj): CniResult['dns'] {
  if (o.dns === undefined) return {};
  const d = object(o.dns, 'dns');
  const out: CniResult['dns'] = {};
  const strings = (key: 'nameservers' | 'search' | 'options') => {
    const v = list(d, key, 'dns', (s, at) => {
      if (typeof s !== 'string') throw new InvalidResult(at, `must be a string, not ${show(s)}`);
      if (key === 'nameservers' && net.isIP(s) === 0) throw new InvalidResult(at, `${show(s)} is not an IP address`);
      return s;
    });
    if (d[key] !== undefined) out[key] = v;
  };
  strings('nameservers');
  strings('search');
  strings('options');
  const domain = optionalString(d, 'domain', 'dns');
  if (domain !== undefined) out.domain = domain;
  return out;
}

function list<T>(o: Obj, key: string, at: string, item: (v: unknown, at: string) => T): T[] {
  const v = o[key];
  const where = at ? `${at}.${key}` : key;
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new InvalidResult(where, `must be a list, not ${show(v)}`);
  return v.map((x, i) => item(x, `${where}[${i}]`));
}

function object(v: unknown, at: string): Obj {
  if (!isObject(v)) throw new InvalidResult(at, `must be an object, not ${show(v)}`);
  return v;
}

function string(o: Obj, key: string, at: string): string {
  const v = optionalString(o, key, at);
  if (v === undefined) throw new InvalidResult(`${at}.${key}`, 'missing');
  return v;
}

function optionalString(o: Obj, key: string, at: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.includes('\0')) throw new InvalidResult(`${at}.${key}`, `must be a string, not ${show(v)}`);
  return v;
}

function optionalIp(o: Obj, key: string, at: string): string | undefined {
  const v = optionalString(o, key, at);
  if (v !== undefined && net.isIP(v) === 0) throw new InvalidResult(`${at}.${key}`, `${show(v)} is not an IP address`);
  return v;
}

function cidr(o: Obj, key: string, at: string): string {
  const v = string(o, key, at);
  if (!isCidr(v)) throw new InvalidResult(`${at}.${key}`, `${show(v)} is not an address with a prefix length (CIDR)`);
  return v;
}

function isCidr(text: string): boolean {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) return false;
  const family = net.isIP(m[1]);
  return family !== 0 && Number(m[2]) <= (family === 4 ? 32 : 128);
}

/** Linux's rule for a link name (and the CNI specification's for CNI_IFNAME). */
export function isInterfaceName(name: string): boolean {
  return name.length > 0 && name.length <= 15 && name !== '.' && name !== '..' && !/[/:\s\u0000-\u001f\u007f]/.test(name);
}
