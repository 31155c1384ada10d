import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';

export const SCHEMA_FILE_HEADER =
  '# Generated from the type-graphql classes in src/graphql by `npm run schema`. Do not edit by hand:\n' +
  '# a test fails when this file differs from the schema the gateway serves.\n\n';

/** The committed SDL: sorted, so that diffs show real changes only. */
export function schemaToSdl(schema: GraphQLSchema): string {
  return SCHEMA_FILE_HEADER + printSchema(lexicographicSortSchema(schema)) + '\n';
}
