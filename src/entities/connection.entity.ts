import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { TagPair } from '../access/tags';

export type CollectionRate = 'low' | 'medium' | 'high';

/** A monitored PostgreSQL instance ("agentless" connection). */
@Entity('connections')
export class ConnectionEntity {
  @PrimaryGeneratedColumn('identity', { generatedIdentity: 'BY DEFAULT' })
  id!: number;

  @Column('text')
  name!: string;

  @Column('text')
  host!: string;

  @Column('integer')
  port!: number;

  /** The PostgreSQL role used for monitoring (`user` in the APIs; `user` is a reserved word in SQL). */
  @Column('text', { name: 'username' })
  username!: string;

  /** Sealed with the gateway's encryption key (see services/secret-box); write-only in every API. */
  @Column('text', { name: 'password_encrypted' })
  passwordEncrypted!: string;

  /** User tags in the order they were written. */
  @Column('jsonb', { name: 'user_tags' })
  userTags!: TagPair[];

  @Column('text', { name: 'pg_version', nullable: true })
  pgVersion!: string | null;

  /** User and automatic tags as one object; computed by PostgreSQL (generated column), read-only here. */
  @Column({ type: 'jsonb', insert: false, update: false })
  tags!: Record<string, string>;

  @Column('boolean')
  enabled!: boolean;

  @Column('boolean')
  connected!: boolean;

  @Column('timestamptz', { name: 'last_probe_at', nullable: true })
  lastProbeAt!: Date | null;

  @Column('text', { name: 'last_probe_error', nullable: true })
  lastProbeError!: string | null;

  /** Incremented by every change that calls for a new probe, so a slow, stale probe cannot overwrite a newer one. */
  @Column('integer', { name: 'probe_generation' })
  probeGeneration!: number;

  @Column('text', { name: 'collection_rate' })
  collectionRate!: CollectionRate;

  @Column('boolean')
  samples!: boolean;

  @Column('boolean', { name: 'lock_monitoring' })
  lockMonitoring!: boolean;

  @Column('integer', { name: 'lock_monitoring_delay' })
  lockMonitoringDelay!: number;

  @Column('boolean', { name: 'table_monitoring' })
  tableMonitoring!: boolean;

  @Column('boolean', { name: 'query_monitoring' })
  queryMonitoring!: boolean;

  @Column('boolean', { name: 'query_monitoring_optimize' })
  queryMonitoringOptimize!: boolean;

  @Column('integer', { name: 'query_monitoring_min_calls' })
  queryMonitoringMinCalls!: number;

  @Column('double precision', { name: 'query_monitoring_min_time' })
  queryMonitoringMinTime!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
