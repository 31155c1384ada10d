import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { createLoaders } from '../../context/loaders';
import type { IssuedToken, TokenDetails } from '../../services/auth.service';
import { requireWritable } from '../../services/authorization';
import type { GraphQLContext } from '../context';
import { AccessToken, TokenInfo } from '../types/token.types';

@Resolver()
export class TokenResolver {
  @Mutation(() => AccessToken, {
    description:
      'Exchanges a login (or email) and password for a token valid 24 hours. Users with `ldap: true` give their ' +
      'directory password (DIRECTORY_UNAVAILABLE when the directory does not answer).',
  })
  async createToken(
    @Ctx() ctx: GraphQLContext,
    @Arg('login', { description: 'Login (e.g. `jean.lapioffe`) or email of the user.' }) login: string,
    @Arg('password', { description: "The user's password; never logged." }) password: string,
  ): Promise<IssuedToken> {
    // Every mutation is refused to a read-only API key, this one included (it has no `@Authorized` to do it).
    requireWritable(ctx);
    const issued = await ctx.services.auth.createToken(login, password, ctx.clientAddress, ctx.acting);
    if (!ctx.principal) {
      // The caller has just proved who they are: the nested fields of the answer (`user { connections roles {
      // connectionCount } }`) resolve as that user, instead of failing the whole answer (and losing the token) or
      // counting nothing.
      const principal = await ctx.services.auth.loadPrincipal(issued.user.id, issued.user.tokenVersion);
      if (principal) {
        Object.assign(ctx, {
          principal,
          authFailure: null,
          loaders: createLoaders(ctx.services, principal, ctx.freshness),
          acting: { ...ctx.acting, actor: principal.login },
        });
      }
    }
    return issued;
  }

  @Authorized()
  @Query(() => TokenInfo, { description: 'Details of a token; NOT_FOUND when it is invalid, expired or revoked.' })
  tokenInfo(
    @Ctx() ctx: GraphQLContext,
    @Arg('token', { description: "The token to inspect (any user's, as returned by `createToken`)." }) token: string,
  ): Promise<TokenDetails> {
    return ctx.services.auth.tokenDetails(ctx, token);
  }
}
