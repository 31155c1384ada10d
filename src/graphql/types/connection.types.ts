import type { GraphQLScalarType } from 'graphql';
import { Field, Float, InputType, Int, ObjectType } from 'type-graphql';
import { MONITORING_SETTING_ROWS, type MonitoringSettingKind, type MonitoringSettings } from '../../services/connections';
import { CollectionRateEnum } from './enums';
import { NodeInterface } from './node.types';
import { TagCondition } from './relay.types';
import { AccessGroupInput, TagInput } from './tag.types';

@ObjectType('Connection', {
  implements: NodeInterface,
  simpleResolvers: true,
  description: 'A monitored PostgreSQL instance (agentless connection). Its password is write-only and is never returned.',
})
export class ConnectionType {
  @Field({ description: 'Unique identifier: 1-64 of `A-Z a-z 0-9 _ . -`.' })
  name!: string;

  @Field({ description: 'Hostname or IP address of the instance.' })
  host!: string;

  @Field(() => Int, { description: 'TCP port of the instance (1-65535).' })
  port!: number;

  // `user` is resolved from the entity's `username` by ConnectionResolver.

  @Field({ description: 'Whether the instance is monitored.' })
  enabled!: boolean;

  @Field({ description: 'Result of the last connection probe (false while disabled).' })
  connected!: boolean;

  @Field(() => String, { nullable: true, description: 'Server version read by the last successful probe, e.g. `16.4`.' })
  pgVersion!: string | null;

  // The monitoring settings are added from their table by applySettingFields (below).

  @Field({ description: 'When the connection was declared (ISO 8601, UTC).' })
  createdAt!: Date;

  @Field({ description: 'When the connection was last changed (ISO 8601, UTC); probes do not count as changes.' })
  updatedAt!: Date;
}

@ObjectType({ simpleResolvers: true, description: 'Relay-style page information.' })
export class PageInfo {
  @Field({ description: 'True when another page follows; fetch it with `after: endCursor`.' })
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Cursor of the last item of this page; null on an empty page.' })
  endCursor!: string | null;

  @Field({
    description:
      'True when items come before this page: fetch them with `last` and `before: startCursor`. Exact in both directions (reading forward, true when an item sorts at or before `after`).',
  })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Cursor of the first item of this page; null on an empty page.' })
  startCursor!: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'One connection of a page with its cursor (Relay style); use `nodes` when cursors are not needed.' })
export class ConnectionEdge {
  @Field({ description: 'Opaque cursor of this item.' })
  cursor!: string;

  @Field(() => ConnectionType, { description: 'The connection.' })
  node!: ConnectionType;
}

@ObjectType({ simpleResolvers: true, description: 'A page of connections, sorted by name.' })
export class ConnectionPage {
  @Field(() => [ConnectionEdge], { description: 'The items of this page with their cursors, sorted by name.' })
  edges!: ConnectionEdge[];

  @Field(() => [ConnectionType], { description: 'The same items as `edges`, without cursors.' })
  nodes!: ConnectionType[];

  @Field(() => PageInfo, { description: 'Whether another page follows, and the cursor to ask for it.' })
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'Number of items in all pages together (counted only when asked for).' })
  totalCount!: number;
}

@InputType({ description: 'Narrows a list of connections. All given conditions must hold.' })
export class ConnectionFilter {
  @Field(() => [AccessGroupInput], {
    nullable: true,
    description: 'Tag conditions with role semantics (OR of groups, AND inside a group), e.g. one dashboard tab per environment.',
  })
  access?: AccessGroupInput[] | null;

  @Field(() => Boolean, { nullable: true, description: 'Only enabled (true) or only disabled (false) connections; omit for both.' })
  enabled?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'Only connections whose last probe succeeded (true) or did not (false); omit for both.' })
  connected?: boolean | null;

  @Field(() => String, { nullable: true, description: 'Case-insensitive substring of the name or the host.' })
  search?: string | null;

  @Field(() => [TagCondition], {
    nullable: true,
    description: 'Tag conditions, all of which must hold (AND), e.g. `[{key: "environment", op: IN, values: ["production", "staging"]}]` (at most 20).',
  })
  tags?: TagCondition[] | null;
}

// The settings' TypeScript properties (their GraphQL fields are added by applySettingFields): a class cannot
// declare properties from a mapped type, an interface of the same name can.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
interface MonitoringSettingsInput extends Partial<MonitoringSettings> {}

@InputType({ description: 'Monitoring settings; omitted ones keep their current value (or the default on create).' })
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
class MonitoringSettingsInput {
  // The monitoring settings are added from their table by applySettingFields (below).

  @Field({ nullable: true, description: 'Default true. A disabled connection is not monitored nor probed.' })
  enabled?: boolean;
}

@InputType({ description: 'A new monitored connection.' })
export class CreateConnectionInput extends MonitoringSettingsInput {
  @Field({ description: 'Hostname or IP address the gateway and the collector can reach.' })
  host!: string;

  @Field(() => Int, { description: '1-65535.' })
  port!: number;

  @Field({ description: 'PostgreSQL role used for monitoring.' })
  user!: string;

  @Field({ description: 'Password of that role. Write-only: no field returns it.' })
  password!: string;

  @Field(() => [TagInput], { nullable: true, description: 'User tags, in the order they should be shown.' })
  tags?: TagInput[];
}

@InputType({ description: 'Changes to a connection. Every field is optional; `tags` replaces all user tags.' })
export class UpdateConnectionInput extends MonitoringSettingsInput {
  @Field({ nullable: true, description: 'New hostname or IP address; triggers a new probe.' })
  host?: string;

  @Field(() => Int, { nullable: true, description: 'New port (1-65535); triggers a new probe.' })
  port?: number;

  @Field({ nullable: true, description: 'New monitoring role; triggers a new probe.' })
  user?: string;

  @Field({ nullable: true, description: 'A new password triggers a new probe.' })
  password?: string;

  @Field(() => [TagInput], { nullable: true, description: 'The complete new list of user tags (`[]` removes them all).' })
  tags?: TagInput[];
}

/** The GraphQL type of each kind of setting. */
const GRAPHQL_TYPE_OF_KIND: Record<MonitoringSettingKind, () => GraphQLScalarType | BooleanConstructor | typeof CollectionRateEnum> = {
  rate: () => CollectionRateEnum,
  boolean: () => Boolean,
  int: () => Int,
  number: () => Float,
};

/**
 * Declares the monitoring settings as GraphQL fields, one per row of the settings table: on the `Connection` output
 * type, and (optional) on the inputs of create, update and import. The same as writing `@Field` on each property.
 */
function applySettingFields(): void {
  for (const setting of MONITORING_SETTING_ROWS) {
    const type = GRAPHQL_TYPE_OF_KIND[setting.kind];
    Field(type, { description: setting.description })(ConnectionType.prototype, setting.graphql);
    Field(type, { nullable: true, description: setting.inputDescription })(MonitoringSettingsInput.prototype, setting.graphql);
  }
}
applySettingFields();

/** Options of every `first` argument: `first: Int = 50`, as the contract spells it. */
export const FIRST_ARG = {
  nullable: true,
  defaultValue: 50,
  description: 'Page size: default 50, at most 500 (larger values are capped).',
} as const;

/** Options of every `after` argument. */
export const AFTER_ARG = { nullable: true, description: 'The `endCursor` of the previous page.' } as const;
