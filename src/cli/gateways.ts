import { API_GROUP, KIND, validateResource, type AIGatewayResource, type SpecIssue, formatPath } from '../spec';
import type { InputDocument, InputProblem } from './inputs';
import { translationIssues } from '../envoy';
import { locate } from './positions';
import { documentData } from './yaml-guard';

/** A validated gateway and where it came from. */
export interface LoadedGateway {
  readonly source: InputDocument;
  /** The document as written (what the construct is given, so shorthand stays the user's). */
  readonly raw: Record<string, unknown>;
  readonly resource: AIGatewayResource;
}

function problemAt(source: InputDocument, issue: SpecIssue): InputProblem {
  const pos = locate(source.doc, source.lines, issue.path, issue.atKey === true);
  return { file: source.file, line: pos?.line, col: pos?.col, message: `${formatPath(issue.path)}: ${issue.message}` };
}

/**
 * The kind of a document that is some other Kubernetes object (a GitOps folder holds Namespaces,
 * cdk8s output, a kustomization.yaml next to the gateways), or undefined for a document that is,
 * or means to be, an AIGatewayResource: anything in our API group, or with our kind, or with
 * neither kind nor apiVersion. So a gateway with a wrong kind or a forgotten one is still
 * reported, never skipped.
 */
function otherKind(raw: Record<string, unknown>): string | undefined {
  const apiVersion = typeof raw.apiVersion === 'string' ? raw.apiVersion : undefined;
  if (apiVersion?.startsWith(`${API_GROUP}/`) || raw.kind === KIND) return undefined;
  if (typeof raw.kind === 'string') return raw.kind;
  return apiVersion !== undefined ? `${apiVersion} object` : undefined;
}

/**
 * Validates every AIGatewayResource document; returns the gateways, every problem found (in input
 * order) and the kinds of the documents skipped as other objects.
 */
export function loadGateways(documents: readonly InputDocument[]): { gateways: LoadedGateway[]; problems: InputProblem[]; skipped: string[] } {
  const gateways: LoadedGateway[] = [];
  const problems: InputProblem[] = [];
  const skipped: string[] = [];
  const seen = new Map<string, InputDocument>();
  for (const source of documents) {
    const data = documentData(source.doc, source.lines);
    if (!data.ok) {
      problems.push({ file: source.file, ...data.problem });
      continue;
    }
    const raw = data.value;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      problems.push({ file: source.file, ...locate(source.doc, source.lines, []), message: `expected a ${KIND} document (a mapping)` });
      continue;
    }
    const other = otherKind(raw as Record<string, unknown>);
    if (other !== undefined) {
      skipped.push(other);
      continue;
    }
    const result = validateResource(raw);
    if (!result.ok) {
      // In the order of the file, as an editor shows them.
      const found = result.issues.map((issue) => problemAt(source, issue));
      problems.push(...found.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0)));
      continue;
    }
    const { name, namespace } = result.value.metadata;
    // What Envoy cannot do as asked is reported here too, so `validate` and `synth` agree.
    const untranslatable = translationIssues(result.value.spec, { gatewayName: name, namespace });
    if (untranslatable.length > 0) {
      problems.push(...untranslatable.map((issue) => problemAt(source, issue)));
      continue;
    }
    const key = `${namespace ?? ''}/${name}`;
    const earlier = seen.get(key);
    if (earlier) {
      problems.push({
        ...problemAt(source, { path: ['metadata', 'name'], message: '' }),
        message: `metadata.name: gateway "${name}"${namespace ? ` in namespace ${namespace}` : ''} is also defined in ${earlier.file}`,
      });
      continue;
    }
    seen.set(key, source);
    gateways.push({ source, raw: raw as Record<string, unknown>, resource: result.value });
  }
  return { gateways, problems, skipped };
}

/** "file:line:col: message" */
export function formatProblem(problem: InputProblem): string {
  const where = problem.line !== undefined ? `${problem.file}:${problem.line}:${problem.col}` : problem.file;
  return `${where}: ${problem.message}`;
}
