/**
 * The service layer: the one place that owns validation, access matching, authorization and transactions. The
 * GraphQL resolvers and the REST handlers are thin adapters over these objects.
 */
import type { DataSource } from 'typeorm';
import { AuditLog } from '../audit/audit-log';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { EntityRowMapper } from '../db/row-mapper';
import { ConnectionEntity } from '../entities/connection.entity';
import { RoleEntity } from '../entities/role.entity';
import { UserEntity } from '../entities/user.entity';
import { ApiKeyService } from './api-key.service';
import { LdapDirectory } from '../directory/ldap-directory';
import { AuthService } from './auth.service';
import { DirectorySignIn } from './directory-sign-in';
import { ConnectionQueries } from './connection-queries';
import { ConnectionService } from './connections';
import { LoginThrottle } from './login-throttle';
import { PrincipalCache } from './principal-cache';
import { ProbeService } from './probe.service';
import { RoleService } from './role.service';
import { openSecretBox } from './key-rotation';
import { SettingsService } from './settings.service';
import { MembershipCache } from './membership-cache';
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
  /** API keys: management, and secrets to callers (used by the shared authentication step). */
  apiKeys: ApiKeyService;
  principalCache: PrincipalCache;
  /** The audit log: services record their changes with it; administrators read it (`auditEvents`). */
  audit: AuditLog;
  /** Membership counts (dashboard totals, role counts), exact through the principal cache's notifications. */
  membershipCache: MembershipCache;
  /** Stops background work (the cache's LISTEN connection). The data source is the caller's to close. */
  close(): Promise<void>;
}

/** Wires the services over an initialized, migrated data source. */
export async function createServices(dataSource: DataSource, config: Config, log?: Logger): Promise<Services> {
  const settings = new SettingsService(dataSource);
  const audit = new AuditLog();
  // ENCRYPTION_KEY (or the generated one kept in settings) seals; ENCRYPTION_KEY_PREVIOUS only opens (key-rotation.ts).
  const secrets = await openSecretBox(dataSource, config);
  const mappers = {
    user: new EntityRowMapper(dataSource, UserEntity, { exclude: ['passwordHash'] }),
    role: new EntityRowMapper(dataSource, RoleEntity),
    connection: new EntityRowMapper(dataSource, ConnectionEntity, { exclude: ['passwordEncrypted'] }),
  };
  const connectionQueries = new ConnectionQueries(mappers.connection);
  const probes = new ProbeService(config.probeTimeoutMs);
  // LISTEN needs a session of its own: LISTEN_DATABASE_URL when DATABASE_URL is a transaction pooler.
  const listenUrl = config.listenDatabaseUrl ?? String((dataSource.options as { url?: string }).url);
  const principalCache = new PrincipalCache(listenUrl, config.principalCacheTtlMs, log, config.cacheBounds?.principals);
  await principalCache.start();
  const membershipCache = new MembershipCache(principalCache, config.principalCacheTtlMs);
  // The bulk import writes the password column too: a mapper of every column (the read mapper leaves it out).
  const connections = new ConnectionService(connectionQueries, probes, secrets, new EntityRowMapper(dataSource, ConnectionEntity), audit, membershipCache);
  // The replica that commits a change forgets the affected callers at once; the others learn it by NOTIFY.
  const accessChanged = (payload: string) => principalCache.invalidate(payload);
  const users = new UserService(connections, audit, accessChanged);
  const directory = config.directory ? new DirectorySignIn(dataSource, new LdapDirectory(config.directory, log), users, accessChanged, log, audit) : undefined;
  const auth = new AuthService(dataSource, config, settings, principalCache, directory, audit);
  await auth.init();
  // Failed key checks share the per-address counter (and its table) with password sign-ins.
  const apiKeyThrottle = new LoginThrottle(dataSource, config.loginThrottle);
  const apiKeys = new ApiKeyService(dataSource, auth, principalCache, apiKeyThrottle, config.principalCacheTtlMs, audit, accessChanged, log);
  return {
    dataSource,
    config,
    mappers,
    connectionQueries,
    settings,
    auth,
    probes,
    connections,
    roles: new RoleService(connections, audit, accessChanged),
    users,
    apiKeys,
    principalCache,
    audit,
    membershipCache,
    close: async () => {
      await connections.drain();
      await principalCache.stop();
    },
  };
}
