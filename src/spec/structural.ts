/**
 * Turns the JSON Schema that zod emits into a structural OpenAPI v3 schema, the only kind a
 * CustomResourceDefinition accepts: every node typed, no $ref/anyOf with typed branches, no
 * additionalProperties beside properties. Anything it cannot translate is an error at generation
 * time, so a non-structural schema never reaches the API server.
 */
type Schema = Record<string, unknown>;

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

export function toStructural(node: Schema, path = '$'): Schema {
  if (node['x-crd-override']) {
    const override = node['x-crd-override'] as Schema;
    return { ...(node.description !== undefined && { description: node.description }), ...override };
  }
  const out: Schema = {};
  for (const [key, value] of Object.entries(node)) {
    switch (key) {
      case '$schema':
      case 'additionalProperties':
      case 'default':
        break;
      case 'properties':
        out.properties = Object.fromEntries(
          Object.entries(value as Record<string, Schema>).map(([k, v]) => [k, toStructural(v, `${path}.${k}`)]),
        );
        break;
      case 'items':
        out.items = toStructural(value as Schema, `${path}[]`);
        break;
      case 'anyOf':
      case 'oneOf':
      case 'allOf':
      case '$ref':
      case 'not':
        throw new Error(`${path}: "${key}" cannot be expressed in a structural CRD schema; give the zod schema an x-crd-override`);
      case 'const':
        out.enum = [value];
        break;
      case 'maximum':
        if (value !== MAX_SAFE) out.maximum = value;
        break;
      case 'minimum':
        if (value !== -MAX_SAFE) out.minimum = value;
        break;
      case 'exclusiveMinimum':
        // zod's .positive() on integers: say "minimum: 1", which every tool reads the same way.
        if (value === true && node.type === 'integer' && node.minimum === 0) out.minimum = 1;
        else out.exclusiveMinimum = value;
        break;
      case 'pattern':
        // date-time is checked by format; zod's long ISO regex would only slow the API server.
        if (node.format !== 'date-time') out.pattern = value;
        break;
      default:
        out[key] = value;
    }
  }
  if (node.additionalProperties && typeof node.additionalProperties === 'object') {
    out.additionalProperties = toStructural(node.additionalProperties as Schema, `${path}{}`);
  }
  if (out.type === undefined && !out['x-kubernetes-int-or-string'] && !out['x-kubernetes-preserve-unknown-fields']) {
    throw new Error(`${path}: node has no type; a structural CRD schema needs one on every node`);
  }
  if (out.exclusiveMinimum === undefined && node.exclusiveMinimum === true && out.minimum === undefined) {
    out.minimum = node.minimum;
  }
  return out;
}
