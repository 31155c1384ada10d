/**
 * The one authentication step, shared by the GraphQL and REST adapters: reads the token from
 * `Authorization: Bearer <token>` or the vendor's `user-token` header and resolves the caller. An API key secret
 * (`dsk_…`) is accepted in the same places as a token.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { AppError } from '../errors/app-error';
import type { Services } from '../services';
import { looksLikeApiKey } from '../services/api-key.service';
import { createRequestContext, type RequestContext } from './request-context';

export function tokenFromHeaders(headers: IncomingHttpHeaders): string | null {
  const vendor = headers['user-token'];
  if (typeof vendor === 'string' && vendor.trim() !== '') return vendor.trim();
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1]!;
  }
  return null;
}

/**
 * Builds the request context. Bad credentials do not fail here (some operations, such as `createToken`, need none):
 * the reason is kept in `authFailure` and reported by the first operation that needs a caller.
 */
export async function authenticate(services: Services, headers: IncomingHttpHeaders, requestId?: string, clientAddress?: string): Promise<RequestContext> {
  // Taken before the caller is resolved: the barrier that lookup may run then also serves the request's cached counts.
  const arrival = services.changeFeed.mark();
  const token = tokenFromHeaders(headers);
  if (token === null) return createRequestContext(services, null, null, requestId, clientAddress, arrival);
  try {
    const principal = looksLikeApiKey(token)
      ? await services.apiKeys.principalFromSecret(token, clientAddress, arrival)
      : await services.auth.principalFromToken(token);
    return createRequestContext(services, principal, null, requestId, clientAddress, arrival);
  } catch (error) {
    if (error instanceof AppError) return createRequestContext(services, null, error, requestId, clientAddress, arrival);
    throw error;
  }
}
