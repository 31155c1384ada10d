import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { callerFaultFromDatabase } from '../db/pg-errors';
import { AppError } from '../errors/app-error';

/** graphql-js's suggestions ("Did you mean "login"?", "... the enum value "ADMIN"?"), which name schema members. */
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

/** A message without graphql-js's suggestions. */
export function withoutSuggestions(message: string): string {
  return message.replace(SUGGESTION, '');
}

/**
 * Shapes every GraphQL error: our {@link AppError}s carry their code (and safe details) in `extensions`; errors the
 * GraphQL layer raises itself (parse, validation, variable coercion) keep Apollo's code; anything else is an
 * internal fault, masked so no message, SQL or stack trace leaks, and reported through `onInternal`.
 *
 * With `hideSuggestions` (introspection off), "Did you mean ...?" is cut from every message: validation errors
 * (Apollo's `hideSchemaDetailsFromClientErrors` covers only those), variable coercion, enum values, whichever executor.
 */
export function createErrorFormatter(onInternal: (error: unknown) => void, options: { hideSuggestions?: boolean } = {}) {
  const format = shape(onInternal);
  if (!options.hideSuggestions) return format;
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const shaped = format(formatted, error);
    return { ...shaped, message: withoutSuggestions(shaped.message) };
  };
}

function shape(onInternal: (error: unknown) => void) {
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
