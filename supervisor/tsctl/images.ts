/**
 * `tsctl images pull|push|ls|rm|inspect|import|export|tag` and the `tsctl pull` and `tsctl push`
 * aliases. Pull and push show a progress bar per blob on a terminal and one line per blob state
 * change otherwise.
 */
import * as path from 'path';
import type { FlagSpec, FlagValues } from '../../runtime/cli/args';
import { TsrunError } from '../../common/errors';
import type { ResponseStream, TsrundClient } from '../client/client';
import type { Image, PullProgress } from '../api/types';
import { labelsOf, runSubCommand, type SubCommand } from './command';
import { ago, bytesText, out, printJson, printTable, timeText } from './output';

export const PUSH_FLAGS: FlagSpec[] = [
  {
    name: 'platform',
    kind: 'string',
    usage: "push this os/architecture[/variant]'s image alone (default: the whole image, or tsrund's platform's when the store lacks some)",
    default: '',
  },
];

export const PULL_FLAGS: FlagSpec[] = [
  { name: 'platform', kind: 'string', usage: 'os/architecture[/variant] to pull from a multi-platform image (default: tsrund\'s)', default: '' },
  { name: 'label', short: 'l', kind: 'list', usage: 'KEY=VALUE label of the image record (repeatable)' },
];

/** Short digest as tables show it: the first 12 hex digits. */
const shortDigest = (d: string) => d.replace(/^sha256:/, '').slice(0, 12);

/** "host/repo:tag" → ["host/repo", "tag"]; a digest reference has no tag. */
function splitName(name: string): [string, string] {
  const at = name.indexOf('@');
  if (at >= 0) return [name.slice(0, at), '<none>'];
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? [name.slice(0, colon), name.slice(colon + 1)] : [name, '<none>'];
}

/** The states in which a blob's bytes move (a bar on a terminal; no line of its own otherwise). */
const MOVING = ['downloading', 'uploading'];

/** Per-blob progress of a pull or a push: redrawn bars on a terminal, one line per state change otherwise. */
class ProgressView {
  private readonly rows = new Map<string, PullProgress>();
  private drawn = 0;
  private readonly tty = process.stdout.isTTY === true;

  update(p: PullProgress): void {
    const key = `${p.kind} ${p.digest}`;
    const prev = this.rows.get(key);
    this.rows.set(key, p);
    if (this.tty) return this.redraw();
    if (prev?.status !== p.status && !MOVING.includes(p.status)) out(`${this.label(p)}: ${p.status}\n`);
  }

  private label(p: PullProgress): string {
    return `${p.kind} ${p.digest.slice(0, 'sha256:'.length + 12)}`;
  }

  private redraw(): void {
    const width = 30;
    const lines = [...this.rows.values()].map((p) => {
      const frac = p.total > 0 ? Math.min(1, p.offset / p.total) : 1;
      const filled = Math.round(frac * width);
      const bar = MOVING.includes(p.status) ? `[${'='.repeat(filled)}${' '.repeat(width - filled)}]` : p.status.padEnd(width + 2);
      return `${this.label(p).padEnd(28)} ${bar} ${bytesText(p.offset)}/${bytesText(p.total)}`;
    });
    const up = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    out(up + lines.map((l) => `\x1b[2K${l}\n`).join(''));
    this.drawn = lines.length;
  }
}

/**
 * A pull's or a push's stream followed to its end: each progress message drawn (or printed as
 * JSON), Ctrl-C cancelling the call; the result the last message carries.
 */
async function follow<M extends { progress: PullProgress | null }, R>(stream: ResponseStream<M>, json: boolean, result: (m: M) => R | null): Promise<R | null> {
  const view = new ProgressView();
  let last: R | null = null;
  process.once('SIGINT', () => stream.cancel());
  for await (const m of stream) {
    if (m.progress) {
      if (json) out(JSON.stringify({ progress: m.progress }) + '\n');
      else view.update(m.progress);
    }
    last = result(m) ?? last;
  }
  return last;
}

async function pull(c: TsrundClient, f: FlagValues, [ref]: string[], json: boolean): Promise<number> {
  const image = await follow(c.pullImage(ref, { platform: f.platform as string, labels: labelsOf(f) }), json, (m) => m.image);
  if (!image) throw new TsrunError(`pull ${ref}: tsrund ended the pull without an image`, { code: 'internal' });
  if (json) out(JSON.stringify({ image: jsonImage(image) }) + '\n');
  else out(`${image.name} ${image.target?.digest ?? ''}\n`);
  return 0;
}

/** Docker's last line: `<tag>: digest: sha256:... size: N`. */
async function push(c: TsrundClient, f: FlagValues, [name, destination]: string[], json: boolean): Promise<number> {
  const pushed = await follow(c.pushImage(name, { destination: destination ?? '', platform: f.platform as string }), json, (m) => m.pushed);
  if (!pushed?.target) throw new TsrunError(`push ${name}: tsrund ended the push without its result`, { code: 'internal' });
  if (json) out(JSON.stringify({ pushed }) + '\n');
  else {
    if (pushed.note) out(`${pushed.note}\n`);
    out(`${splitName(pushed.name)[1]}: digest: ${pushed.target.digest} size: ${pushed.target.size}\n`);
  }
  return 0;
}

function jsonImage(i: Image): object {
  return { ...i, createdAt: timeText(i.createdAt), updatedAt: timeText(i.updatedAt) };
}

export const SUBCOMMANDS: SubCommand[] = [
  { name: 'pull', usage: 'pull an image from its registry', argsUsage: 'REFERENCE', flags: PULL_FLAGS, args: [1, 1], run: pull },
  { name: 'push', usage: 'push an image to a registry (under NAME, or DEST)', argsUsage: 'NAME [DEST]', flags: PUSH_FLAGS, args: [1, 2], run: push },
  {
    name: 'ls',
    usage: 'list images',
    argsUsage: '',
    flags: [],
    args: [0, 0],
    async run(c, _f, _a, json) {
      const images = await c.listImages();
      if (json) return (printJson(images.map(jsonImage)), 0);
      printTable(
        ['REPOSITORY', 'TAG', 'DIGEST', 'SIZE', 'CREATED'],
        images.map((i) => [...splitName(i.name), shortDigest(i.target?.digest ?? ''), bytesText(i.size), ago(i.createdAt)]),
      );
      return 0;
    },
  },
  {
    name: 'rm',
    usage: 'remove images (and the content no other image uses)',
    argsUsage: 'NAME...',
    flags: [],
    args: [1, -1],
    async run(c, _f, names, json) {
      const removed: { name: string; removedBlobs: string[] }[] = [];
      for (const name of names) removed.push({ name, removedBlobs: await c.deleteImage(name) });
      if (json) printJson(removed);
      else out(removed.map((r) => `${r.name}\n`).join(''));
      return 0;
    },
  },
  {
    name: 'inspect',
    usage: "an image's record, manifest and config as JSON",
    argsUsage: 'NAME',
    flags: [{ name: 'platform', kind: 'string', usage: 'which manifest of a multi-platform image', default: '' }],
    args: [1, 1],
    async run(c, f, [name]) {
      const r = await c.getImage(name, { platform: f.platform as string });
      printJson({
        image: jsonImage(r.image),
        manifestDescriptor: r.manifest,
        manifest: r.manifestJson ? JSON.parse(r.manifestJson) : null,
        config: r.configJson ? JSON.parse(r.configJson) : null,
      });
      return 0;
    },
  },
  {
    name: 'import',
    usage: 'import images from an OCI image-layout tar (skopeo oci-archive, umoci)',
    argsUsage: 'FILE',
    flags: [
      { name: 'name', kind: 'string', usage: 'name the (single) image of the archive' },
      { name: 'label', short: 'l', kind: 'list', usage: 'KEY=VALUE label (repeatable)' },
    ],
    args: [1, 1],
    async run(c, f, [file], json) {
      const images = await c.importImages(path.resolve(file), { name: f.name as string | undefined, labels: labelsOf(f) });
      if (json) printJson(images.map(jsonImage));
      else out(images.map((i) => `${i.name} ${i.target?.digest ?? ''}\n`).join(''));
      return 0;
    },
  },
  {
    name: 'export',
    usage: 'write images as one OCI image-layout tar',
    argsUsage: 'NAME...',
    flags: [{ name: 'output', short: 'o', kind: 'string', usage: 'the tar file to write (required)' }],
    args: [1, -1],
    async run(c, f, names, json) {
      if (!f.output) throw new TsrunError('export: give the file to write with --output', { code: 'invalid-argument' });
      const size = await c.exportImages(names, path.resolve(f.output as string));
      if (json) printJson({ path: path.resolve(f.output as string), size });
      return 0;
    },
  },
  {
    name: 'tag',
    usage: 'give an image another name',
    argsUsage: 'SOURCE TARGET',
    flags: [],
    args: [2, 2],
    async run(c, _f, [source, target], json) {
      const image = await c.tagImage(source, target);
      if (json) printJson(jsonImage(image));
      else out(`${image.name}\n`);
      return 0;
    },
  },
];

/** `tsctl images ARGS...`; `json`: whether --json was given before the subcommand. */
export function imagesCommand(c: TsrundClient, args: string[], json: boolean): Promise<number> {
  return runSubCommand('images', SUBCOMMANDS, { list: 'ls', remove: 'rm' }, c, args, json);
}

/** `tsctl pull`: the flags are parsed by tsctl's own dispatch. */
export function pullCommand(c: TsrundClient, f: FlagValues, args: string[], json: boolean): Promise<number> {
  return pull(c, f, args, json);
}

/** `tsctl push`: the flags are parsed by tsctl's own dispatch. */
export function pushCommand(c: TsrundClient, f: FlagValues, args: string[], json: boolean): Promise<number> {
  return push(c, f, args, json);
}
