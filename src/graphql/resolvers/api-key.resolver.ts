import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { globalIdOf } from '../../services/global-id';
import type { ApiKeyEntity } from '../../entities/api-key.entity';
import type { CreatedApiKey } from '../../services/api-key.service';
import type { GraphQLContext } from '../context';
import { ApiKeySecret, ApiKeyType } from '../types/api-key.types';

@Resolver(() => ApiKeyType)
export class ApiKeyResolver {
  @Authorized()
  @Query(() => [ApiKeyType], { description: "The caller's API keys (administrators: every key), sorted by name. Never the secrets." })
  apiKeys(@Ctx() ctx: GraphQLContext): Promise<ApiKeyEntity[]> {
    return ctx.services.apiKeys.list(ctx);
  }

  @Authorized()
  @Mutation(() => ApiKeySecret, { description: 'Creates an API key for the caller; the secret is in the answer and never shown again.' })
  createApiKey(
    @Ctx() ctx: GraphQLContext,
    @Arg('name', { description: 'What the key is for (1-100 characters), e.g. `ansible-nightly`.' }) name: string,
    @Arg('expiresAt', () => Date, { nullable: true, description: 'When the key stops working (in the future); omit for no expiry.' }) expiresAt: Date | null,
    @Arg('readOnly', () => Boolean, { nullable: true, defaultValue: false, description: 'True: the key may read but every write is refused (FORBIDDEN).' })
    readOnly: boolean | null,
  ): Promise<CreatedApiKey> {
    return ctx.services.apiKeys.create(ctx, { name, expiresAt, readOnly });
  }

  @Authorized()
  @Mutation(() => Boolean, {
    description: "Revokes an API key on every replica before their next request. Your own keys; administrators: anyone's. NOT_FOUND otherwise.",
  })
  revokeApiKey(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID, { description: 'The `id` of the key.' }) id: string): Promise<boolean> {
    return ctx.services.apiKeys.revoke(ctx, id);
  }

  @FieldResolver(() => ID, { description: 'Opaque global identifier (`node(id)`); pass it to `revokeApiKey`.' })
  id(@Root() key: ApiKeyEntity): string {
    return globalIdOf('ApiKey', key.id);
  }
}
