/**
 * Schema compatibility with the last release: the CHANGELOG promises semantic versioning of the GraphQL schema, so a
 * change that would break a client written against a released schema (a removed field, a narrowed type, a new
 * required argument...) must not land unnoticed. graphql-js's own `findBreakingChanges` is the reference
 * implementation of those rules (the same one graphql-inspector builds on), so no extra dependency is needed.
 *
 * Released schemas are kept as `schema/released/<version>.graphql`; the newest one (by semantic version) is the
 * baseline. A deliberate breaking change ships with a new major version and a new file in that folder.
 */
import { buildSchema, findBreakingChanges, type GraphQLSchema } from 'graphql';

export const RELEASED_SCHEMA_DIR = 'schema/released';

/** `0.10.0` sorts after `0.9.1`: versions compare numerically, part by part. */
export function newestRelease(fileNames: readonly string[]): string | undefined {
  const versions = fileNames.map((name) => /^(\d+)\.(\d+)\.(\d+)\.graphql$/.exec(name)).filter((match): match is RegExpExecArray => match !== null);
  versions.sort((a, b) => Number(a[1]) - Number(b[1]) || Number(a[2]) - Number(b[2]) || Number(a[3]) - Number(b[3]));
  return versions.at(-1)?.[0];
}

/** What `current` breaks for clients of `releasedSdl`, one readable line each (empty when compatible). */
export function breakingChangesSince(releasedSdl: string, current: GraphQLSchema): string[] {
  return findBreakingChanges(buildSchema(releasedSdl), current).map((change) => `${change.type}: ${change.description}`);
}
