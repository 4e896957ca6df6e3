import fc from "fast-check";

/** The subset of JSON Schema the OpenAPI document of this service uses for requests. */
export interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly enum?: readonly unknown[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly items?: JsonSchema;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minProperties?: number;
  readonly oneOf?: readonly JsonSchema[];
  readonly anyOf?: readonly JsonSchema[];
}

/** Values a string schema should take from the world (known ids), by its pattern. */
export type Known = (schema: JsonSchema) => readonly string[] | undefined;

/**
 * Values that satisfy `schema`, with small numbers and known ids weighted in, so that a
 * request built from them reaches the rules behind the schema.
 */
export function validOf(schema: JsonSchema, known: Known = () => undefined): fc.Arbitrary<unknown> {
  if (schema.enum !== undefined) return fc.constantFrom(...schema.enum);
  if (schema.oneOf !== undefined) return fc.oneof(...schema.oneOf.map((s) => validOf(s, known)));
  if (schema.anyOf !== undefined) return fc.oneof(...schema.anyOf.map((s) => validOf(s, known)));
  const types = schema.type === undefined ? ["string"] : [schema.type].flat();
  return fc.oneof(...types.map((type) => validOfType(type, schema, known)));
}

function validOfType(type: string, schema: JsonSchema, known: Known): fc.Arbitrary<unknown> {
  switch (type) {
    case "null":
      return fc.constant(null);
    case "boolean":
      return fc.boolean();
    case "integer":
    case "number": {
      const min = schema.minimum ?? -1_000_000;
      const max = schema.maximum ?? 1_000_000;
      const small = fc.integer({
        min: Math.max(min, -1_000),
        max: Math.max(Math.min(max, 100_000), Math.max(min, -1_000)),
      });
      return fc.oneof(
        { arbitrary: small, weight: 3 },
        fc.integer({ min: Math.max(min, -(2 ** 52)), max: Math.min(max, 2 ** 52) }),
      );
    }
    case "string": {
      const maxLength = Math.min(schema.maxLength ?? 40, 40);
      const minLength = schema.minLength ?? 0;
      const values = known(schema);
      const fresh =
        schema.pattern === undefined
          ? fc.string({ minLength, maxLength: Math.max(minLength, maxLength), unit: "grapheme" })
          : fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length <= (schema.maxLength ?? 1_000));
      return values === undefined || values.length === 0
        ? fresh
        : fc.oneof({ arbitrary: fc.constantFrom(...values), weight: 3 }, fresh);
    }
    case "array": {
      const items = schema.items ?? {};
      return fc.array(validOf(items, known), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 3, 3)),
      });
    }
    default: {
      const properties = schema.properties ?? {};
      const required = new Set(schema.required ?? []);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, property] of Object.entries(properties)) record[name] = validOf(property, known);
      const requiredKeys = [...required].filter((name) => name in record);
      return fc.record(record, { requiredKeys });
    }
  }
}

/** Strings that break something somewhere: encodings, lengths, look-alikes, injections. */
export const EDGE_STRINGS: readonly string[] = [
  "",
  " ",
  "\t\n",
  "\u0000",
  "a\u0000b",
  "\uD800",
  "\uDFFF\uD800",
  "😀".repeat(101),
  "e\u0301".repeat(60),
  "\u202Eevil",
  "\u200B",
  "\uFEFF",
  "１２３４５",
  "٣",
  "null",
  "undefined",
  "NaN",
  "-0",
  "1e999",
  "0x10",
  "__proto__",
  "constructor",
  "<script>alert(1)</script>",
  "' OR 1=1 --",
  "%00",
  "../../etc/passwd",
  "usr_",
  "usr_00000000000000000000",
  "USR_00000000000000000000",
  "usr_0000000000000000000g",
  "tr_00000000000000000000 ",
  "grp_00000000000000000000\n",
  "2021-08-14",
  "2021-02-30T25:61:00+08:00",
  "2021-08-14T13:14:00+99:00",
  "+275760-09-13T00:00:00.001Z",
  "x".repeat(1_001),
  "字".repeat(5_000),
];

/** Numbers at the edges of every bound the service has, and past them. */
export const EDGE_NUMBERS: readonly number[] = [
  0,
  -0,
  -1,
  1,
  1.5,
  0.1,
  1e-7,
  99.999,
  2 ** 31,
  2 ** 31 - 1,
  -(2 ** 31),
  2 ** 32,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
  -Number.MAX_SAFE_INTEGER - 2,
  1e21,
  1e308,
  -1e308,
  5_000_001,
  52_001,
  20_001,
  1_000_000_000_000_000,
];

/** A value of a JSON type other than the schema's: the cheapest way to find a missing check. */
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(null, true, false, [], {}, [null], { a: 1 }),
  fc.constantFrom(...EDGE_NUMBERS),
  fc.constantFrom(...EDGE_STRINGS),
  fc.jsonValue({ maxDepth: 3 }),
);

/** `{"a":{"a":…}}` or `[[…]]` nested `depth` levels. */
export function nested(depth: number, asArray: boolean): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = asArray ? [value] : { a: value };
  return value;
}

/**
 * Values that should fail `schema` (or sit on its edges): wrong types, edge strings and
 * numbers, near-misses of patterns, bounds plus one, missing required and extra fields,
 * prototype keys, deep nesting.
 */
export function hostileOf(schema: JsonSchema, known: Known = () => undefined): fc.Arbitrary<unknown> {
  const types = schema.type === undefined ? [] : [schema.type].flat();
  const options: fc.Arbitrary<unknown>[] = [anyJson, fc.constantFrom(nested(40, false), nested(1_000, true))];
  if (types.includes("string") || schema.pattern !== undefined) {
    const valid = validOf(schema, known) as fc.Arbitrary<string>;
    options.push(
      valid.map((s) => `${s}x`),
      valid.map((s) => s.toUpperCase()),
      valid.map((s) => ` ${s}`),
      valid.map((s) => s.slice(0, -1)),
      fc.string({ minLength: (schema.maxLength ?? 100) + 1, maxLength: (schema.maxLength ?? 100) + 3 }),
    );
  }
  if (types.includes("integer") || types.includes("number")) {
    const edges = [schema.minimum, schema.maximum].filter((n): n is number => n !== undefined);
    options.push(
      fc.constantFrom(...EDGE_NUMBERS),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      ...(edges.length === 0 ? [] : [fc.constantFrom(...edges.flatMap((n) => [n - 1, n + 1, n + 0.5]))]),
    );
  }
  if (types.includes("array") && schema.items !== undefined) {
    const items = schema.items;
    options.push(
      fc.array(hostileOf(items, known), { minLength: 1, maxLength: 3 }),
      fc.constant(Array.from({ length: (schema.maxItems ?? 10) + 1 }, () => "usr_00000000000000000000")),
    );
  }
  if (schema.properties !== undefined) options.push(hostileObject(schema, known));
  if (schema.oneOf !== undefined) options.push(...schema.oneOf.map((s) => hostileOf(s, known)));
  return fc.oneof(...options);
}

/** A valid object with one thing wrong: a field hostile, a required one gone, or one too many. */
export function hostileObject(schema: JsonSchema, known: Known): fc.Arbitrary<unknown> {
  const properties = Object.entries(schema.properties ?? {});
  const valid = validOf(schema, known) as fc.Arbitrary<Record<string, unknown>>;
  const options: fc.Arbitrary<unknown>[] = [
    valid.map((object) => ({ ...object, unexpected: 1 })),
    // JSON.parse keeps "__proto__" as an own key, so the body carries it as a client would send it.
    valid.map((object) => {
      const rest = JSON.stringify(object).slice(1);
      return JSON.parse(`{"__proto__":{"admin":true}${rest === "}" ? "" : ","}${rest}`) as unknown;
    }),
    valid.map((object) => ({ ...object, constructor: { prototype: { admin: true } } })),
  ];
  if (properties.length > 0) {
    const names = properties.map(([name]) => name);
    options.push(
      fc
        .tuple(valid, fc.constantFrom(...properties))
        .chain(([object, [name, property]]) => hostileOf(property, known).map((bad) => ({ ...object, [name]: bad }))),
      fc.tuple(valid, fc.constantFrom(...names)).map(([object, name]) => {
        const { [name]: _dropped, ...rest } = object;
        return rest;
      }),
    );
  }
  return fc.oneof(...options);
}
