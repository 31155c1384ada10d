import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { PageInfo } from './connection.types';
import { NodeInterface } from './node.types';

@ObjectType('AuditEvent', {
  implements: NodeInterface,
  simpleResolvers: true,
  description:
    'One change (or sign-in) as the audit log recorded it, in the transaction of the change. Secrets (passwords, ' +
    'tokens, API key secrets) appear as `"********"`.',
})
export class AuditEventType {
  @Field(() => ID, { description: 'Opaque global identifier (`node(id)`, administrators).' })
  id!: string;

  @Field({ description: 'When the change was made (its transaction time).' })
  at!: Date;

  @Field({ description: 'Login of the account that acted; `cli` or `system` when no account did; `anonymous` for a failed sign-in.' })
  actor!: string;

  @Field({ description: 'How the change arrived: `graphql`, `rest`, `cli` or `system`.' })
  channel!: string;

  @Field(() => String, { nullable: true, description: 'The `x-request-id` of the request that made the change; null outside a request.' })
  requestId!: string | null;

  @Field({ description: '`<targetType>.<verb>`, e.g. `role.update`, `auth.sign-in-failure`, `system.audit-purge`.' })
  action!: string;

  @Field({ description: 'What kind of object changed: `connection`, `role`, `user`, `apikey`, `auth` or `system`.' })
  targetType!: string;

  @Field({ description: 'Which object: a role or connection name, a login, an API key id (a failed sign-in: the identifier typed, bounded).' })
  target!: string;

  @Field(() => GraphQLJSON, { nullable: true, description: 'The changed fields before the change (the whole object for a deletion); null for a creation.' })
  before!: unknown;

  @Field(() => GraphQLJSON, { nullable: true, description: 'The changed fields after the change (the whole object for a creation); null for a deletion.' })
  after!: unknown;
}

@ObjectType('AuditEventEdge', { simpleResolvers: true, description: 'One audit event of a page with its cursor.' })
export class AuditEventEdge {
  @Field({ description: 'Opaque cursor of this item.' })
  cursor!: string;

  @Field(() => AuditEventType, { description: 'The event.' })
  node!: AuditEventType;
}

@ObjectType('AuditEventPage', { simpleResolvers: true, description: 'A page of audit events, newest first.' })
export class AuditEventPage {
  @Field(() => [AuditEventEdge], { description: 'The items of this page with their cursors, newest first.' })
  edges!: AuditEventEdge[];

  @Field(() => [AuditEventType], { description: 'The same items as `edges`, without cursors.' })
  nodes!: AuditEventType[];

  @Field(() => PageInfo, { description: 'Whether another page follows, and the cursor to ask for it.' })
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'Number of events in all pages together (counted only when asked for).' })
  totalCount!: number;
}

@InputType('AuditFilter', { description: 'Narrows the audit log. All given conditions must hold.' })
export class AuditFilterInput {
  @Field(() => String, { nullable: true, description: 'Exactly this actor (a login, `cli`, `system`, `anonymous`).' })
  actor?: string | null;

  @Field(() => String, { nullable: true, description: 'Exactly this action, e.g. `user.update`.' })
  action?: string | null;

  @Field(() => String, { nullable: true, description: 'Exactly this target type, e.g. `role`.' })
  targetType?: string | null;

  @Field(() => String, { nullable: true, description: 'Exactly this target, e.g. a role name or a login.' })
  target?: string | null;

  @Field(() => Date, { nullable: true, description: 'Events at or after this time.' })
  since?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Events before this time (exclusive).' })
  until?: Date | null;
}
