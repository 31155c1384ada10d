import { compareCodePoints } from '../../access/tags';
import { badInput } from '../../errors/app-error';

/**
 * Part of one tag key's values, sorted as the tag summary sorts them (`COLLATE "C"`: UTF-8 bytes, that is code
 * points): the `first` that come after the value `after` (all when `first` is null).
 */
export function pageOfValues<V extends { value: string }>(values: readonly V[], first?: number | null, after?: string | null): readonly V[] {
  if (first != null && (!Number.isInteger(first) || first < 0)) throw badInput('`first` must be zero or more', 'first');
  let start = 0;
  if (after != null) {
    // Values are unique and sorted: binary search for the first one after `after`.
    let high = values.length;
    while (start < high) {
      const middle = (start + high) >>> 1;
      if (compareCodePoints(values[middle]!.value, after) <= 0) start = middle + 1;
      else high = middle;
    }
  }
  return first == null ? values.slice(start) : values.slice(start, start + first);
}
