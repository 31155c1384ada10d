import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Gateway-wide values that replicas must share, such as a generated token-signing key. */
@Entity('settings')
export class SettingEntity {
  @PrimaryColumn('text')
  key!: string;

  @Column('text')
  value!: string;
}
