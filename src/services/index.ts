/**
 * The service layer: the one place that owns validation, access matching, authorization and transactions. The
 * GraphQL resolvers and the REST handlers are thin adapters over these objects.
 */
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import { EntityRowMapper } from '../db/row-mapper';
import { ConnectionEntity } from '../entities/connection.entity';
import { RoleEntity } from '../entities/role.entity';
import { UserEntity } from '../entities/user.entity';
import { AuthService } from './auth.service';
import { ConnectionQueries } from './connection-queries';
import { ConnectionService } from './connection.service';
import { ProbeService } from './probe.service';
import { RoleService } from './role.service';
import { SecretBox } from './secret-box';
import { SettingsService } from './settings.service';
import { UserService } from './user.service';

export interface Services {
  dataSource: DataSource;
  config: Config;
  mappers: {
    user: EntityRowMapper<UserEntity>;
    role: EntityRowMapper<RoleEntity>;
    connection: EntityRowMapper<ConnectionEntity>;
  };
  connectionQueries: ConnectionQueries;
  settings: SettingsService;
  auth: AuthService;
  probes: ProbeService;
  connections: ConnectionService;
  roles: RoleService;
  users: UserService;
}

/** Wires the services over an initialized, migrated data source. */
export async function createServices(dataSource: DataSource, config: Config): Promise<Services> {
  const settings = new SettingsService(dataSource);
  const encryptionKey = config.encryptionKey ?? (await settings.getOrCreate('encryption_key'));
  const mappers = {
    user: new EntityRowMapper(dataSource, UserEntity, { exclude: ['passwordHash'] }),
    role: new EntityRowMapper(dataSource, RoleEntity),
    connection: new EntityRowMapper(dataSource, ConnectionEntity, { exclude: ['passwordEncrypted'] }),
  };
  const connectionQueries = new ConnectionQueries(mappers.connection);
  const probes = new ProbeService(config.probeTimeoutMs);
  const connections = new ConnectionService(connectionQueries, probes, new SecretBox(encryptionKey));
  const auth = new AuthService(dataSource, config, settings);
  await auth.init();
  return {
    dataSource,
    config,
    mappers,
    connectionQueries,
    settings,
    auth,
    probes,
    connections,
    roles: new RoleService(connections),
    users: new UserService(connections),
  };
}
