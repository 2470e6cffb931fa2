/**
 * The CNI runtime: a configuration list's plugins run for one attachment as the specification's
 * section 3 orders them — ADD in order, each given the previous result; DEL in reverse with the
 * cached result; CHECK in order with it; GC with the attachments still valid — and the result
 * cached so that a new instance (after a restart) can DEL and CHECK what an old one added.
 */
import { CniConfigError, CniPluginError, CniCommand, show } from './errors';
import { CNI_NAME, ConfList, PluginConf } from './config';
import { ResultCache } from './cache';
import { PluginExec } from './exec';
import { CniResult, InvalidResult, isInterfaceName, parseResult, resultForVersion } from './result';
import { atLeast, CURRENT_VERSION } from './version';
import { isObject } from './json';

export { CniPluginError } from './errors';
export type { CniResult } from './result';

export interface RuntimeConf {
  containerId: string;
  netns: string;
  ifName: string;
  /** CNI_ARGS, "K=V;K=V". */
  args?: Array<[string, string]>;
  /** Handed to the plugins that declare the capability, e.g. { portMappings: [{ hostPort, containerPort, protocol, hostIP }] }. */
  capabilityArgs?: Record<string, unknown>;
}

const DEFAULT_TIMEOUT_MS = 60_000;

export class CniRuntime {
  private readonly exec: PluginExec;
  private readonly cache: ResultCache;

  constructor(o: { binDirs: string[]; cacheDir: string; timeoutMs?: number }) {
    this.exec = new PluginExec(o.binDirs, o.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    this.cache = new ResultCache(o.cacheDir);
  }

  /** The list's result for the attachment; a failure runs DEL of the list first (nothing left), then throws. */
  async add(list: ConfList, rt: RuntimeConf): Promise<CniResult> {
    checkRuntimeConf(rt);
    let last: unknown;
    let result: CniResult | undefined;
    try {
      for (const plugin of list.plugins) {
        const out = await this.call(list, plugin, 'ADD', rt, last);
        if (out === undefined) throw new CniPluginError(plugin.type, 'ADD', list.name, 0, 'answered no result');
        result = checkedResult(out, list, plugin.type, 'ADD');
        last = out;
      }
      this.cache.put({
        network: list.name,
        containerId: rt.containerId,
        ifName: rt.ifName,
        netns: rt.netns,
        args: rt.args ?? [],
        capabilityArgs: rt.capabilityArgs ?? {},
        config: list.raw,
        result: last,
      });
      return result!;
    } catch (err) {
      await this.delPlugins(list, rt, last).catch(() => undefined);
      this.cache.drop(list.name, rt.containerId, rt.ifName);
      throw err;
    }
  }

  /** Every plugin's DEL, last first, even when one fails (the first failure is thrown); the cache goes once all succeeded. */
  async del(list: ConfList, rt: RuntimeConf): Promise<void> {
    checkRuntimeConf(rt);
    await this.delPlugins(list, rt, this.cache.get(list.name, rt.containerId, rt.ifName)?.result);
    this.cache.drop(list.name, rt.containerId, rt.ifName);
  }

  /** Nothing to do for a list older than 0.4.0 (no CHECK then) or one with disableCheck. */
  async check(list: ConfList, rt: RuntimeConf): Promise<void> {
    checkRuntimeConf(rt);
    if (!atLeast(list.cniVersion, '0.4.0') || list.disableCheck) return;
    const entry = this.cache.get(list.name, rt.containerId, rt.ifName);
    if (!entry) throw new CniPluginError('', 'CHECK', list.name, 0, `no cached result for container ${rt.containerId} interface ${rt.ifName}`);
    for (const plugin of list.plugins) await this.call(list, plugin, 'CHECK', rt, entry.result);
  }

  /**
   * As libcni: a cached attachment of the list that is not in `valid` is deleted (with the runtime
   * arguments it was added with); then, for a list of 1.1.0 or later, each plugin's GC is told
   * which attachments are still valid.
   */
  async gc(list: ConfList, valid: Array<{ containerId: string; ifName: string }>): Promise<void> {
    if (list.disableGC) return;
    const failures: unknown[] = [];
    for (const e of this.cache.entries(list.name)) {
      if (valid.some((v) => v.containerId === e.containerId && v.ifName === e.ifName)) continue;
      await this.del(list, { containerId: e.containerId, ifName: e.ifName, netns: e.netns, args: e.args, capabilityArgs: e.capabilityArgs }).catch(
        (err) => failures.push(err),
      );
    }
    if (atLeast(list.cniVersion, '1.1.0')) {
      const attachments = valid.map((v) => ({ containerID: v.containerId, ifname: v.ifName }));
      for (const plugin of list.plugins) {
        const stdin = { ...pluginConf(list, plugin, {}), 'cni.dev/valid-attachments': attachments };
        await this.exec.run({ plugin: plugin.type, command: 'GC', network: list.name, env: {}, stdin }).catch((err) => failures.push(err));
      }
    }
    if (failures.length > 0) throw failures[0];
  }

  cachedResult(list: ConfList, rt: { containerId: string; ifName: string }): CniResult | null {
    checkRuntimeConf({ ...rt, netns: '' });
    const entry = this.cache.get(list.name, rt.containerId, rt.ifName);
    if (!entry) return null;
    try {
      return parseResult(entry.result, list.cniVersion);
    } catch {
      return null;
    }
  }

  async version(pluginType: string): Promise<{ cniVersion: string; supportedVersions: string[] }> {
    const out = await this.exec.run({ plugin: pluginType, command: 'VERSION', network: '', env: {}, stdin: { cniVersion: CURRENT_VERSION } });
    const supported = isObject(out) ? out.supportedVersions : undefined;
    if (!isObject(out) || typeof out.cniVersion !== 'string' || !Array.isArray(supported) || !supported.every((v) => typeof v === 'string')) {
      throw new CniPluginError(pluginType, 'VERSION', '', 0, `invalid VERSION answer ${show(out)}`);
    }
    return { cniVersion: out.cniVersion, supportedVersions: supported };
  }

  private async delPlugins(list: ConfList, rt: RuntimeConf, cached: unknown): Promise<void> {
    // Before 0.4.0, DEL got no prevResult; a cached result that no longer parses is left out too.
    let prev: unknown;
    if (cached !== undefined && atLeast(list.cniVersion, '0.4.0')) {
      try {
        checkedResult(cached, list, '', 'DEL');
        prev = cached;
      } catch {
        prev = undefined;
      }
    }
    let first: unknown;
    for (const plugin of [...list.plugins].reverse()) {
      await this.call(list, plugin, 'DEL', rt, prev).catch((err) => (first ??= err));
    }
    if (first !== undefined) throw first;
  }

  private call(list: ConfList, plugin: PluginConf, command: CniCommand, rt: RuntimeConf, prev: unknown): Promise<unknown> {
    const prevResult = prev === undefined ? undefined : asPrevResult(prev, list);
    return this.exec.run({
      plugin: plugin.type,
      command,
      network: list.name,
      env: {
        CNI_CONTAINERID: rt.containerId,
        CNI_NETNS: rt.netns,
        CNI_IFNAME: rt.ifName,
        CNI_ARGS: (rt.args ?? []).map(([k, v]) => `${k}=${v}`).join(';'),
      },
      stdin: { ...pluginConf(list, plugin, rt.capabilityArgs ?? {}), ...(prevResult ? { prevResult } : {}) },
    });
  }
}

/** A plugin's configuration as it gets it: the list's name and version, and runtimeConfig holding only the capabilities it declares. */
function pluginConf(list: ConfList, plugin: PluginConf, capabilityArgs: Record<string, unknown>): Record<string, unknown> {
  const conf: Record<string, unknown> = { ...plugin, name: list.name, cniVersion: list.cniVersion };
  delete conf.runtimeConfig;
  const runtimeConfig: Record<string, unknown> = {};
  for (const [cap, declared] of Object.entries(plugin.capabilities ?? {})) {
    if (declared && cap in capabilityArgs) runtimeConfig[cap] = capabilityArgs[cap];
  }
  if (Object.keys(runtimeConfig).length > 0) conf.runtimeConfig = runtimeConfig;
  return conf;
}

/** A result as the list's plugins expect it: as written when it is in the list's version, else converted. */
function asPrevResult(raw: unknown, list: ConfList): unknown {
  if (isObject(raw) && raw.cniVersion === list.cniVersion) return raw;
  return resultForVersion(parseResult(raw, list.cniVersion), list.cniVersion);
}

function checkedResult(out: unknown, list: ConfList, plugin: string, command: CniCommand): CniResult {
  try {
    return parseResult(out, list.cniVersion);
  } catch (err) {
    if (err instanceof InvalidResult) throw new CniPluginError(plugin, command, list.name, 0, `invalid result: ${err.message}`);
    throw err;
  }
}

const ARG_KEY = /^[A-Za-z0-9_.-]+$/;

/** The attachment's identity goes into file names and the environment: checked before anything runs. */
function checkRuntimeConf(rt: RuntimeConf): void {
  const bad = (field: string, problem: string) => new CniConfigError('runtime configuration', field, problem);
  if (typeof rt.containerId !== 'string' || !CNI_NAME.test(rt.containerId)) {
    throw bad('containerId', `${show(rt.containerId)} must start with a letter or digit and hold only letters, digits, _ . -`);
  }
  if (typeof rt.ifName !== 'string' || !isInterfaceName(rt.ifName)) throw bad('ifName', `${show(rt.ifName)} is not an interface name`);
  if (typeof rt.netns !== 'string' || rt.netns.includes('\0')) throw bad('netns', `${show(rt.netns)} is not a path`);
  (rt.args ?? []).forEach(([k, v], i) => {
    if (!ARG_KEY.test(k)) throw bad(`args[${i}]`, `${show(k)} is not a CNI_ARGS key`);
    if (typeof v !== 'string' || /[;\0]/.test(v)) throw bad(`args[${i}]`, `the value of ${k} must be a string without ";"`);
  });
}
