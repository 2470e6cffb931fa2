/**
 * tsrund's entry point (bin/tsrund): flags, then serve until SIGTERM or SIGINT.
 */
import * as path from 'path';
import { flagHelp, FlagSpec, parseFlags } from '../../runtime/cli/args';
import { exitStatusOf } from '../../runtime/cli/command';
import { TsrunError } from '../../common/errors';
import { DEFAULT_ADDRESS } from '../api/load';
import { startDaemon } from './daemon';
import { DEFAULT_EVENT_RETENTION } from '../services/supervisor';
import { LineLogger, LOG_LEVELS, LogLevel } from './logger';

const FLAGS: FlagSpec[] = [
  { name: 'address', short: 'a', kind: 'string', usage: 'unix socket to serve the API on', default: DEFAULT_ADDRESS },
  { name: 'root', kind: 'string', usage: 'directory of persistent metadata (container records, logs)', default: '/var/lib/tsrund' },
  { name: 'state', kind: 'string', usage: 'directory of runtime state (task directories, the lock)', default: '/run/tsrund' },
  { name: 'log-level', kind: 'string', usage: `one of ${LOG_LEVELS.join(', ')}`, default: 'info' },
  { name: 'auth-file', kind: 'string', usage: 'registry credentials, Docker config.json style ({"auths": ...})', default: '/etc/tsrund/auth.json' },
  { name: 'insecure-registry', kind: 'list', usage: 'host[:port] of a registry to pull from over plain http (repeatable)' },
  { name: 'event-retention', kind: 'int', usage: 'events the journal keeps for subscribers that resume', default: DEFAULT_EVENT_RETENTION },
  { name: 'help', short: 'h', kind: 'bool', usage: 'show help', default: false },
];

async function main(argv: string[]): Promise<number> {
  const { flags, rest } = parseFlags(argv, FLAGS, 'tsrund');
  if (flags.help) {
    process.stdout.write(`USAGE:\n   tsrund [options]\n\nOPTIONS:\n${flagHelp(FLAGS)}\n`);
    return 0;
  }
  if (rest.length > 0) throw new TsrunError(`unexpected argument ${JSON.stringify(rest[0])}`, { code: 'invalid-argument' });
  const level = flags['log-level'] as string;
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    throw new TsrunError(`--log-level ${level}: use one of ${LOG_LEVELS.join(', ')}`, { code: 'invalid-argument', subject: '--log-level' });
  const retention = flags['event-retention'] as number;
  if (!(retention >= 1)) throw new TsrunError(`--event-retention ${retention}: give at least 1`, { code: 'invalid-argument', subject: '--event-retention' });
  const log = new LineLogger(level as LogLevel);
  // A failure no request handler caught is a bug to log, not a reason to stop serving everyone.
  process.on('unhandledRejection', (reason) => log.error(`unhandled rejection: ${(reason as Error)?.stack ?? String(reason)}`));
  process.on('uncaughtException', (err) => log.error(`uncaught exception: ${err.stack ?? String(err)}`));
  const daemon = await startDaemon(
    {
      address: path.resolve(flags.address as string),
      root: path.resolve(flags.root as string),
      state: path.resolve(flags.state as string),
      authFile: path.resolve(flags['auth-file'] as string),
      insecureRegistries: (flags['insecure-registry'] as string[] | undefined) ?? [],
      eventRetention: retention,
    },
    log,
  );
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      log.info(`${signal}: stopping`);
      daemon.stop().then(resolve);
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    process.once('SIGHUP', onSignal);
  });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const known = err instanceof TsrunError;
    const message = known ? (err as Error).message : ((err as Error).stack ?? String(err));
    process.stderr.write(`${message.startsWith('tsrund:') ? '' : 'tsrund: '}${message}\n`);
    process.exit(exitStatusOf(err));
  },
);
