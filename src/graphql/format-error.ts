import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { callerFaultFromDatabase } from '../db/pg-errors';
import { AppError } from '../errors/app-error';

/**
 * Shapes every GraphQL error: our {@link AppError}s carry their code (and safe details) in `extensions`; errors the
 * GraphQL layer raises itself (parse, validation, variable coercion) keep Apollo's code; anything else is an
 * internal fault, masked so no message, SQL or stack trace leaks, and reported through `onInternal`.
 */
export function createErrorFormatter(onInternal: (error: unknown) => void) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const unwrapped = unwrapResolverError(error);
    const original = callerFaultFromDatabase(unwrapped) ?? unwrapped;
    if (original instanceof AppError) {
      return {
        message: original.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { ...original.details, code: original.code },
      };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR' && original === error) {
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    onInternal(original);
    return {
      message: 'Internal server error',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}
