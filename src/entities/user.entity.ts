import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type Profile = 'developer' | 'data admin';
export type Privilege = 'read' | 'read write' | 'admin';

/** A person who signs in to the platform. The password hash never leaves the service layer. */
@Entity('users')
export class UserEntity {
  @PrimaryGeneratedColumn('identity', { generatedIdentity: 'BY DEFAULT' })
  id!: number;

  @Column('text')
  email!: string;

  @Column('text')
  login!: string;

  @Column('text', { name: 'password_hash', nullable: true, select: true })
  passwordHash!: string | null;

  @Column('text')
  profile!: Profile;

  @Column('text')
  privilege!: Privilege;

  @Column('boolean')
  live360!: boolean;

  @Column('text', { nullable: true })
  comment!: string | null;

  @Column('boolean')
  ldap!: boolean;

  /** Bumped when the password changes; tokens carry the version they were issued under. */
  @Column('integer', { name: 'token_version' })
  tokenVersion!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
