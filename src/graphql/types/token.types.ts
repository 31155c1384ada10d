import { Field, ObjectType } from 'type-graphql';
import { UserType } from './user.types';

@ObjectType({ description: 'A signed access token, valid 24 hours.' })
export class AccessToken {
  @Field({ description: 'Send it as `Authorization: Bearer <token>` or as a `user-token` header.' })
  token!: string;

  @Field()
  expiresAt!: Date;

  @Field(() => UserType)
  user!: UserType;
}

@ObjectType({ description: 'Details of a token, as the vendor API shows them.' })
export class TokenInfo {
  @Field({ description: 'Login of the token owner.' })
  user!: string;

  @Field()
  email!: string;

  @Field()
  organizationName!: string;

  @Field()
  expireTime!: Date;
}
