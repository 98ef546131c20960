import { z } from 'zod';

type JsonSchema = z.core.JSONSchema.JSONSchema;

/** One line of a payload's field table. */
interface Field {
  name: string;
  type: string;
  required: boolean;
  constraints: string[];
}

/**
 * A payload schema as a Markdown table of its fields, nested objects flattened to dotted names
 * (`owner.id`, `items[].id`), followed by what happens to fields the schema does not name.
 */
export function fieldTable(schema: z.ZodType): string {
  // The input side is what travels on the wire: what a sender may send and a receiver parses
  // (a field with a default may be left out); it also lets transforms such as lowercasing through.
  const json = z.toJSONSchema(schema, { io: 'input' });
  const fields = fieldsOf(json, '');
  const table =
    fields.length === 0
      ? 'No fields: an empty object, `{}`.'
      : [
          '| Field | Type | Required | Constraints |',
          '| --- | --- | --- | --- |',
          ...fields.map((f) => `| \`${f.name}\` | ${cell(f.type)} | ${f.required ? 'yes' : 'no'} | ${cell(f.constraints.join('; ') || '—')} |`),
        ].join('\n');
  return `${table}\n\n${extraFields(json)}`;
}

function fieldsOf(object: JsonSchema, prefix: string): Field[] {
  return Object.entries(object.properties ?? {}).flatMap(([key, value]) => {
    const schema = asSchema(value);
    const name = prefix + key;
    const field = { name, type: typeOf(schema), required: object.required?.includes(key) ?? false, constraints: constraintsOf(schema) };
    // Sub-fields follow their parent, so a reader sees a nested object's shape in the same table.
    const item = schema.type === 'array' ? asSchema(schema.items) : undefined;
    if (schema.properties) return [field, ...fieldsOf(schema, `${name}.`)];
    if (item?.properties) return [field, ...fieldsOf(item, `${name}[].`)];
    return [field];
  });
}

function typeOf(schema: JsonSchema): string {
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(' or ');
  if (schema.type === 'array') return `array of ${typeOf(asSchema(schema.items))}`;
  if (schema.type === 'object' && !schema.properties) {
    // A record: its keys are free, its values typed.
    const values = asSchema(schema.additionalProperties);
    return `map of ${typeOf(values)}${parenthesised(constraintsOf(values))}`;
  }
  if (schema.type === undefined) return 'any';
  // A nullable string is `type: ['string', 'null']`.
  const type = Array.isArray(schema.type) ? schema.type.join(' or ') : schema.type;
  return `${type}${schema.format ? ` (${schema.format})` : ''}`;
}

function constraintsOf(schema: JsonSchema): string[] {
  if (schema.anyOf) return schema.anyOf.flatMap(constraintsOf);
  const constraints: string[] = [];
  if (schema.const !== undefined) constraints.push(`always \`${JSON.stringify(schema.const)}\``);
  if (schema.enum) constraints.push(`one of ${schema.enum.map((v) => `\`${JSON.stringify(v)}\``).join(', ')}`);
  const length = range(schema.minLength, schema.maxLength);
  if (schema.minLength === 1 && schema.maxLength === undefined) constraints.push('not empty');
  else if (length) constraints.push(`${length} characters`);
  const items = range(schema.minItems, schema.maxItems);
  if (items) constraints.push(`${items} items`);
  const value = bounds(schema);
  if (value) constraints.push(value);
  // A format (uuid, email, date-time) already says what its generated pattern spells out.
  if (schema.pattern && !schema.format) constraints.push(`matches \`${schema.pattern}\``);
  if (schema.default !== undefined) constraints.push(`default \`${JSON.stringify(schema.default)}\``);
  return constraints;
}

function bounds(schema: JsonSchema): string | undefined {
  // zod bounds every integer to the safe range; saying so on each field would only be noise.
  const min = schema.minimum === Number.MIN_SAFE_INTEGER ? undefined : schema.minimum;
  const max = schema.maximum === Number.MAX_SAFE_INTEGER ? undefined : schema.maximum;
  const above = typeof schema.exclusiveMinimum === 'number' ? `> ${schema.exclusiveMinimum}` : undefined;
  const below = typeof schema.exclusiveMaximum === 'number' ? `< ${schema.exclusiveMaximum}` : undefined;
  if (min !== undefined && max !== undefined) return `${min} to ${max}`;
  const parts = [above, below, min !== undefined && `≥ ${min}`, max !== undefined && `≤ ${max}`].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

/** `1 to 100`, `at least 1`, `at most 200`, or nothing when unbounded. */
function range(min: number | undefined, max: number | undefined): string | undefined {
  if (min !== undefined && max !== undefined) return `${min} to ${max}`;
  if (min !== undefined) return `at least ${min}`;
  if (max !== undefined) return `at most ${max}`;
  return undefined;
}

function extraFields(schema: JsonSchema): string {
  // zod's strict objects say `additionalProperties: false`; plain ones strip what they do not know.
  return schema.additionalProperties === false ? 'Fields not listed here are refused.' : 'Fields not listed here are ignored.';
}

function parenthesised(constraints: string[]): string {
  return constraints.length > 0 ? ` (${constraints.join('; ')})` : '';
}

/** `true` and `{}` both mean "anything" in JSON Schema. */
function asSchema(schema: z.core.JSONSchema._JSONSchema | z.core.JSONSchema._JSONSchema[] | undefined): JsonSchema {
  return typeof schema === 'object' && !Array.isArray(schema) ? schema : {};
}

/** A pipe would end the table cell. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}
