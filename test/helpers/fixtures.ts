/**
 * Per-test fixtures of the integration tests: a tsrun with a --root of its own (force-deleting
 * the containers a test tracked), and bundles that are removed after each test.
 */
import { Bundle, Config, makeBundle } from './bundle';
import { Tsrun } from './tsrun';

export interface ContainerFixtures {
  readonly tsrun: Tsrun;
  bundle(args: string[], edit?: (c: Config) => void): Bundle;
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
  };
}
