/* Generated from spec/schema/state.schema.json by spec/tools/gen-types.js (json-schema-to-typescript): do not edit.
 * Change the schema and run `npm run gen:types`. */

export type ContainerState = 'creating' | 'created' | 'running' | 'stopped';

export interface State {
  /**
   * A SemVer 2.0.0 version.
   */
  ociVersion: string;
  /**
   * The container id, unique on this host.
   */
  id: string;
  status: ContainerState;
  /**
   * The container process as seen from the runtime's pid namespace; required while created or running.
   */
  pid?: number;
  /**
   * Absolute path of the bundle directory.
   */
  bundle: string;
  annotations?: Annotations;
}
/**
 * Arbitrary metadata; keys are non-empty, preferably in reverse domain notation.
 */
export interface Annotations {
  [k: string]: string;
}
