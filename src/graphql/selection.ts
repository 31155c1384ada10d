import { Kind, getNamedType, isObjectType, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/**
 * The names of the fields selected under the field being resolved, fragments followed; `null` when the answer
 * depends on run-time conditions (`@skip`/`@include` anywhere in the selection), so callers fall back to their
 * general path.
 */
export function selectedFieldNames(info: GraphQLResolveInfo): Set<string> | null {
  const names = new Set<string>();
  const visited = new Set<string>();
  const walk = (selectionSet: SelectionSetNode | undefined): boolean => {
    for (const selection of selectionSet?.selections ?? []) {
      if (selection.directives?.length) return false;
      if (selection.kind === Kind.FIELD) names.add(selection.name.value);
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
  for (const node of info.fieldNodes) if (!walk(node.selectionSet)) return null;
  return names;
}

/**
 * The selected fields under the field being resolved when every one of them is a plain property of its parent
 * object (no resolver of its own, so graphql reads `parent[name]`), `__typename` aside; otherwise `null`. What a
 * loader may then read instead of whole rows.
 */
export function plainSelection(info: GraphQLResolveInfo): string[] | null {
  const names = selectedFieldNames(info);
  const type = getNamedType(info.returnType);
  if (!names || !isObjectType(type)) return null;
  names.delete('__typename');
  const fields = type.getFields();
  for (const name of names) if (!fields[name] || fields[name].resolve) return null;
  return [...names];
}
