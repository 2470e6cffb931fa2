/** A test file's real tsrund with the CRI and a busybox image in its store (imported through tsrund's own API): set up before the file's tests, everything removed after. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildBusyboxArchive } from '../helpers/oci-image';
import { TestDaemon } from '../supervisor/daemon';
import { CriClient } from './client';

export interface BusyboxSuite {
  readonly daemon: TestDaemon;
  /** A scratch directory (pods' log directories), removed after. */
  readonly work: string;
  readonly image: string;
  /** The CRI client; `reconnect` after a restart of the daemon. */
  cri: CriClient;
  reconnect(): void;
}

/** `prefix`: the file's unique name prefix ("cs-"). */
export function busyboxSuite(prefix: string): BusyboxSuite {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}suite-`));
  const suite: BusyboxSuite = {
    daemon: new TestDaemon(),
    work,
    image: `localhost/${prefix}busybox:1`,
    cri: null as unknown as CriClient,
    reconnect() {
      suite.cri.close();
      suite.cri = new CriClient(suite.daemon.criAddress);
    },
  };
  beforeAll(async () => {
    await suite.daemon.start();
    suite.cri = new CriClient(suite.daemon.criAddress);
    await suite.daemon.client.importImages(buildBusyboxArchive(work, suite.image).file);
  });
  afterAll(async () => {
    await suite.cri?.removeAllPods();
    suite.cri?.close();
    await suite.daemon.cleanup();
    fs.rmSync(work, { recursive: true, force: true });
  });
  return suite;
}
