import { parseApiVersion, type ApiCatalog } from '../catalog/index.js';
import type { Plan } from '../common/index.js';

/**
 * The planner's case objects checked against the API catalog before any code is written (issue 11): a case
 * whose apiVersion/kind no group serves (an IAMPolicy under configconnector.cnrm.cloud.google.com) can never
 * pass, and sends the coder flip-flopping between the target and the cases. Each problem is an objection
 * the loop feeds back to the planner. The user's examples are ground truth and are not checked here; a kind
 * the catalog does not know at all (a CRD discovery did not see) is not an objection either.
 */
export function caseCatalogObjections(plan: Plan, catalog: ApiCatalog, examples: readonly string[] = []): string[] {
  const out: string[] = [];
  for (const c of plan.tests) {
    if (examples.includes(c.name)) continue;
    for (const [field, object] of [
      ['object', c.object],
      ['oldObject', c.oldObject],
    ] as const) {
      if (!object?.apiVersion || !object.kind) continue;
      const problem = apiVersionProblem(object.apiVersion, object.kind, catalog);
      if (problem) out.push(`catalog: case "${c.name}" ${field}: ${problem}`);
    }
  }
  return out;
}

function apiVersionProblem(apiVersion: string, kind: string, catalog: ApiCatalog): string | undefined {
  const named = catalog.kindsNamed(kind);
  if (!named.length) return undefined;
  const { group, version } = parseApiVersion(apiVersion);
  const served = named.find((r) => r.group === group);
  const where = named.map((r) => `${r.group ? `${r.group}/` : ''}${r.versions[0]}`).join(' or ');
  if (!served) return `${kind} is not served by apiVersion ${apiVersion}; use apiVersion ${where}`;
  if (!served.versions.includes(version))
    return `${kind} in group "${group}" is served at ${served.versions.join(', ')}, not ${version}`;
  return undefined;
}
