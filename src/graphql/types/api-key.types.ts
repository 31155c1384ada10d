import { Field, ID, ObjectType } from 'type-graphql';
import { NodeInterface } from './node.types';
import { UserType } from './user.types';

@ObjectType('ApiKey', {
  implements: NodeInterface,
  simpleResolvers: true,
  description:
    "A named, long-lived credential for an integration. It acts as its owner with the owner's current roles and " +
    'privileges; a password change does not revoke it. The secret is shown once, by `createApiKey`, and never stored.',
})
export class ApiKeyType {
  @Field(() => ID, { description: 'Opaque global identifier (`node(id)`); pass it to `revokeApiKey`.' })
  id!: string;

  @Field({ description: 'What the key is for, as its owner named it (e.g. `ansible-nightly`).' })
  name!: string;

  @Field({ description: 'Public part of the secret (`dsk_<prefix>_…`), to tell which key a leaked or logged secret is.' })
  prefix!: string;

  @Field({ description: 'A read-only key is refused every mutation and REST write (FORBIDDEN / 403).' })
  readOnly!: boolean;

  @Field(() => UserType, { description: 'The user the key acts as.' })
  owner!: UserType;

  @Field({ description: 'When the key was created.' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When the key stops working; null: it does not expire.' })
  expiresAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'Last use, to the minute (recorded at most once a minute); null: never used.' })
  lastUsedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the key was revoked; null while it is active.' })
  revokedAt!: Date | null;
}

@ObjectType('ApiKeySecret', { simpleResolvers: true, description: 'A new API key and its secret, shown this once.' })
export class ApiKeySecret {
  @Field(() => ApiKeyType, { description: 'The key.' })
  apiKey!: ApiKeyType;

  @Field({
    description:
      'The secret: send it as `Authorization: Bearer <secret>` (GraphQL) or `user-token: <secret>` (REST). It starts with ' +
      '`dsk_` (pattern `dsk_[0-9a-f]{12}_[0-9a-f]{64}`, for secret scanners). Store it now: it cannot be shown again.',
  })
  secret!: string;
}
