/** Access governance: why a decision is what it is, who a connection is for, what a change would do. */
import type { EntityRowMapper } from '../../db/row-mapper';
import type { UserEntity } from '../../entities/user.entity';
import type { ConnectionService } from '../connections';
import type { RoleService } from '../role.service';
import type { UserService } from '../user.service';
import { AudienceService } from './audience';
import { ExplainService } from './explain';
import { ImpactService } from './impact';

export interface Governance {
  explain: ExplainService;
  audience: AudienceService;
  impact: ImpactService;
}

export function createGovernance(deps: {
  connections: ConnectionService;
  roles: RoleService;
  users: UserService;
  userMapper: EntityRowMapper<UserEntity>;
}): Governance {
  return {
    explain: new ExplainService(deps.connections),
    audience: new AudienceService(),
    impact: new ImpactService(deps.connections, deps.roles, deps.users, deps.userMapper),
  };
}
