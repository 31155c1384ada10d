/**
 * The service layer: the one place that owns validation, access matching, authorization and transactions. The
 * GraphQL resolvers and the REST handlers are thin adapters over these objects.
 */
import type { DataSource } from 'typeorm';
import { AuditLog } from '../audit/audit-log';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { ACCESS_CHANNEL, ChangeFeed, MEMBERSHIP_CHANNEL } from '../db/change-feed';
import { databaseUrls, runtimeUrlOf } from '../db/open-database';
import { EntityRowMapper } from '../db/row-mapper';
import { ConnectionEntity } from '../entities/connection.entity';
import { RoleEntity } from '../entities/role.entity';
import { UserEntity } from '../entities/user.entity';
import { ApiKeyService } from './api-key.service';
import { AssignmentQueries } from './assignment-queries';
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
import { ExactCache } from './exact-cache';
import { MembershipCache } from './membership-cache';
import { UserService } from './user.service';
import { createGovernance, type Governance } from './governance';
import { NodeService } from './nodes';

export interface Services {
  dataSource: DataSource;
  config: Config;
  mappers: {
    user: EntityRowMapper<UserEntity>;
    role: EntityRowMapper<RoleEntity>;
    connection: EntityRowMapper<ConnectionEntity>;
  };
  connectionQueries: ConnectionQueries;
  /** Batched reads of role assignments (the roles of users, the users of roles), for the per-request loaders. */
  assignments: AssignmentQueries;
  settings: SettingsService;
  auth: AuthService;
  probes: ProbeService;
  connections: ConnectionService;
  roles: RoleService;
  users: UserService;
  /** API keys: management, and secrets to callers (used by the shared authentication step). */
  apiKeys: ApiKeyService;
  /** The LISTEN connection every cache subscribes to, and the freshness marks of requests (src/db/change-feed.ts). */
  changeFeed: ChangeFeed;
  /** Objects by global id (`node`, `nodes`), each under its own visibility rule. */
  nodes: NodeService;
  principalCache: PrincipalCache;
  /** The audit log: services record their changes with it; administrators read it (`auditEvents`). */
  audit: AuditLog;
  /** Membership counts (dashboard totals, role counts), exact through the change feed's notifications. */
  membershipCache: MembershipCache;
  /** The role list and each role's users (the administrators' overview), exact through `ds_access_changed`. */
  assignmentCache: AssignmentCache;
  /**
   * Serialized GraphQL answers of the access-model overview, by caller and document (src/graphql/answer-cache.ts),
   * exact through `ds_access_changed` and `ds_membership_changed`.
   */
  answerCache: ExactCache<Buffer>;
  /** Explanations of access decisions, a connection's audience, impacts of changes (src/services/governance/). */
  governance: Governance;
  /** Stops background work (the change feed's LISTEN connection). The data source is the caller's to close. */
  close(): Promise<void>;
}

/**
 * Roles (key `roles`: every role, by name) and each role's users (`users:<role id>|<columns>`), as the
 * administrators' overview reads them: users, their roles and the roles themselves all NOTIFY `ds_access_changed`.
 */
export type AssignmentCache = ExactCache<readonly RoleEntity[] | readonly UserEntity[]>;

/** Wires the services over an initialized, migrated data source. */
export async function createServices(dataSource: DataSource, config: Config, log?: Logger): Promise<Services> {
  const settings = new SettingsService(dataSource);
  const audit = new AuditLog();
  // ENCRYPTION_KEY (or the generated one kept in settings) seals; ENCRYPTION_KEY_PREVIOUS only opens (key-rotation.ts).
  const secrets = await openSecretBox(dataSource, config);
  const mappers = {
    user: new EntityRowMapper(dataSource, UserEntity, { exclude: ['passwordHash'] }),
    role: new EntityRowMapper(dataSource, RoleEntity),
    // A read connection's user tags are read-only (resolvers and REST format them; writes assign new arrays), and
    // fleets repeat them: shared and frozen, parsed once per distinct text.
    connection: new EntityRowMapper(dataSource, ConnectionEntity, { exclude: ['passwordEncrypted'], sharedJson: ['userTags'] }),
  };
  const connectionQueries = new ConnectionQueries(mappers.connection);
  const probes = new ProbeService(config.probeTimeoutMs);
  const changeFeed = new ChangeFeed(databaseUrls(config, runtimeUrlOf(dataSource)).listen, config.principalCacheTtlMs > 0, log);
  // Every cache subscribes before the feed starts, so none misses the first "deaf" / "listening" transition.
  const principalCache = new PrincipalCache(changeFeed, config.principalCacheTtlMs, config.cacheBounds?.principals);
  const membershipCache = new MembershipCache(changeFeed, config.principalCacheTtlMs);
  const assignmentCache: AssignmentCache = new ExactCache(changeFeed, [ACCESS_CHANNEL], { ttlMs: config.principalCacheTtlMs, maxEntries: 20_000 });
  // Bounded in bytes: 16 MB in all, no answer over a tenth of it.
  const answerCache = new ExactCache<Buffer>(changeFeed, [ACCESS_CHANNEL, MEMBERSHIP_CHANNEL], {
    ttlMs: config.principalCacheTtlMs,
    maxEntries: 1_000,
    maxSize: 16_000_000,
    sizeOf: (bytes) => Math.max(1, bytes.length),
  });
  // The bulk import writes the password column too: a mapper of every column (the read mapper leaves it out).
  const connections = new ConnectionService(connectionQueries, probes, secrets, new EntityRowMapper(dataSource, ConnectionEntity), audit, membershipCache);
  // The replica that commits a change forgets the affected callers at once; the others learn it by NOTIFY.
  const accessChanged = (payload: string) => changeFeed.publish(ACCESS_CHANNEL, payload);
  const users = new UserService(connections, audit, accessChanged);
  const directory = config.directory ? new DirectorySignIn(dataSource, new LdapDirectory(config.directory, log), users, accessChanged, log, audit) : undefined;
  const auth = new AuthService(dataSource, config, settings, principalCache, directory, audit);
  await auth.init();
  // Failed key checks share the per-address counter (and its table) with password sign-ins.
  const apiKeyThrottle = new LoginThrottle(dataSource, config.loginThrottle);
  const roles = new RoleService(connections, audit, accessChanged, assignmentCache);
  const apiKeys = new ApiKeyService(dataSource, auth, principalCache, changeFeed, apiKeyThrottle, config.principalCacheTtlMs, audit, accessChanged, log);
  await changeFeed.start();
  return {
    dataSource,
    config,
    mappers,
    connectionQueries,
    assignments: new AssignmentQueries(mappers),
    settings,
    auth,
    probes,
    connections,
    roles,
    users,
    apiKeys,
    changeFeed,
    nodes: new NodeService(),
    principalCache,
    audit,
    membershipCache,
    assignmentCache,
    answerCache,
    governance: createGovernance({ connections, roles, users, userMapper: mappers.user }),
    close: async () => {
      await connections.drain();
      await changeFeed.stop();
    },
  };
}
