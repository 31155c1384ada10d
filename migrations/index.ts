/** Every migration, in order. The data source takes this list, so compiled and test runs apply the same set. */
import { InitialSchema1732320000000 } from './1732320000000-InitialSchema';

export const migrations = [InitialSchema1732320000000];
