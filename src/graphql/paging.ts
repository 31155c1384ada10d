/**
 * Paging arguments of a connection list as the service takes them. `first` has a default in the schema (`Int = 50`,
 * fixed by the contract), so graphql-js hands 50 over when the client sent only `last`: here `first` counts only
 * when the document (or a variable it names) gave it, so `last: 10` alone pages backward and `first` with `last`
 * stays a clear error.
 */
import { Kind, type GraphQLResolveInfo } from 'graphql';
import type { PagingInput } from '../services/connections/order';
import type { ConnectionPagingArgs } from './types/relay.types';

/** Whether the field being resolved was given argument `name` (a literal, or a variable with a value). */
export function argumentGiven(info: GraphQLResolveInfo, name: string): boolean {
  return info.fieldNodes.some((node) =>
    (node.arguments ?? []).some((arg) => {
      if (arg.name.value !== name) return false;
      if (arg.value.kind !== Kind.VARIABLE) return arg.value.kind !== Kind.NULL;
      const value = (info.variableValues as Record<string, unknown>)[arg.value.name.value];
      return value !== undefined && value !== null;
    }),
  );
}

export function pagingInput(args: ConnectionPagingArgs, info: GraphQLResolveInfo): PagingInput {
  const first = args.last != null && !argumentGiven(info, 'first') ? null : args.first;
  return {
    first,
    after: args.after,
    last: args.last,
    before: args.before,
    orderBy: args.orderBy ? { field: args.orderBy.field, direction: args.orderBy.direction ?? null } : null,
  };
}
