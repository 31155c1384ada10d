import { Field, ObjectType } from 'type-graphql';
import { NodeInterface } from './node.types';
import { AccessGroup } from './tag.types';

@ObjectType('Role', {
  implements: NodeInterface,
  simpleResolvers: true,
  description: 'A named access rule. Users holding roles see only the connections their roles match (union).',
})
export class RoleType {
  @Field({ description: 'Unique name: 1-64 of `A-Z a-z 0-9 _ . -`.' })
  name!: string;

  @Field(() => [AccessGroup], { description: 'OR of groups; inside a group, AND of tag filters.' })
  access!: AccessGroup[];

  @Field({ description: 'When the role was created (ISO 8601, UTC).' })
  createdAt!: Date;

  @Field({ description: 'When the access rule last changed (ISO 8601, UTC).' })
  updatedAt!: Date;
}
