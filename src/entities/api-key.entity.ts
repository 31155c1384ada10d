import { Column, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { UserEntity } from './user.entity';

/** A named, long-lived credential of a user (migration ApiKeys). The secret itself is never stored. */
@Entity('api_keys')
export class ApiKeyEntity {
  /** bigint: PostgreSQL hands it over as a string, which is also what the API shows (an opaque id). */
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'BY DEFAULT' })
  id!: string;

  @Column('integer', { name: 'user_id' })
  userId!: number;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  owner?: UserEntity;

  @Column('text')
  name!: string;

  /** Public part of the secret (`dsk_<prefix>_…`), the lookup key. */
  @Column('text')
  prefix!: string;

  /** SHA-256 of the whole secret. Never leaves the service layer. */
  @Column('bytea', { name: 'secret_hash', select: false })
  secretHash!: Buffer;

  @Column('boolean', { name: 'read_only' })
  readOnly!: boolean;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'expires_at', nullable: true })
  expiresAt!: Date | null;

  @Column('timestamptz', { name: 'last_used_at', nullable: true })
  lastUsedAt!: Date | null;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt!: Date | null;
}
