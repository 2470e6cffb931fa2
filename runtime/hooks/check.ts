/**
 * Hook programs the runtime will run from its own mount namespace must be there before
 * anything is made: a create that would fail at its first hook fails up front instead.
 * startContainer hooks resolve inside the container and are found (or not) when they run.
 */
import * as fs from 'fs';
import type { Spec } from '../../spec/types';
import { TsrunError } from '../../common/errors';
import { HOOK_KINDS, hookCommands } from '../plan/hooks';

export function checkHookPrograms(spec: Spec): void {
  for (const kind of HOOK_KINDS) {
    const hooks = hookCommands(spec, kind);
    if (kind === 'startContainer') continue;
    hooks.forEach((hook, i) => {
      try {
        fs.accessSync(hook.path, fs.constants.X_OK);
        if (!fs.statSync(hook.path).isFile()) throw Object.assign(new Error(), { code: 'EACCES' });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'EACCES';
        const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'not an executable file' : code;
        throw new TsrunError(`hooks.${kind}[${i}].path: ${hook.path}: ${why} (${code})`);
      }
    });
  }
}
