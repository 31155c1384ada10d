/** What the connection services take and return, shared by the adapters (GraphQL, REST, CLI). */
import type { TagPair } from '../../access/tags';
import type { ConnectionEntity } from '../../entities/connection.entity';
import type { ProbeOutcome } from '../probe.service';
import type { MonitoringSettings } from './monitoring-settings';

export interface ConnectionInput extends Partial<MonitoringSettings> {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  tags?: TagPair[];
  enabled?: boolean;
}

export type { ConnectionFilterInput } from './filter';

/** The result of a write: the connection as stored, and what the probe said (REST words its answer after it). */
export interface ConnectionWrite {
  connection: ConnectionEntity;
  probe: ProbeOutcome | null;
}

export interface ImportItem {
  name: string;
  input: ConnectionInput;
}

export interface ImportProblem {
  /** 0-based position in the import. */
  index: number;
  name: string;
  message: string;
  /** For a name repeated in the import: the 0-based position of the item that used it first. */
  duplicateOf?: number;
}

export interface ImportResult {
  created: number;
  names: string[];
}
