/**
 * A parsed Dockerfile: what the parser (./parse.ts) gives the builder (../builder.ts). Positions
 * are 1-based and point into the Dockerfile as the user wrote it, so every error can name them.
 * Words are kept unexpanded: variables are substituted by the builder, step by step, with the
 * ARG and ENV values in scope at that step (./expand.ts).
 */

export interface SourcePosition {
  line: number;
  column: number;
}

/** `--name=value` flags of an instruction (COPY --from=x --chown=u:g --chmod=644, FROM --platform=p, ...). */
export type InstructionFlags = Record<string, string>;

/** An instruction's arguments: the shell form (one string, as written) or the JSON exec form. */
export type CommandForm = { shell: string } | { exec: string[] };

export type Instruction =
  | { kind: 'FROM'; image: string; stageName: string | null; flags: InstructionFlags; at: SourcePosition }
  | { kind: 'ARG'; args: { name: string; default: string | null }[]; at: SourcePosition }
  | { kind: 'ENV'; pairs: { key: string; value: string }[]; at: SourcePosition }
  | { kind: 'LABEL'; pairs: { key: string; value: string }[]; at: SourcePosition }
  | { kind: 'RUN'; command: CommandForm; flags: InstructionFlags; at: SourcePosition }
  | { kind: 'CMD' | 'ENTRYPOINT'; command: CommandForm; at: SourcePosition }
  | { kind: 'SHELL'; exec: string[]; at: SourcePosition }
  /** `sources` and `dest` as written; the last word (or JSON item) is the destination. */
  | { kind: 'COPY' | 'ADD'; sources: string[]; dest: string; flags: InstructionFlags; at: SourcePosition }
  | { kind: 'WORKDIR' | 'USER' | 'STOPSIGNAL'; value: string; at: SourcePosition }
  | { kind: 'EXPOSE'; ports: string[]; at: SourcePosition }
  | { kind: 'VOLUME'; paths: string[]; at: SourcePosition }
  /** `NONE` disables the base image's check; otherwise the CMD's form and the --interval/--timeout/--start-period/--start-interval/--retries flags. */
  | { kind: 'HEALTHCHECK'; none: boolean; command: CommandForm | null; flags: InstructionFlags; at: SourcePosition }
  /** The trigger instruction's text, as the image config stores it ("RUN echo hi"). */
  | { kind: 'ONBUILD'; trigger: string; at: SourcePosition }
  /** MAINTAINER (deprecated; becomes the author). */
  | { kind: 'MAINTAINER'; value: string; at: SourcePosition };

export type InstructionKind = Instruction['kind'];

export interface Stage {
  /** `FROM ... AS name`, lower-cased as Docker compares them; null when unnamed. */
  name: string | null;
  /** 0-based position among the stages (COPY --from=0 names it). */
  index: number;
  from: Extract<Instruction, { kind: 'FROM' }>;
  instructions: Exclude<Instruction, { kind: 'FROM' }>[];
}

export interface Dockerfile {
  /** Parser directives at the top (`# escape=`` `, `# syntax=...`), lower-cased names. */
  directives: Record<string, string>;
  /** The escape character in effect ('\\' or '`'). */
  escape: string;
  /** ARG instructions before the first FROM: usable in FROM lines only (unless re-declared). */
  globalArgs: Extract<Instruction, { kind: 'ARG' }>[];
  stages: Stage[];
}

/** A Dockerfile the parser refused, at a position: "Dockerfile:3:1: unknown instruction: FORM". */
export interface DockerfileErrorDetail {
  file: string;
  at: SourcePosition;
  message: string;
}
