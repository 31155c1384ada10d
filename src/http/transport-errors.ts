/**
 * The HTTP transport, shared by the GraphQL and REST adapters: the bound on request bodies, and the errors Express and
 * body-parser raise while reading a request (before any adapter ran), as {@link AppError}s of the one taxonomy.
 */
import { AppError } from '../errors/app-error';

/** The documented bound on request bodies, GraphQL and REST alike (docs/rest.md): 1 MiB. */
export const BODY_LIMIT_BYTES = 1024 * 1024;
const BODY_LIMIT_TEXT = '1 MiB';

/** Messages for the errors Express and body-parser raise, by their `type`. */
const MESSAGES: Record<string, string> = {
  'entity.too.large': `Request body is larger than ${BODY_LIMIT_TEXT}`,
  'entity.parse.failed': 'Malformed JSON body',
  'request.aborted': 'Request body was not received completely',
  'request.size.invalid': 'Request body size does not match its Content-Length',
  'encoding.unsupported': 'Unsupported Content-Encoding: send the body uncompressed, gzip, deflate or br',
  'charset.unsupported': 'Unsupported charset: send the body in UTF-8',
  'parameters.too.many': 'Too many parameters',
};

/**
 * A client error Express or body-parser raised while reading the request (a 4xx `status` or `statusCode`), as an
 * AppError: PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE or BAD_REQUEST. `null` for anything else (an internal fault).
 */
export function transportError(error: unknown): AppError | null {
  if (error === null || typeof error !== 'object') return null;
  const { status: given, statusCode, type } = error as { status?: unknown; statusCode?: unknown; type?: unknown };
  const status = given ?? statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return null;
  let message = typeof type === 'string' ? MESSAGES[type] : undefined;
  // Express reports a path segment it cannot percent-decode as a 400 URIError.
  if (!message && error instanceof URIError) message = 'Malformed URL: a path segment is not valid percent-encoded UTF-8';
  if (status === 413) return new AppError('PAYLOAD_TOO_LARGE', message ?? MESSAGES['entity.too.large']!);
  if (status === 415) return new AppError('UNSUPPORTED_MEDIA_TYPE', message ?? 'Unsupported Content-Type or Content-Encoding');
  return new AppError('BAD_REQUEST', message ?? 'Bad request');
}
