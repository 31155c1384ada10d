/** Every migration, in order. The data source takes this list, so compiled and test runs apply the same set. */
import { InitialSchema1732320000000 } from './1732320000000-InitialSchema';
import { AccessChangeNotifications1732320000001 } from './1732320000001-AccessChangeNotifications';
import { LoginThrottle1732320000010 } from './1732320000010-LoginThrottle';
import { RoleMembership1732320000020 } from './1732320000020-RoleMembership';
import { MembershipChangeNotifications1732320000030 } from './1732320000030-MembershipChangeNotifications';
import { ApiKeys1732320000100 } from './1732320000100-ApiKeys';
import { AuditEvents1732320000500 } from './1732320000500-AuditEvents';
import { ConnectionChangeNotifications1732320000600 } from './1732320000600-ConnectionChangeNotifications';
import { ConnectionOrderIndexes1732320000700 } from './1732320000700-ConnectionOrderIndexes';
import { TagSignatures1732320000800 } from './1732320000800-TagSignatures';
import { RoleConnectionCounts1732320000810 } from './1732320000810-RoleConnectionCounts';
import { SignatureConnectionCounts1732320000820 } from './1732320000820-SignatureConnectionCounts';
import { DropUnusedSignatures1732320000830 } from './1732320000830-DropUnusedSignatures';
import { RoleGroupSelectors1732320000840 } from './1732320000840-RoleGroupSelectors';

export const migrations = [
  InitialSchema1732320000000,
  AccessChangeNotifications1732320000001,
  LoginThrottle1732320000010,
  RoleMembership1732320000020,
  MembershipChangeNotifications1732320000030,
  ApiKeys1732320000100,
  AuditEvents1732320000500,
  ConnectionChangeNotifications1732320000600,
  ConnectionOrderIndexes1732320000700,
  TagSignatures1732320000800,
  RoleConnectionCounts1732320000810,
  SignatureConnectionCounts1732320000820,
  DropUnusedSignatures1732320000830,
  RoleGroupSelectors1732320000840,
];
