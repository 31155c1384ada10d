import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from './connection.types';
import { UserType } from './user.types';

export enum AccessReasonEnum {
  UNRESTRICTED = 'UNRESTRICTED',
  ROLE_MATCH = 'ROLE_MATCH',
  NO_MATCH = 'NO_MATCH',
}

registerEnumType(AccessReasonEnum, {
  name: 'AccessReason',
  description: 'Why a user sees a connection or not.',
  valuesConfig: {
    UNRESTRICTED: { description: 'The user holds no role: no restriction, every connection is visible.' },
    ROLE_MATCH: { description: 'At least one group of a role the user holds matches the connection (see `matches`).' },
    NO_MATCH: { description: 'The user holds roles and no group of any of them matches (see `misses`).' },
  },
});

@ObjectType({ simpleResolvers: true, description: 'One tag condition of a role group, as stored.' })
export class AccessFilter {
  @Field({ description: 'Tag key, e.g. `environment` (automatic tags included).' })
  tag!: string;

  @Field({ description: 'The exact value the condition requires.' })
  value!: string;
}

@ObjectType({ simpleResolvers: true, description: 'A group of a held role whose filters all match the connection.' })
export class AccessMatch {
  @Field({ description: 'Name of the role.' })
  role!: string;

  @Field(() => Int, { description: "Index of the group in the role's `access`, from 0." })
  group!: number;

  @Field(() => [AccessFilter], { description: 'The filters of the group, all of which the connection carries.' })
  filters!: AccessFilter[];
}

@ObjectType({ simpleResolvers: true, description: 'A group of a held role that does not match: the first filter (in stored order) that fails.' })
export class AccessMiss {
  @Field({ description: 'Name of the role.' })
  role!: string;

  @Field(() => Int, { description: "Index of the group in the role's `access`, from 0." })
  group!: number;

  @Field(() => AccessFilter, { description: 'The first filter of the group the connection does not satisfy.' })
  filter!: AccessFilter;

  @Field(() => String, { nullable: true, description: "The connection's value of that tag; null when it does not carry the tag." })
  actual!: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'Why a user sees a connection or not, by the same rules as visibility.' })
export class AccessExplanation {
  @Field({ description: 'Whether the user sees the connection.' })
  visible!: boolean;

  @Field(() => AccessReasonEnum, { description: 'UNRESTRICTED, ROLE_MATCH or NO_MATCH.' })
  reason!: AccessReasonEnum;

  @Field(() => [AccessMatch], { description: 'Every (role, group) that matches, sorted by role name then group.' })
  matches!: AccessMatch[];

  @Field(() => [AccessMiss], { description: 'Every (role, group) that does not match, with its first failing filter; sorted by role name then group.' })
  misses!: AccessMiss[];
}

@ObjectType({
  description:
    'What a change of access would do, computed without saving anything. `added`/`removed` are the connections visible only after/only before; `affectedUsers` the users whose visible set changes.',
})
export class AccessImpact {
  // Every field (added and removed take first/after) is resolved by AccessImpactResolver.
}

@ObjectType({ simpleResolvers: true, description: 'One user of a page with its cursor (Relay style); use `nodes` when cursors are not needed.' })
export class UserEdge {
  @Field({ description: 'Opaque cursor of this item.' })
  cursor!: string;

  @Field(() => UserType, { description: 'The user.' })
  node!: UserType;
}

@ObjectType({ simpleResolvers: true, description: 'A page of users, sorted by login (same shape and cursor rules as `ConnectionPage`).' })
export class UserPage {
  @Field(() => [UserEdge], { description: 'The items of this page with their cursors, sorted by login.' })
  edges!: UserEdge[];

  @Field(() => [UserType], { description: 'The same items as `edges`, without cursors.' })
  nodes!: UserType[];

  @Field(() => PageInfo, { description: 'Whether another page follows, and the cursor to ask for it.' })
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'Number of items in all pages together (counted only when asked for).' })
  totalCount!: number;
}
