/** Plans as `EXPLAIN (FORMAT JSON)` gives them, for tests that hold a statement to its plan (not to a timing). */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Subplan Name'?: string;
  /** With ANALYZE: how many times the node ran (0: never executed). */
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}

/** Every node of a plan, the root first. */
export const nodesOf = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodesOf)];

/** The nodes of the plan in one row of `EXPLAIN (FORMAT JSON)`'s answer. */
export function planNodes(row: Record<string, unknown>): PlanNode[] {
  return nodesOf((row['QUERY PLAN'] as { Plan: PlanNode }[])[0]!.Plan);
}
