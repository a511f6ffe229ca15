import { formatFilter } from './format-filter.js';
import type { Plan } from './planner.js';

/** A one-paragraph, human-readable description of a plan (Explain's description); notReady: BUILDING indexes that would serve it. */
export function describePlan(plan: Plan, requireIndex: boolean, notReady: readonly string[] = []): string {
  const parts: string[] = [];
  if (plan.scan) {
    parts.push('scan: list every document of the collection and check the filter on each');
    if (notReady.length > 0) {
      parts.push(`index ${notReady.join(', ')} would serve it but is not READY (being built: its candidates could be incomplete)`);
      if (requireIndex) parts.push('the query would fail with INDEX_NOT_READY (retry after the build) because scans are not allowed');
    } else if (requireIndex) parts.push('the query would fail with INDEX_REQUIRED because scans are not allowed');
  } else if (plan.candidates !== undefined) {
    parts.push(`candidates from indexes ${plan.indexesUsed.join(', ')}${plan.exact ? ' (exact)' : ''}; every fetched hit is re-checked`);
  }
  if (plan.residual !== undefined && !plan.scan) parts.push(`residual filter: ${formatFilter(plan.residual)}`);
  switch (plan.order.kind) {
    case 'id':
      parts.push('ordered by id');
      break;
    case 'walk':
      parts.push(
        `ordered by walking index ${plan.order.index} ${plan.order.direction}` +
          (plan.candidates === undefined ? ' over every document' : ' within the candidates') +
          ', then documents whose field is missing or not a number/string',
      );
      break;
    case 'memory':
      parts.push('sorted in memory');
      break;
  }
  return parts.join('; ');
}
