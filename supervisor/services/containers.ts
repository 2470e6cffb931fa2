/** Containers service: records of what to run (containers/store.ts), created from bundles or images. */
import * as path from 'path';
import { loadBundleConfig } from '../../spec/load';
import { formatIssue, validateConfig } from '../../spec/validate';
import type { Container, CreateContainerRequest, DeleteContainerRequest, ListContainersRequest, RenameContainerRequest } from '../api/types';
import { timestampFromRfc3339 } from '../api/timestamp';
import { applyOverrides } from '../containers/overrides';
import { checkId } from '../containers/id';
import { checkLifecycleOverrides } from '../containers/stop-settings';
import { checkContainerRecord, checkLabels } from '../containers/record-checks';
import type { ContainerRecord } from '../containers/store';
import { failedPrecondition, invalidArgument, TsrunError } from '../shared/errors';
import { createImageContainer, renameImageContainerFiles } from '../images/bundle-container';
import { isDirectory } from '../shared/atomic-file';
import { layerChanges } from '../snapshots/changes';
import { planContainerVolumes, provisionContainerVolumes } from '../volumes/container-volumes';
import type { Supervisor } from './supervisor';
import { unary, type ClientStreamHandler, type StreamHandler, type UnaryHandler } from './handlers';
import { containerCopyService, layersOf } from './container-copy';
import { containerCommitService } from './container-commit';
import { removeContainer } from './container-removal';
import { apiNetworkStatus } from './networks';
import { pageOf } from './paging';
import { checkAbsolutePath, checkProcessStrings, parseLabelFilter } from './request-checks';

export function containersService(s: Supervisor): Record<string, UnaryHandler | StreamHandler | ClientStreamHandler> {
  return {
    ...containerCopyService(s),
    ...containerCommitService(s),
    create: unary(s.log, 'Containers.Create', (req: CreateContainerRequest) => {
      checkId(req.id);
      return s.lock.run(req.id, async () => ({ container: toContainer(s, await createContainer(s, req)) }));
    }),
    get: unary(s.log, 'Containers.Get', (req: { id: string }) => ({ container: toContainer(s, s.containers.get(req.id)) })),
    list: unary(s.log, 'Containers.List', (req: ListContainersRequest) => {
      const filters = req.labelFilters.map((f, i) => parseLabelFilter(`label_filters[${i}]`, f));
      const containers = s.containers
        .list()
        .filter((c) => filters.every(({ key, value }) => key in c.labels && (value === null || c.labels[key] === value)));
      const { page, next } = pageOf(containers.map((c) => toContainer(s, c)), (c) => c.id, 'Container', req, 'containers');
      return { containers: page, nextPageToken: next };
    }),
    delete: unary(s.log, 'Containers.Delete', (req: DeleteContainerRequest) => {
      checkId(req.id);
      return s.lock.run(req.id, async () => {
        const record = s.containers.get(req.id);
        if (s.tasks.has(req.id)) throw failedPrecondition(`container ${req.id} has a task: delete the task first`);
        await removeContainer(s, record, req.removeVolumes);
        return {};
      });
    }),
    rename: unary(s.log, 'Containers.Rename', (req: RenameContainerRequest) => {
      checkId(req.id);
      checkId(req.newId, 'new_id');
      // Both ids, always in the same order: two renames cannot wait for each other.
      const [first, second] = [req.id, req.newId].sort();
      return s.lock.run(first, () => s.lock.run(second, async () => ({ container: toContainer(s, renameContainer(s, req.id, req.newId)) })));
    }),
    diff: unary(s.log, 'Containers.Diff', (req: { id: string }) => {
      checkId(req.id);
      const record = s.containers.get(req.id);
      if (record.image === '') throw failedPrecondition(`container ${req.id} was made from a bundle: it has no writable layer of tsrund's to compare`);
      const { upper, lowers } = layersOf(s, record);
      return { changes: layerChanges(upper, lowers) };
    }),
  };
}

async function createContainer(s: Supervisor, req: CreateContainerRequest): Promise<ContainerRecord> {
  if (req.overrides) checkProcessStrings('overrides', req.overrides);
  checkLifecycleOverrides(req.overrides);
  if (req.overrides?.network) s.networks.checkOverrides(req.overrides.network, 'overrides.network', (id) => s.containers.list().some((c) => c.id === id));
  if (req.image !== '' && req.bundle !== '') throw invalidArgument('bundle', 'give a bundle or an image, not both');
  if (req.image !== '') {
    const record = await createImageContainer(s, req);
    s.events.publish('container-create', req.id);
    return record;
  }
  if ((req.overrides?.entrypoint?.length ?? 0) > 0) {
    throw invalidArgument('overrides.entrypoint', 'only an image has an entrypoint to replace: give the whole command in overrides.args');
  }
  if (req.bundle === '') throw invalidArgument('bundle', 'a bundle directory (or an image) is required');
  checkAbsolutePath('bundle', req.bundle);
  checkLabels('labels', req.labels);
  const { spec: base, bundle } = loadBundleConfig(req.bundle);
  const volumes = planContainerVolumes(s, req.overrides, []);
  const spec = applyOverrides(base, volumes.specOverrides);
  const issues = validateConfig(spec);
  if (issues.length > 0) throw invalidArgument('overrides', `the config they make is not valid: ${issues.map(formatIssue).join('; ')}`);
  const rootfs = path.resolve(bundle, spec.root?.path ?? 'rootfs');
  if (!isDirectory(rootfs)) throw invalidArgument('bundle', `rootfs ${rootfs} is not a directory`);
  const record: ContainerRecord = {
    id: req.id,
    bundle,
    image: '',
    labels: { ...req.labels },
    overrides: volumes.overrides,
    createdAt: new Date().toISOString(),
    spec,
  };
  checkContainerRecord(record, 'bundle config.json');
  provisionContainerVolumes(s, volumes, null, () => s.containers.create(record));
  s.events.publish('container-create', req.id);
  return record;
}

function renameContainer(s: Supervisor, from: string, to: string): ContainerRecord {
  const record = s.containers.get(from);
  if (from === to) throw invalidArgument('new_id', `${to} is the container's id already`);
  // The task's state directory, cgroup, monitor and network attachment are named after the id.
  if (s.tasks.has(from)) throw failedPrecondition(`container ${from} has a task: delete the task first (a stopped one too), then rename`);
  if (s.containers.list().some((c) => c.id === to)) throw new TsrunError(`container ${to} already exists`, { code: 'already-exists' });
  const renamed = record.image !== '' ? renameImageContainerFiles(s, record, to) : { ...record, id: to };
  try {
    s.containers.rename(from, renamed);
  } catch (err) {
    if (record.image !== '') renameImageContainerFiles(s, renamed, from);
    throw err;
  }
  return renamed;
}

function toContainer(s: Supervisor, r: ContainerRecord): Container {
  return {
    id: r.id,
    bundle: r.bundle,
    image: r.image,
    labels: r.labels,
    overrides: r.overrides,
    createdAt: timestampFromRfc3339(r.createdAt),
    specJson: JSON.stringify(r.spec),
    networkStatus: apiNetworkStatus(s.networks.attachment(r.id)),
    restartStatus: s.restarts.status(r.id),
  };
}
