/**
 * What a resolver's selection asks for, so a loader can read only the columns that will be used. Every helper
 * answers `null` when the selection depends on run time (`@skip`/`@include`), and callers then read whole rows.
 */
import { Kind, getNamedType, isObjectType, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/** Calls `visit` for each field directly in these selection sets, fragments followed; `false` when a directive is met. */
function forEachField(info: GraphQLResolveInfo, selectionSets: readonly SelectionSetNode[], visit: (field: FieldNode) => void): boolean {
  const visited = new Set<string>();
  const walk = (selectionSet: SelectionSetNode): boolean => {
    for (const selection of selectionSet.selections) {
      if (selection.directives?.length) return false;
      if (selection.kind === Kind.FIELD) visit(selection);
      else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (!walk(selection.selectionSet)) return false;
      } else if (!visited.has(selection.name.value)) {
        visited.add(selection.name.value);
        const fragment = info.fragments[selection.name.value];
        if (!fragment || !walk(fragment.selectionSet)) return false;
      }
    }
    return true;
  };
  return selectionSets.every(walk);
}

/**
 * Every field directly under the field being resolved, fragments followed; `null` when a directive (`@skip`,
 * `@include`) makes the selection depend on run time.
 */
export function ownFields(info: GraphQLResolveInfo): FieldNode[] | null {
  const fields: FieldNode[] = [];
  return forEachField(info, ownSelections(info), (field) => fields.push(field)) ? fields : null;
}

const ownSelections = (info: GraphQLResolveInfo) => info.fieldNodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));

/** The selection sets reached from the field being resolved by following `path` (field names). */
export function selectionsAt(info: GraphQLResolveInfo, path: readonly string[]): SelectionSetNode[] | null {
  let current = ownSelections(info);
  for (const name of path) {
    const next: SelectionSetNode[] = [];
    if (!forEachField(info, current, (field) => field.name.value === name && field.selectionSet && next.push(field.selectionSet))) return null;
    current = next;
  }
  return current;
}

/** Field names directly in these selection sets (by default, the resolved field's own). */
export function fieldNamesIn(info: GraphQLResolveInfo, selectionSets: readonly SelectionSetNode[] = ownSelections(info)): Set<string> | null {
  const names = new Set<string>();
  return forEachField(info, selectionSets, (field) => names.add(field.name.value)) ? names : null;
}

/**
 * The selected fields under the field being resolved when every one of them is a plain property of its parent
 * object (no resolver of its own, so graphql reads `parent[name]`), `__typename` aside; otherwise `null`. What a
 * loader may then read instead of whole rows.
 */
export function plainSelection(info: GraphQLResolveInfo): string[] | null {
  return memoized(plainSelections, info, () => computePlainSelection(info));
}

const plainSelections = new WeakMap<readonly FieldNode[], string[] | null>();

/**
 * Per field of a document: the answer depends only on the field's nodes (and the document's fragments they come
 * with), and a field inside a list resolves once per item with the same nodes.
 */
export function memoized<T>(cache: WeakMap<readonly FieldNode[], T>, info: GraphQLResolveInfo, compute: () => T): T {
  if (cache.has(info.fieldNodes)) return cache.get(info.fieldNodes)!;
  const value = compute();
  cache.set(info.fieldNodes, value);
  return value;
}

function computePlainSelection(info: GraphQLResolveInfo): string[] | null {
  const names = fieldNamesIn(info);
  const type = getNamedType(info.returnType);
  if (!names || !isObjectType(type)) return null;
  names.delete('__typename');
  const fields = type.getFields();
  for (const name of names) if (!fields[name] || fields[name].resolve) return null;
  return [...names];
}
