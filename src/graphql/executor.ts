/**
 * How GraphQL operations are executed: read queries a client sends repeatedly run as code compiled for that document
 * by graphql-jit; everything else runs on graphql-js's `execute`.
 *
 * Why: a dashboard page is about 1,500 fields (50 connections with their tags). graphql-js walks the document for
 * each of them on every request (argument coercion, type checks, completion), which was the largest share of the
 * gateway's own CPU per request. graphql-jit (Zalando, maintained) compiles the walk once per document.
 *
 * What stays on graphql-js, on purpose:
 * - mutations (rare, and `createToken` resolves its nested fields under the new caller);
 * - introspection (`__schema`, `__type`: IDEs and codegen, not a hot path);
 * - a document's first `minUses - 1` runs: compiling costs more than running once, and a client sending a stream of
 *   unique documents should not make the gateway compile each one.
 * Variables are coerced by graphql-js before a compiled query runs, so a bad variable gives exactly graphql-js's
 * error (Apollo recognises those as BAD_USER_INPUT).
 *
 * Apollo Server 4+ takes a custom executor through its `gateway` option (its migration guide's advice for the removed
 * `executor` option); the gateway here only hands Apollo the schema and this executor.
 */
import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import {
  GraphQLError,
  Kind,
  execute,
  getVariableValues,
  printSchema,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { LRUCache } from 'lru-cache';

/** Documents whose use counts and compiled code are kept, by default (GRAPHQL_JIT keeps at most this many). */
export const DEFAULT_COMPILED_DOCUMENTS = 1000;

export interface ExecutorOptions {
  /** Compile read queries with graphql-jit (GRAPHQL_JIT). */
  jit: boolean;
  /** Runs of one document before it is compiled (GRAPHQL_JIT_MIN_USES, at least 1). */
  minUses: number;
  /** Told of each operation compiled (for the debug log and tests). */
  onCompile?: (operationName: string | null) => void;
  /** Most documents whose state (use count, compiled code) is kept; the least recently used go first. */
  maxDocuments?: number;
}

/** One operation to run: a validated document, the operation Apollo (or the known-query lane) resolved in it. */
export interface OperationToRun {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  operationName: string | null;
  context: object;
  variables: Record<string, unknown> | undefined;
}

/**
 * The executor, with the number of documents whose state it keeps (for tests and metrics), and `run`: the same
 * execution for a caller outside Apollo's pipeline (src/graphql/known-queries.ts).
 */
export type Executor = GatewayExecutor & { readonly cachedDocuments: number; run(operation: OperationToRun): Promise<ExecutionResult> };

/** Where a context carries a result already computed for its request (see {@link handOverResult}). */
const HANDED_OVER = Symbol('ds-gateway.handedOverResult');

interface HandedOver {
  source: string;
  operationName: string | null;
  result: Promise<ExecutionResult>;
}

/**
 * Gives Apollo's pipeline the result the known-query lane computed for this very request (src/graphql/known-queries.ts):
 * Apollo then answers it (error formatting, status, plugins) without running the operation a second time. Enumerable,
 * so it survives the shallow copy Apollo makes of the context.
 */
export function handOverResult(context: object, handed: HandedOver): void {
  Object.defineProperty(context, HANDED_OVER, { value: handed, enumerable: true, configurable: true });
}

interface DocumentState {
  uses: number;
  /** `null` once compiling failed or was refused: this operation stays on graphql-js. */
  compiled?: CompiledQuery | null;
}

/** Whether a selection asks for schema introspection, fragments included. */
function introspects(document: DocumentNode, selectionSet: SelectionSetNode, seen = new Set<string>()): boolean {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value === '__schema' || selection.name.value === '__type') return true;
      if (selection.selectionSet && introspects(document, selection.selectionSet, seen)) return true;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      if (introspects(document, selection.selectionSet, seen)) return true;
    } else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value);
      if (fragment && fragment.kind === Kind.FRAGMENT_DEFINITION && introspects(document, fragment.selectionSet, seen)) return true;
    }
  }
  return false;
}

export function createExecutor(schema: GraphQLSchema, options: ExecutorOptions): Executor {
  // Keyed by the parsed document, which Apollo's document cache hands out again for the same query text. Bounded in
  // count: compiled code is far larger than the document, and a client can send any number of distinct documents.
  const states = new LRUCache<DocumentNode, Map<string, DocumentState>>({ max: Math.max(1, options.maxDocuments ?? DEFAULT_COMPILED_DOCUMENTS) });
  const minUses = Math.max(1, Math.floor(options.minUses));

  const compiledFor = (document: DocumentNode, operation: OperationDefinitionNode, operationName: string | null): CompiledQuery | null => {
    if (!options.jit || operation.operation !== 'query') return null;
    let perOperation = states.get(document);
    if (!perOperation) states.set(document, (perOperation = new Map()));
    const key = operationName ?? '';
    let state = perOperation.get(key);
    if (!state) perOperation.set(key, (state = { uses: 0 }));
    if (state.compiled !== undefined) return state.compiled;
    state.uses += 1;
    if (state.uses < minUses) return null;
    if (introspects(document, operation.selectionSet)) {
      state.compiled = null;
      return null;
    }
    let compiled: CompiledQuery | ExecutionResult | null;
    try {
      compiled = compileQuery(schema, document, operationName ?? undefined);
    } catch {
      compiled = null; // a construct the compiler does not handle: graphql-js runs it, as before
    }
    state.compiled = compiled && isCompiledQuery(compiled) ? compiled : null;
    if (state.compiled) options.onCompile?.(operationName);
    return state.compiled;
  };

  const run = async ({ document, operation, operationName, context, variables }: OperationToRun): Promise<ExecutionResult> => {
    const compiled = compiledFor(document, operation, operationName);
    if (!compiled) {
      return execute({ schema, document, operationName, variableValues: variables, contextValue: context });
    }
    // Only checked here: the compiled query coerces the raw values itself (coercing twice would, for one, turn an
    // enum's internal value back into an input it does not accept).
    const checked = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {});
    if (checked.errors) return { errors: checked.errors };
    const result = await compiled.query(undefined, context, variables ?? {});
    return result.errors ? { ...result, errors: result.errors.map(asGraphQLJsError) } : result;
  };

  const executor: GatewayExecutor = async (requestContext): Promise<ExecutionResult> => {
    const { document, operation, operationName, source } = requestContext;
    const context = requestContext.context as object;
    const handed = (context as { [HANDED_OVER]?: HandedOver })[HANDED_OVER];
    if (handed && handed.source === source && handed.operationName === operationName) return handed.result;
    // `operationName` names no operation of the document: a caller's mistake, whichever executor would run it (the
    // request gate refuses it first; this keeps the executor safe on its own).
    if (!operation) {
      return { errors: [new GraphQLError('The document has no such operation: check operationName', { extensions: { code: 'BAD_USER_INPUT' } })] };
    }
    return run({ document, operation, operationName, context, variables: requestContext.request.variables });
  };
  Object.defineProperty(executor, 'run', { value: run });
  return Object.defineProperty(executor, 'cachedDocuments', { get: () => states.size }) as Executor;
}

/**
 * graphql-jit's errors pass `instanceof GraphQLError` but leave `extensions` undefined when empty, which Apollo's
 * error formatting does not expect (it reads `extensions.code`): rebuilt as graphql-js errors with the same message,
 * locations, path, original error and extensions.
 */
function asGraphQLJsError(error: GraphQLError): GraphQLError {
  const rebuilt = new GraphQLError(error.message, {
    path: error.path,
    originalError: error.originalError ?? undefined,
    extensions: error.extensions ?? undefined,
  });
  (rebuilt as { locations?: GraphQLError['locations'] }).locations = error.locations;
  return rebuilt;
}

/** The `gateway` Apollo Server is given: a fixed schema and an executor made by {@link createExecutor}. */
export function executionGateway(schema: GraphQLSchema, executor: GatewayExecutor): GatewayInterface {
  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => {};
    },
    load: async () => ({ executor }),
    stop: async () => {},
  };
}
