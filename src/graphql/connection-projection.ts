/**
 * Which connection columns a page's selection needs, so a dashboard page (`nodes { name host port connected tags }`)
 * reads 7 of the 25 columns of each row: less to send, parse and keep per request.
 */
import { isObjectType, type FieldNode, type GraphQLResolveInfo } from 'graphql';
import type { EntityRowMapper } from '../db/row-mapper';
import type { ConnectionEntity } from '../entities/connection.entity';
import type { ConnectionPageResult } from '../services/connection-page';
import { fieldNamesIn, memoized, selectionsAt } from './selection';

/**
 * Entity properties read by each `Connection` field that has a resolver of its own (connection.resolver.ts). A
 * resolver missing from this table makes every page that selects it read whole rows: keep them in step.
 */
export const CONNECTION_RESOLVER_PROPS: Readonly<Record<string, readonly string[]>> = {
  id: ['name'],
  user: ['username'],
  tags: ['userTags', 'host', 'name', 'pgVersion'],
  tagString: ['userTags'],
  lastProbeError: ['lastProbeError'],
  lastProbeAt: ['lastProbeAt'],
  // src/graphql/resolvers/governance.resolver.ts
  roles: ['id'],
  visibleTo: ['id'],
};

/**
 * The properties the `nodes` and `edges { node }` of the page being resolved read (always with `id` and `name`,
 * which paging and cursors use), or `undefined` for whole rows: a directive, an unknown field or a resolver missing
 * from {@link CONNECTION_RESOLVER_PROPS}.
 */
export function connectionPageProps(info: GraphQLResolveInfo, mapper: EntityRowMapper<ConnectionEntity>): string[] | undefined {
  return memoized(pageProps, info, () => computePageProps(info, mapper));
}

const pageProps = new WeakMap<readonly FieldNode[], string[] | undefined>();

function computePageProps(info: GraphQLResolveInfo, mapper: EntityRowMapper<ConnectionEntity>): string[] | undefined {
  const nodes = selectionsAt(info, ['nodes']);
  const edgeNodes = selectionsAt(info, ['edges', 'node']);
  const names = nodes && edgeNodes && fieldNamesIn(info, [...nodes, ...edgeNodes]);
  const type = info.schema.getType('Connection');
  if (!names || !isObjectType(type)) return undefined;
  names.delete('__typename');
  const props = new Set(['id', 'name']);
  const fields = type.getFields();
  for (const name of names) {
    const field = fields[name];
    if (!field) return undefined;
    const read = field.resolve ? CONNECTION_RESOLVER_PROPS[name] : [name];
    if (!read) return undefined;
    for (const prop of read) props.add(prop);
  }
  return mapper.isSubset(props) ? [...props].sort() : undefined;
}

/** The page, set to read only what this selection needs. */
export function projected<P extends ConnectionPageResult | Promise<ConnectionPageResult>>(
  page: P,
  info: GraphQLResolveInfo,
  mapper: EntityRowMapper<ConnectionEntity>,
): P {
  const props = connectionPageProps(info, mapper);
  if (page instanceof Promise) return page.then((p) => p.reading(props)) as P;
  return (page as ConnectionPageResult).reading(props) as P;
}
