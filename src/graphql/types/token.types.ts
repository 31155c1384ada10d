import { Field, ObjectType } from 'type-graphql';
import { UserType } from './user.types';

@ObjectType({ simpleResolvers: true, description: 'A signed access token, valid 24 hours.' })
export class AccessToken {
  @Field({ description: 'Send it as `Authorization: Bearer <token>` or as a `user-token` header.' })
  token!: string;

  @Field({ description: 'When the token stops working (ISO 8601, UTC); sign in again before then.' })
  expiresAt!: Date;

  @Field(() => UserType, { description: 'The signed-in user, to show who is connected without another query.' })
  user!: UserType;
}

@ObjectType({ simpleResolvers: true, description: 'Details of a token, as the vendor API shows them.' })
export class TokenInfo {
  @Field({ description: 'Login of the token owner.' })
  user!: string;

  @Field({ description: 'Email of the token owner.' })
  email!: string;

  @Field({ description: 'Organization the token was issued for (ORGANIZATION_NAME of the gateway).' })
  organizationName!: string;

  @Field({ description: 'When the token stops working (ISO 8601, UTC).' })
  expireTime!: Date;
}
