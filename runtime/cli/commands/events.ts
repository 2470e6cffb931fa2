/** events: a container's stats and OOM notifications, as `runc events`. */
import { containerStats, parseGoDuration, watchContainer, type ContainerEvent } from '../../lifecycle/events';
import { TsrunError } from '../../../common/errors';
import type { Command } from '../command';
import { printOut } from '../command';

const print = (e: ContainerEvent) => printOut(JSON.stringify(e) + '\n');

export const events: Command = {
  name: 'events',
  usage: 'display container events such as OOM notifications, cpu, memory, and IO usage statistics',
  argsUsage: '<container-id>',
  flags: [
    { name: 'interval', kind: 'string', usage: 'set the stats collection interval', default: '5s' },
    { name: 'stats', kind: 'bool', usage: "display the container's stats then exit", default: false },
  ],
  args: 1,
  async run(flags, [id], { store }) {
    const intervalMs = parseGoDuration(flags.interval as string);
    if (!(intervalMs > 0)) throw new TsrunError('duration interval must be greater than 0');
    if (flags.stats) {
      print(containerStats(store, id));
      return 0;
    }
    await watchContainer(store, id, intervalMs, print);
    return 0;
  },
};
