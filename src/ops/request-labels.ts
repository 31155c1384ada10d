/**
 * Names for what a request did, shared by the access log and the metrics: the kind of route (GraphQL, REST or
 * anything else), the REST route template, and the GraphQL operation name as parsed from the document.
 *
 * Metric labels must have a bounded set of values, whatever clients send: REST paths become their route template
 * (`PUT /ds-api/roles/:role`, never the role itself), and GraphQL operation names are taken only from documents that
 * parsed, truncated, with a cap on how many distinct names are kept apart.
 */
import { getOperationAST, Kind, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { REST_OPERATIONS } from '../rest/routes';

export type RouteKind = 'graphql' | 'rest' | 'other';

/** Longest operation name kept as is in labels and logs. */
export const OPERATION_NAME_MAX_LENGTH = 64;
/** Distinct GraphQL operation names tracked per process; later ones are counted as `other`. */
export const MAX_DISTINCT_OPERATIONS = 200;
export const ANONYMOUS_OPERATION = 'anonymous';

/** An Express path of the route table (`/roles/:role`, relative to /ds-api) as a pattern for a request path. */
function routePattern(path: string): RegExp {
  const segments = path
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${segments.map((segment) => `\\/${segment}`).join('')}\\/?$`);
}

/**
 * REST routes of the compatibility API as templates (`/ds-api/roles/:role`), derived from the one route table
 * (src/rest/routes.ts) that the router mounts: a route added there is labelled here without a second list.
 */
const REST_ROUTES: { pattern: RegExp; template: string }[] = [...new Set(REST_OPERATIONS.map((operation) => operation.path))].map((path) => ({
  pattern: routePattern(path),
  template: `/ds-api${path}`,
}));

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** `PUT /ds-api/roles/:role` for `PUT /ds-api/roles/sales-role`; `GET /ds-api/*` for paths outside the API. */
export function restRouteName(method: string, path: string): string {
  const verb = KNOWN_METHODS.has(method) ? method : 'OTHER';
  const rest = path.replace(/^\/ds-api/, '');
  const route = REST_ROUTES.find((r) => r.pattern.test(rest));
  return `${verb} ${route ? route.template : '/ds-api/*'}`;
}

/** What a request is, from its method and full path (`req.originalUrl` without the query string). */
export function classifyRequest(method: string, path: string): { kind: RouteKind; route: string } {
  if (path === '/graphql' || path === '/graphql/') return { kind: 'graphql', route: '/graphql' };
  if (path.startsWith('/graphql/')) return { kind: 'other', route: 'playground-assets' };
  if (path === '/ds-api' || path.startsWith('/ds-api/')) return { kind: 'rest', route: restRouteName(method, path) };
  if (path === '/healthz' || path === '/readyz' || path === '/metrics') return { kind: 'other', route: path };
  return { kind: 'other', route: 'unmatched' };
}

/** Longest client-controlled string (a path, a header value) written as is into a log line. */
export const LOG_STRING_MAX_LENGTH = 256;

/** Truncates a client-controlled string before it is logged: a request must not be able to write a huge log line. */
export function truncateForLog(value: string, max = LOG_STRING_MAX_LENGTH): string {
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}

/** Truncates a name to {@link OPERATION_NAME_MAX_LENGTH} characters. */
export function truncateOperationName(name: string): string {
  return name.length > OPERATION_NAME_MAX_LENGTH ? `${name.slice(0, OPERATION_NAME_MAX_LENGTH - 1)}…` : name;
}

/**
 * The operation a GraphQL request runs, from its parsed document: the one named by `operationName` when given, else
 * the only (or first) operation of the document. `null` when `operationName` names no operation of the document.
 */
export function selectedOperation(document: DocumentNode, operationName?: string | null): OperationDefinitionNode | null {
  const selected = getOperationAST(document, operationName ?? undefined);
  if (selected || operationName) return selected ?? null;
  return (document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode | undefined) ?? null;
}

/** The name to show for a parsed document: the selected operation's name, truncated, or `anonymous`. */
export function operationNameOf(document: DocumentNode, operationName?: string | null): string {
  const name = selectedOperation(document, operationName)?.name?.value;
  return name ? truncateOperationName(name) : ANONYMOUS_OPERATION;
}

/** Keeps at most `max` distinct values apart; later newcomers become `other`. */
export class BoundedLabels {
  private readonly seen = new Set<string>();

  constructor(private readonly max: number = MAX_DISTINCT_OPERATIONS) {}

  label(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max) return 'other';
    this.seen.add(value);
    return value;
  }
}
