/** One step of the schema: numbered from 1 without gaps, applied once, in its own transaction. */
export interface Migration {
  version: number;
  name: string;
  /** SQL run as one script. */
  up: string;
}
