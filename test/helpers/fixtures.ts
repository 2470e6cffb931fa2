/**
 * Per-test fixtures of the integration tests: a tsrun with a --root of its own (force-deleting
 * the containers a test tracked), and bundles that are removed after each test.
 */
import { Bundle, Config, makeBundle } from './bundle';
import { Tsrun, uniqueId } from './tsrun';

export interface ContainerFixtures {
  readonly tsrun: Tsrun;
  bundle(args: string[], edit?: (c: Config) => void): Bundle;
  /** Run `sh -c script` in a container (foreground); its stdout, or an error with tsrun's stderr. */
  inside(script: string, edit?: (c: Config) => void): string;
}

export function containerFixtures(): ContainerFixtures {
  let tsrun: Tsrun | null = null;
  const bundles: Bundle[] = [];
  beforeEach(() => {
    tsrun = new Tsrun();
  });
  afterEach(() => {
    tsrun?.cleanup();
    for (const b of bundles.splice(0)) b.cleanup();
  });
  return {
    get tsrun() {
      if (!tsrun) throw new Error('containerFixtures: used outside a test');
      return tsrun;
    },
    bundle(args, edit) {
      const b = makeBundle(args, edit);
      bundles.push(b);
      return b;
    },
    inside(script, edit) {
      const b = this.bundle(['sh', '-c', script], edit);
      const r = this.tsrun.cmd(['run', '-b', b.dir, this.tsrun.track(uniqueId('inside'))]);
      if (r.code !== 0) throw new Error(`container exited ${r.code}: ${r.stderr}`);
      return r.stdout;
    },
  };
}
