/** Volumes service: the volume store (volumes/store.ts), with the users of each read from the container records. */
import type { CreateVolumeRequest, ListVolumesRequest, PruneVolumesRequest, Volume } from '../api/types';
import { timestampFromRfc3339 } from '../api/timestamp';
import { checkLabels } from '../containers/record-checks';
import { checkUnused } from '../volumes/container-volumes';
import { anonymousVolumeName, checkVolumeName } from '../volumes/names';
import type { VolumeRecord } from '../volumes/store';
import { volumeUsers } from '../volumes/usage';
import type { Supervisor } from './supervisor';
import { unary, type UnaryHandler } from './handlers';
import { pageOf } from './paging';
import { parseLabelFilter } from './request-checks';

export function volumesService(s: Supervisor): Record<string, UnaryHandler> {
  const toVolume = (r: VolumeRecord, users: Map<string, string[]>): Volume => ({
    name: r.name,
    driver: 'local',
    mountpoint: s.volumes.mountpoint(r.name),
    labels: r.labels,
    createdAt: timestampFromRfc3339(r.createdAt),
    anonymous: r.anonymous,
    containers: users.get(r.name) ?? [],
  });
  const matching = (labelFilters: string[], field: string) => {
    const filters = labelFilters.map((f, i) => parseLabelFilter(`${field}[${i}]`, f));
    return s.volumes.list().filter((v) => filters.every(({ key, value }) => key in v.labels && (value === null || v.labels[key] === value)));
  };
  return {
    create: unary(s.log, 'Volumes.Create', (req: CreateVolumeRequest) => {
      if (req.name !== '') checkVolumeName('name', req.name);
      checkLabels('labels', req.labels);
      const record = s.volumes.create({
        name: req.name || anonymousVolumeName(),
        labels: { ...req.labels },
        createdAt: new Date().toISOString(),
        anonymous: req.name === '',
      });
      return { volume: toVolume(record, new Map()) };
    }),
    get: unary(s.log, 'Volumes.Get', (req: { name: string }) => {
      checkVolumeName('name', req.name);
      return { volume: toVolume(s.volumes.get(req.name), volumeUsers(s.containers.list())) };
    }),
    list: unary(s.log, 'Volumes.List', (req: ListVolumesRequest) => {
      const users = volumeUsers(s.containers.list());
      const volumes = matching(req.labelFilters, 'label_filters')
        .filter((v) => !req.unusedOnly || !users.has(v.name))
        .map((v) => toVolume(v, users));
      const { page, next } = pageOf(volumes, (v) => v.name, 'Volume', req, 'volumes');
      return { volumes: page, nextPageToken: next };
    }),
    delete: unary(s.log, 'Volumes.Delete', async (req: { name: string }) => {
      checkVolumeName('name', req.name);
      s.volumes.get(req.name);
      checkUnused(s, req.name, 'remove the containers first');
      await s.volumes.remove(req.name);
      return {};
    }),
    prune: unary(s.log, 'Volumes.Prune', async (req: PruneVolumesRequest) => {
      const users = volumeUsers(s.containers.list());
      const names = matching(req.labelFilters, 'label_filters')
        .filter((v) => !users.has(v.name) && (req.all || v.anonymous))
        .map((v) => v.name);
      const removed: string[] = [];
      let bytes = 0;
      for (const name of names) {
        // Checked again right before each removal (whose rename comes before its first await):
        // a container created while an earlier one was removed may use it now.
        if (!s.volumes.has(name) || volumeUsers(s.containers.list()).has(name)) continue;
        removed.push(name);
        bytes += await s.volumes.remove(name);
      }
      return { removed, bytesReclaimed: bytes };
    }),
  };
}
