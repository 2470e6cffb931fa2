/** Containers service: records of what to run (containers/store.ts), created from bundles or images. */
import * as path from 'path';
import { loadBundleConfig } from '../../spec/load';
import { formatIssue, validateConfig } from '../../spec/validate';
import type { Container, CreateContainerRequest, ListContainersRequest } from '../api/types';
import { timestampFromRfc3339 } from '../api/timestamp';
import { applyOverrides } from '../containers/overrides';
import { checkId } from '../containers/id';
import { checkContainerRecord, checkLabels } from '../containers/record-checks';
import type { ContainerRecord } from '../containers/store';
import { failedPrecondition, invalidArgument } from '../shared/errors';
import { createImageContainer, removeImageContainerFiles } from '../images/bundle-container';
import { isDirectory } from '../shared/atomic-file';
import type { Supervisor } from './supervisor';
import { unary, type UnaryHandler } from './handlers';
import { pageOf } from './paging';
import { checkAbsolutePath, checkProcessStrings, parseLabelFilter } from './request-checks';

export function containersService(s: Supervisor): Record<string, UnaryHandler> {
  return {
    create: unary(s.log, 'Containers.Create', (req: CreateContainerRequest) => {
      checkId(req.id);
      return s.lock.run(req.id, async () => ({ container: toContainer(await createContainer(s, req)) }));
    }),
    get: unary(s.log, 'Containers.Get', (req: { id: string }) => ({ container: toContainer(s.containers.get(req.id)) })),
    list: unary(s.log, 'Containers.List', (req: ListContainersRequest) => {
      const filters = req.labelFilters.map((f, i) => parseLabelFilter(`label_filters[${i}]`, f));
      const containers = s.containers
        .list()
        .filter((c) => filters.every(({ key, value }) => key in c.labels && (value === null || c.labels[key] === value)));
      const { page, next } = pageOf(containers.map(toContainer), (c) => c.id, 'Container', req, 'containers');
      return { containers: page, nextPageToken: next };
    }),
    delete: unary(s.log, 'Containers.Delete', (req: { id: string }) => {
      checkId(req.id);
      return s.lock.run(req.id, () => {
        const record = s.containers.get(req.id);
        if (s.tasks.has(req.id)) throw failedPrecondition(`container ${req.id} has a task: delete the task first`);
        s.containers.delete(req.id);
        if (record.image !== '') removeImageContainerFiles(s, req.id);
        s.events.publish('container-delete', req.id);
        return {};
      });
    }),
  };
}

async function createContainer(s: Supervisor, req: CreateContainerRequest): Promise<ContainerRecord> {
  if (req.overrides) checkProcessStrings('overrides', req.overrides);
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
  const spec = applyOverrides(base, req.overrides);
  const issues = validateConfig(spec);
  if (issues.length > 0) throw invalidArgument('overrides', `the config they make is not valid: ${issues.map(formatIssue).join('; ')}`);
  const rootfs = path.resolve(bundle, spec.root?.path ?? 'rootfs');
  if (!isDirectory(rootfs)) throw invalidArgument('bundle', `rootfs ${rootfs} is not a directory`);
  const record: ContainerRecord = {
    id: req.id,
    bundle,
    image: '',
    labels: { ...req.labels },
    overrides: req.overrides,
    createdAt: new Date().toISOString(),
    spec,
  };
  checkContainerRecord(record, 'bundle config.json');
  s.containers.create(record);
  s.events.publish('container-create', req.id);
  return record;
}

function toContainer(r: ContainerRecord): Container {
  return {
    id: r.id,
    bundle: r.bundle,
    image: r.image,
    labels: r.labels,
    overrides: r.overrides,
    createdAt: timestampFromRfc3339(r.createdAt),
    specJson: JSON.stringify(r.spec),
  };
}
