/**
 * What the API server does with a custom resource's structural schema (apiextensions-apiserver), for the
 * test API server: pruning of unknown fields, defaulting, and OpenAPI validation with the API server's
 * own field error messages (k8s.io/apimachinery field.Error, kube-openapi's validate messages).
 *
 * Modelled: type, nullable, enum, required, pattern, minLength/maxLength, minimum/maximum (exclusive too),
 * minItems/maxItems, format date-time, x-kubernetes-preserve-unknown-fields, x-kubernetes-int-or-string,
 * x-kubernetes-embedded-resource, x-kubernetes-list-type map/set (duplicates), additionalProperties, and
 * the metadata of the root object (ObjectMeta's fields; the name a DNS subdomain).
 * Not modelled: CEL rules (x-kubernetes-validations), validation ratcheting, allOf/anyOf/oneOf/not,
 * uniqueItems, min/maxProperties, multipleOf, formats other than date-time.
 */

export interface JSONSchemaProps {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps | boolean;
  items?: JSONSchemaProps;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  nullable?: boolean;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minItems?: number;
  maxItems?: number;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
}

/** metav1.CauseType of a field error, as StatusCause.reason carries it. */
export type CauseType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueTypeInvalid'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden';

/** One field.Error: `field` as field.Path prints it, `body` as ErrorBody() does (type, value, detail). */
export interface FieldError {
  type: CauseType;
  field: string;
  body: string;
}

export function fieldErrorMessage(e: FieldError): string {
  return `${e.field}: ${e.body}`;
}

/** ObjectMeta's JSON fields: any other key under the root's metadata is an unknown field. */
export const OBJECT_META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const child = (path: string, key: string): string => (path ? `${path}.${key}` : key);

// ------------------------------------------------------------------------------------------------
// pruning

/**
 * Drops every field the schema does not declare (apiextensions' structural pruning), in place, and returns
 * their paths sorted, as the API server words them in `unknown field "…"` (spec.ports[0].name).
 */
export function prune(obj: unknown, schema: JSONSchemaProps): string[] {
  const pruned: string[] = [];
  pruneRoot(obj, schema, pruned);
  return pruned.sort();
}

function pruneRoot(obj: unknown, schema: JSONSchemaProps, pruned: string[]): void {
  if (!isObject(obj)) return;
  for (const key of Object.keys(obj)) {
    if (key === 'apiVersion' || key === 'kind') continue;
    if (key === 'metadata') {
      pruneMetadata(obj.metadata, 'metadata', pruned);
      continue;
    }
    const prop = schema.properties?.[key];
    if (prop) pruneValue(obj[key], prop, key, pruned);
    else if (!schema['x-kubernetes-preserve-unknown-fields']) {
      delete obj[key];
      pruned.push(key);
    }
  }
}

function pruneMetadata(meta: unknown, path: string, pruned: string[]): void {
  if (!isObject(meta)) return;
  for (const key of Object.keys(meta)) {
    if (OBJECT_META_FIELDS.has(key)) continue;
    delete meta[key];
    pruned.push(child(path, key));
  }
}

function pruneValue(value: unknown, schema: JSONSchemaProps, path: string, pruned: string[]): void {
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((item, i) => pruneValue(item, schema.items!, `${path}[${i}]`, pruned));
    return;
  }
  if (!isObject(value)) return;
  const embedded = schema['x-kubernetes-embedded-resource'];
  for (const key of Object.keys(value)) {
    if (embedded && (key === 'apiVersion' || key === 'kind')) continue;
    if (embedded && key === 'metadata') {
      pruneMetadata(value.metadata, child(path, key), pruned);
      continue;
    }
    const prop =
      schema.properties?.[key] ?? (isObject(schema.additionalProperties) ? schema.additionalProperties : undefined);
    if (prop) pruneValue(value[key], prop, child(path, key), pruned);
    else if (!schema['x-kubernetes-preserve-unknown-fields'] && schema.additionalProperties !== true) {
      delete value[key];
      pruned.push(child(path, key));
    }
  }
}

// ------------------------------------------------------------------------------------------------
// defaulting

/**
 * Applies the schema's defaults in place, as the API server does after pruning: a missing property with a
 * default gets it; a null where the schema does not allow null is dropped first (and then defaulted).
 */
export function applyDefaults(value: unknown, schema: JSONSchemaProps): void {
  if (Array.isArray(value)) {
    if (schema.items) for (const item of value) applyDefaults(item, schema.items);
    return;
  }
  if (!isObject(value)) return;
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    if (value[key] === null && !prop.nullable) delete value[key];
    if (value[key] === undefined && prop.default !== undefined) value[key] = structuredClone(prop.default);
    if (value[key] !== undefined) applyDefaults(value[key], prop);
  }
  if (isObject(schema.additionalProperties)) {
    for (const key of Object.keys(value))
      if (!schema.properties?.[key]) applyDefaults(value[key], schema.additionalProperties);
  }
}

// ------------------------------------------------------------------------------------------------
// validation

/** The OpenAPI validation of a whole custom resource (its root), metadata.name included. */
export function validateObject(obj: unknown, schema: JSONSchemaProps): FieldError[] {
  const errors: FieldError[] = [];
  if (isObject(obj)) {
    const name = (obj.metadata as Record<string, unknown> | undefined)?.name;
    if (typeof name === 'string') errors.push(...validateName(name));
    for (const [key, prop] of Object.entries(schema.properties ?? {})) {
      if (key === 'metadata' || key === 'apiVersion' || key === 'kind') continue;
      if (obj[key] !== undefined) validateValue(obj[key], prop, key, errors);
    }
    for (const key of schema.required ?? []) {
      if (obj[key] === undefined) errors.push({ type: 'FieldValueRequired', field: key, body: 'Required value' });
    }
  }
  return errors;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** metadata.name of a custom resource: a DNS-1123 subdomain (ValidateObjectMeta with NameIsDNSSubdomain). */
export function validateName(name: string): FieldError[] {
  const errors: FieldError[] = [];
  if (name.length > 253) {
    errors.push({
      type: 'FieldValueInvalid',
      field: 'metadata.name',
      body: `Invalid value: ${goQuote(name)}: must be no more than 253 characters`,
    });
  }
  if (!DNS1123_SUBDOMAIN.test(name)) {
    errors.push({
      type: 'FieldValueInvalid',
      field: 'metadata.name',
      body:
        `Invalid value: ${goQuote(name)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric ` +
        "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex " +
        "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    });
  }
  return errors;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v; // string, boolean, object
}

function validateValue(value: unknown, schema: JSONSchemaProps, path: string, errors: FieldError[]): void {
  const invalid = (detail: string): void => {
    errors.push({
      type: 'FieldValueInvalid',
      field: path,
      body: `Invalid value: ${goValue(value)}: ${path} in body ${detail}`,
    });
  };
  if (value === null) {
    if (schema.nullable || !schema.type) return;
    typeInvalid(path, 'null', schema.type, errors);
    return;
  }
  const actual = jsonType(value);
  if (schema['x-kubernetes-int-or-string']) {
    if (actual !== 'integer' && actual !== 'string') typeInvalid(path, actual, 'integer,string', errors);
  } else if (schema.type) {
    const ok = schema.type === actual || (schema.type === 'number' && actual === 'integer');
    if (!ok) {
      typeInvalid(path, actual, schema.type, errors);
      return;
    }
  }
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    const supported = schema.enum.map((e) => (typeof e === 'string' ? goQuote(e) : JSON.stringify(e))).join(', ');
    errors.push({
      type: 'FieldValueNotSupported',
      field: path,
      body: `Unsupported value: ${goValue(value)}: supported values: ${supported}`,
    });
  }
  if (typeof value === 'string') {
    const length = [...value].length;
    if (schema.maxLength !== undefined && length > schema.maxLength) {
      errors.push({
        type: 'FieldValueTooLong',
        field: path,
        body: `Too long: may not be more than ${schema.maxLength} bytes`,
      });
    }
    if (schema.minLength !== undefined && length < schema.minLength)
      invalid(`should be at least ${schema.minLength} chars long`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value))
      invalid(`should match '${schema.pattern}'`);
    if (schema.format === 'date-time' && !isDateTime(value)) {
      errors.push({
        type: 'FieldValueTypeInvalid',
        field: path,
        body: `Invalid value: ${goQuote(value)}: ${path} in body must be of type date-time: ${goQuote(value)}`,
      });
    }
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined) {
      if (schema.exclusiveMinimum ? value <= schema.minimum : value < schema.minimum) {
        invalid(`should be greater than ${schema.exclusiveMinimum ? '' : 'or equal to '}${schema.minimum}`);
      }
    }
    if (schema.maximum !== undefined) {
      if (schema.exclusiveMaximum ? value >= schema.maximum : value > schema.maximum) {
        invalid(`should be less than ${schema.exclusiveMaximum ? '' : 'or equal to '}${schema.maximum}`);
      }
    }
  }
  if (Array.isArray(value)) {
    if (schema.maxItems !== undefined && value.length > schema.maxItems) {
      errors.push({
        type: 'FieldValueTooMany',
        field: path,
        body: `Too many: ${value.length}: must have at most ${schema.maxItems} items`,
      });
    }
    if (schema.minItems !== undefined && value.length < schema.minItems) {
      errors.push({
        type: 'FieldValueInvalid',
        field: path,
        body: `Invalid value: ${value.length}: ${path} in body should have at least ${schema.minItems} items`,
      });
    }
    if (schema.items) value.forEach((item, i) => validateValue(item, schema.items!, `${path}[${i}]`, errors));
    duplicates(value, schema, path, errors);
  }
  if (isObject(value)) {
    for (const [key, v] of Object.entries(value)) {
      const prop =
        schema.properties?.[key] ?? (isObject(schema.additionalProperties) ? schema.additionalProperties : undefined);
      if (prop && v !== undefined) validateValue(v, prop, child(path, key), errors);
    }
    for (const key of schema.required ?? []) {
      if (value[key] === undefined)
        errors.push({ type: 'FieldValueRequired', field: child(path, key), body: 'Required value' });
    }
  }
}

function typeInvalid(path: string, actual: string, expected: string, errors: FieldError[]): void {
  errors.push({
    type: 'FieldValueTypeInvalid',
    field: path,
    body: `Invalid value: ${goQuote(actual)}: ${path} in body must be of type ${expected}: ${goQuote(actual)}`,
  });
}

/** x-kubernetes-list-type map (keys) and set (whole items): a second equal entry is a Duplicate value. */
function duplicates(items: unknown[], schema: JSONSchemaProps, path: string, errors: FieldError[]): void {
  const listType = schema['x-kubernetes-list-type'];
  if (listType !== 'map' && listType !== 'set') return;
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const keys = schema['x-kubernetes-list-map-keys'] ?? [];
    const identity =
      listType === 'map' && isObject(item)
        ? Object.fromEntries(keys.filter((k) => item[k] !== undefined).map((k) => [k, item[k]]))
        : item;
    const id = JSON.stringify(identity);
    if (seen.has(id))
      errors.push({
        type: 'FieldValueDuplicate',
        field: `${path}[${i}]`,
        body: `Duplicate value: ${goValue(identity)}`,
      });
    seen.add(id);
  });
}

/** strfmt's date-time: RFC 3339 (seconds, optional fraction, Z or an offset). */
function isDateTime(s: string): boolean {
  return (
    /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})$/.test(s) && !Number.isNaN(Date.parse(s))
  );
}

/** Go's %q of a string (close enough: JSON escaping). */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** How field.Error prints a bad value: strings quoted, numbers and booleans bare, maps as Go's %#v. */
export function goValue(v: unknown): string {
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return '"null"';
  if (Array.isArray(v)) return `[]interface {}{${v.map(goValue).join(', ')}}`;
  return `map[string]interface {}{${Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `${goQuote(k)}:${goValue(x)}`)
    .join(', ')}}`;
}

// ------------------------------------------------------------------------------------------------
// CRDs

/** The parts of a CustomResourceDefinition (apiextensions.k8s.io/v1) the test API server uses. */
export interface CustomResourceDefinition {
  spec: {
    group: string;
    scope: 'Cluster' | 'Namespaced';
    names: { kind: string; plural: string; listKind?: string; singular?: string; shortNames?: string[] };
    versions: Array<{
      name: string;
      served?: boolean;
      storage?: boolean;
      subresources?: { status?: Record<string, never> };
      additionalPrinterColumns?: Array<{
        name: string;
        type: string;
        jsonPath: string;
        priority?: number;
        description?: string;
      }>;
      schema?: { openAPIV3Schema: JSONSchemaProps };
    }>;
  };
}
