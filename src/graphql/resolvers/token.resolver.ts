import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { IssuedToken, TokenDetails } from '../../services/auth.service';
import type { GraphQLContext } from '../context';
import { AccessToken, TokenInfo } from '../types/token.types';

@Resolver()
export class TokenResolver {
  @Mutation(() => AccessToken, { description: 'Exchanges a login (or email) and password for a token valid 24 hours.' })
  createToken(@Ctx() ctx: GraphQLContext, @Arg('login') login: string, @Arg('password') password: string): Promise<IssuedToken> {
    return ctx.services.auth.createToken(login, password);
  }

  @Authorized()
  @Query(() => TokenInfo, { description: 'Details of a token; NOT_FOUND when it is invalid, expired or revoked.' })
  tokenInfo(@Ctx() ctx: GraphQLContext, @Arg('token') token: string): Promise<TokenDetails> {
    return ctx.services.auth.tokenDetails(ctx, token);
  }
}
