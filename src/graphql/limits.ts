/**
 * GraphQL request limits, enforced before a request reaches Apollo: no context is built, no token is checked, no
 * resolver runs and no SQL is sent for a refused request. Each refusal has its own `extensions.code`:
 *
 * | check | code | setting |
 * | --- | --- | --- |
 * | a JSON array of operations in one request | `BATCHING_DISABLED` | always (Apollo's `allowBatchedHttpRequests` stays off) |
 * | query document size in bytes, then lexical tokens | `DOCUMENT_TOO_LARGE` | `maxDocumentBytes`, `maxTokens` |
 * | field nesting | `QUERY_TOO_DEEP` | `maxDepth` |
 * | aliases | `TOO_MANY_ALIASES` | `maxAliases` |
 * | directives | `TOO_MANY_DIRECTIVES` | `maxDirectives` |
 * | estimated cost, lists weighted by `first` | `QUERY_TOO_COSTLY` | `maxCost` |
 *
 * The checks are ordered from cheapest to dearest, so a hostile document costs at most a bounded parse: bytes are
 * counted before parsing, and graphql-js stops parsing at `maxTokens`.
 */
// graphql-armor (Escape, maintained): the depth, alias and directive counters, fragment-aware and cycle-safe.
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import type { Response } from 'express';
import {
  GraphQLError,
  Kind,
  getNamedType,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  getNullableType,
  getOperationAST,
  isLeafType,
  isListType,
  isObjectType,
  parse,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
// graphql-query-complexity (maintained, also what type-graphql builds on): walks the operation with variables,
// fragments and @skip/@include applied; the weights are ours (costEstimator below), since armor's cost rule cannot
// read a `first` argument.
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
// lru-cache (isaacs, the cache Apollo Server itself uses): a size-bounded cache of per-document verdicts.
import { LRUCache } from 'lru-cache';
import { AppError, httpStatusOf, type ErrorCode } from '../errors/app-error';
import { truncateOperationName } from '../ops/request-labels';
import type { GraphQLLimits } from '../security-config';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../services/pagination';

/** Assumed length of a list that has no `first` argument (roles, users, a user's roles, tags ...). */
export const LIST_COST_FACTOR = 10;

/**
 * Cost of one field, given the cost of its selection (`childComplexity`):
 * - a scalar or enum (or a list of them): 1;
 * - a paged field (it has a `first` argument): 1 + first × selection, `first` as the service will apply it
 *   (default 50, capped at 500), so `roles { connections { … } }` costs 10 × 50 × its selection;
 * - `nodes` / `edges` of a page: 1 + selection (their length is the page's `first`, already counted);
 * - any other list: 1 + {@link LIST_COST_FACTOR} × selection;
 * - an object: 1 + selection. Introspection fields are never multiplied.
 */
export const costEstimator: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
  if (isLeafType(getNamedType(field.type))) return 1;
  if (field.name.startsWith('__') || type.name.startsWith('__')) return 1 + childComplexity;
  if (field.args.some((arg) => arg.name === 'first')) {
    // `last` pages as many items as `first` would (and `first` keeps its default of 50 when only `last` is sent).
    const size = typeof args.last === 'number' ? args.last : typeof args.first === 'number' ? args.first : DEFAULT_PAGE_SIZE;
    return 1 + Math.min(Math.max(size, 1), MAX_PAGE_SIZE) * childComplexity;
  }
  // `nodes(ids)`: one object per id.
  if (Array.isArray(args.ids)) return 1 + Math.min(Math.max(args.ids.length, 1), MAX_PAGE_SIZE) * childComplexity;
  if (isListType(getNullableType(field.type))) {
    const insidePage = isObjectType(type) && 'pageInfo' in type.getFields();
    return 1 + (insidePage ? 1 : LIST_COST_FACTOR) * childComplexity;
  }
  return 1 + childComplexity;
};

/**
 * How many fields the operation selects once every fragment spread is expanded, computed once per fragment: linear in
 * the document however the fragments nest. Every field costs at least 1, so a document expanding to more fields than
 * the cost limit is refused without walking it (a "fragment bomb" of 24 fragments each spreading the previous one
 * twice is 16 million fields).
 */
export function expandedFieldCount(document: DocumentNode, operation: OperationDefinitionNode): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const memo = new Map<string, number>();
  const count = (selectionSet: SelectionSetNode | undefined): number => {
    let total = 0;
    for (const selection of selectionSet?.selections ?? []) {
      if (selection.kind === Kind.FIELD) total += 1 + count(selection.selectionSet);
      else if (selection.kind === Kind.INLINE_FRAGMENT) total += count(selection.selectionSet);
      else {
        const name = selection.name.value;
        if (!memo.has(name)) {
          memo.set(name, 0); // a cycle counts 0 here; validation refuses it anyway
          memo.set(name, count(fragments.get(name)?.selectionSet));
        }
        total += memo.get(name)!;
      }
    }
    return total;
  };
  return count(operation.selectionSet);
}

/** The operation Apollo will run, alone with the fragments: what the cost is computed on. */
function selectedOperation(document: DocumentNode, operationName: string | undefined): DocumentNode | null {
  const operation = getOperationAST(document, operationName);
  if (!operation) return null;
  return { ...document, definitions: document.definitions.filter((d) => d.kind !== Kind.OPERATION_DEFINITION || d === operation) };
}

/** The estimated cost of a parsed document (for tests and tooling); `null` when it names no runnable operation. */
export function estimateCost(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> = {}, operationName?: string): number | null {
  const query = selectedOperation(document, operationName);
  if (!query) return null;
  // The node bound is a backstop: checkRequestLimits refuses documents expanding past the cost limit first.
  return getComplexity({ schema, query, variables, estimators: [costEstimator], maxQueryNodes: 1_000_000 });
}

function noSuchOperation(operationName: string | undefined): AppError {
  return operationName === undefined
    ? new AppError('BAD_USER_INPUT', 'The document has several operations: say which one to run with operationName')
    : new AppError('BAD_USER_INPUT', `The document has no operation named ${JSON.stringify(truncateOperationName(operationName))}`, { field: 'operationName' });
}

export interface LimitedRequest {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

const refusal = (code: ErrorCode, message: string, limit: number, found?: number) =>
  new AppError(code, message, found === undefined ? { limit } : { limit, found });

function variablesOf(raw: unknown): Record<string, unknown> {
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch {
      return {};
    }
  }
  return raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
}

/**
 * What a document's checks found before its variables are known: a refusal (size, tokens, depth, aliases,
 * directives), or the parsed document. Pure in (schema, limits, source), so it is cached per source text.
 */
interface DocumentVerdict {
  refusal: AppError | null;
  /** `null` when the source does not parse: Apollo reports the syntax error in its usual way. */
  document: DocumentNode | null;
  /** Per operation name ('' for none): the refusal found without variables, and the cost when no variable can change it. */
  operations: Map<string, { refusal: AppError | null; operation: OperationDefinitionNode | null; fixedCost?: number | null }>;
}

function checkDocument(schema: GraphQLSchema, limits: GraphQLLimits, source: string): DocumentVerdict {
  const verdict = (refusal: AppError | null, document: DocumentNode | null = null): DocumentVerdict => ({ refusal, document, operations: new Map() });
  const bytes = Buffer.byteLength(source, 'utf8');
  if (bytes > limits.maxDocumentBytes) {
    return verdict(
      refusal('DOCUMENT_TOO_LARGE', `The query document is ${bytes} bytes; the limit is ${limits.maxDocumentBytes}`, limits.maxDocumentBytes, bytes),
    );
  }

  let document: DocumentNode;
  try {
    document = parse(source, { maxTokens: limits.maxTokens, noLocation: true });
  } catch (error) {
    if (error instanceof GraphQLError && /contains more th(?:an|at) \d+ tokens/.test(error.message)) {
      return verdict(refusal('DOCUMENT_TOO_LARGE', `The query document has more than ${limits.maxTokens} tokens`, limits.maxTokens));
    }
    return verdict(null);
  }

  // Counted by graphql-armor's rules, collected through their callbacks instead of thrown.
  const found: { code: ErrorCode; message: string; limit: number; found?: number }[] = [];
  const collect = (code: ErrorCode, what: string, limit: number) => (_ctx: unknown, error: GraphQLError) => {
    const n = /found (\d+)/.exec(error.message);
    const count = n ? Number(n[1]) : undefined;
    found.push({ code, limit, found: count, message: `${what}: ${count ?? 'more than ' + limit}; the limit is ${limit}` });
  };
  const common = { propagateOnRejection: false, exposeLimits: true };
  const rules: ValidationRule[] = [
    maxDepthRule({
      ...common,
      n: limits.maxDepth,
      flattenFragments: true,
      ignoreIntrospection: true,
      onReject: [collect('QUERY_TOO_DEEP', 'The query is too deep: fields nested', limits.maxDepth)],
    }) as ValidationRule,
    maxAliasesRule({ ...common, n: limits.maxAliases, onReject: [collect('TOO_MANY_ALIASES', 'Too many aliases', limits.maxAliases)] }) as ValidationRule,
    maxDirectivesRule({
      ...common,
      n: limits.maxDirectives,
      onReject: [collect('TOO_MANY_DIRECTIVES', 'Too many directives', limits.maxDirectives)],
    }) as ValidationRule,
  ];
  validate(schema, document, rules);
  const first = found[0];
  return verdict(first ? refusal(first.code, first.message, first.limit, first.found) : null, document);
}

function checkOperation(schema: GraphQLSchema, limits: GraphQLLimits, verdict: DocumentVerdict, operationName: string | undefined) {
  const key = operationName ?? '';
  const known = verdict.operations.get(key);
  if (known) return known;
  const document = verdict.document!;
  const operation = getOperationAST(document, operationName) ?? null;
  let checked: { refusal: AppError | null; operation: OperationDefinitionNode | null; fixedCost?: number | null } = { refusal: null, operation };
  if (operation) {
    const fields = expandedFieldCount(document, operation);
    if (fields > limits.maxCost) {
      checked.refusal = refusal(
        'QUERY_TOO_COSTLY',
        `The query selects ${Number.isFinite(fields) && fields < 1e15 ? fields : 'too many'} fields once its fragments are expanded; the cost limit is ${limits.maxCost}`,
        limits.maxCost,
      );
    } else if (!operation.variableDefinitions?.length) {
      // No variable can change a `first` or an @include: the cost is the document's own.
      checked = { ...checked, fixedCost: costOrNull(schema, document, {}, operationName) };
    }
  }
  // Bounded: a document names at most a handful of operations, but a client could send many names for one document.
  if (verdict.operations.size < 16) verdict.operations.set(key, checked);
  return checked;
}

/** The estimated cost, or `null` when the variables or arguments are invalid (Apollo then refuses with its own message). */
function costOrNull(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>, operationName: string | undefined): number | null {
  try {
    return estimateCost(schema, document, variables, operationName);
  } catch {
    return null;
  }
}

/**
 * Checks requests against the limits: each returns the refusal, or `null` to let Apollo go on. Anything that is not a
 * limit problem (no query, a syntax error, unknown fields, bad variables) is left to Apollo, which reports it in its
 * usual way and never runs such a request.
 *
 * The request must be the one Apollo runs, with a persisted document already resolved to its text: see
 * src/graphql/request-gate.ts, the only caller on the HTTP path.
 *
 * Everything that does not depend on variables (parsing, the armor rules, the expanded field count, and the cost of
 * an operation without variables) is computed once per document text and kept in a bounded LRU cache: clients send
 * the same few documents over and over, and these checks were a measurable share of a dashboard request.
 */
export class RequestLimiter {
  private readonly verdicts: LRUCache<string, DocumentVerdict>;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly limits: GraphQLLimits,
    cacheBytes = 8 * 1024 * 1024,
  ) {
    // Sized by the document text (the parsed tree is a small multiple of it); documents are at most maxDocumentBytes.
    this.verdicts = new LRUCache({ maxSize: cacheBytes, sizeCalculation: (_v, source) => Math.max(1, source.length * 4) });
  }

  /** Documents whose verdict is cached now, and their size as counted against the bound (for tests and metrics). */
  get cacheSize(): { entries: number; size: number; maxSize: number } {
    return { entries: this.verdicts.size, size: this.verdicts.calculatedSize, maxSize: this.verdicts.maxSize };
  }

  check(request: LimitedRequest): AppError | null {
    const source = request.query;
    if (typeof source !== 'string') return null;
    let verdict = this.verdicts.get(source);
    if (!verdict) {
      verdict = checkDocument(this.schema, this.limits, source);
      this.verdicts.set(source, verdict);
    }
    if (verdict.refusal || !verdict.document) return verdict.refusal;

    const operationName = typeof request.operationName === 'string' ? request.operationName : undefined;
    const operation = checkOperation(this.schema, this.limits, verdict, operationName);
    if (operation.refusal) return operation.refusal;
    // Refused here, for both executors: graphql-js would report it as an execution error (a 200 with a masked
    // internal error), and the compiled executor has no operation to compile.
    if (!operation.operation) return noSuchOperation(operationName);
    const cost =
      operation.fixedCost !== undefined ? operation.fixedCost : costOrNull(this.schema, verdict.document, variablesOf(request.variables), operationName);
    if (cost !== null && cost > this.limits.maxCost) {
      return refusal(
        'QUERY_TOO_COSTLY',
        `The query is too costly: estimated cost ${cost}, the limit is ${this.limits.maxCost}. Ask for smaller pages (first) or fewer nested lists`,
        this.limits.maxCost,
        cost,
      );
    }
    return null;
  }
}

/** One request against the limits, without a cache (tests and tooling). */
export function checkRequestLimits(schema: GraphQLSchema, limits: GraphQLLimits, request: LimitedRequest): AppError | null {
  return new RequestLimiter(schema, limits).check(request);
}

/** Writes a refusal the way GraphQL answers look, with the status of the one code table. */
export function sendGraphQLRefusal(res: Response, error: AppError): void {
  res.status(httpStatusOf(error.code)).json({ errors: [{ message: error.message, extensions: { ...error.details, code: error.code } }] });
}
