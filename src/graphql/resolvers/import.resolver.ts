import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { ImportResult } from '../../services/connections';
import { ADMIN } from '../auth-checker';
import type { GraphQLContext } from '../context';
import { ImportConnectionInput, ImportConnectionsResult } from '../types/import.types';

@Resolver()
export class ImportResolver {
  @Authorized(ADMIN)
  @Mutation(() => ImportConnectionsResult, {
    description:
      'Creates many connections in one transaction: every item is validated first and all problems are reported together ' +
      '(BAD_USER_INPUT with `extensions.problems`: index, name, message); nothing is written unless every item is valid. ' +
      'Probes run in the background after the commit.',
  })
  importConnections(
    @Ctx() ctx: GraphQLContext,
    @Arg('inputs', () => [ImportConnectionInput], { description: 'At most 100000 connections.' }) inputs: ImportConnectionInput[],
    @Arg('probe', () => Boolean, { nullable: true, defaultValue: true, description: 'Probe the new connections in the background (default true).' })
    probe: boolean | null,
  ): Promise<ImportResult> {
    return ctx.services.connections.importMany(
      ctx,
      inputs.map(({ name, ...input }) => ({ name, input })),
      { probe: probe !== false },
    );
  }
}
