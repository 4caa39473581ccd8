// Reading records out of documents: every record is a plain JSON value carrying `schema` (its
// version), validated on read and migrated forward; a record this build cannot read is kept and
// shown as such, never dropped.
import * as v from 'valibot';

export type ReadResult<T> =
	| { ok: true; record: T; migratedFrom?: number }
	| {
			ok: false;
			code: 'UNKNOWN_SCHEMA' | 'INVALID';
			raw: unknown;
			schema?: unknown;
			issues?: string[];
	  };

export interface RecordType<T> {
	name: string;
	/** The schema version this build writes. */
	version: number;
	validate: v.GenericSchema<unknown, T>;
	/** Pure functions lifting a record from version n to n+1, keyed by n. */
	migrations?: Record<number, (old: Record<string, unknown>) => Record<string, unknown>>;
}

export function defineRecord<T>(type: RecordType<T>): RecordType<T> {
	return type;
}

/** Validate (migrating older versions first). */
export function readRecord<T>(type: RecordType<T>, raw: unknown): ReadResult<T> {
	if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
		return { ok: false, code: 'INVALID', raw, issues: ['not an object'] };
	}
	let value = raw as Record<string, unknown>;
	const schema = value.schema;
	if (
		typeof schema !== 'number' ||
		!Number.isInteger(schema) ||
		schema < 1 ||
		schema > type.version
	) {
		return { ok: false, code: 'UNKNOWN_SCHEMA', raw, schema };
	}
	for (let n = schema; n < type.version; n++) {
		const step = type.migrations?.[n];
		if (!step) return { ok: false, code: 'UNKNOWN_SCHEMA', raw, schema };
		value = { ...step(value), schema: n + 1 };
	}
	const parsed = v.safeParse(type.validate, value);
	if (!parsed.success) {
		return {
			ok: false,
			code: 'INVALID',
			raw,
			schema,
			issues: parsed.issues.map((i) => `${v.getDotPath(i) ?? '(record)'}: ${i.message}`)
		};
	}
	return schema === type.version
		? { ok: true, record: parsed.output }
		: { ok: true, record: parsed.output, migratedFrom: schema };
}

/** Validate a record about to be written; throws a `RecordError` naming the bad fields. */
export function checkRecord<T>(type: RecordType<T>, value: T): T {
	const parsed = v.safeParse(type.validate, value);
	if (!parsed.success) {
		throw new RecordError(
			type.name,
			parsed.issues.map((i) => `${v.getDotPath(i) ?? '(record)'}: ${i.message}`)
		);
	}
	return parsed.output;
}

export class RecordError extends Error {
	readonly code = 'INVALID_RECORD';
	constructor(
		readonly recordType: string,
		readonly issues: string[]
	) {
		super(`invalid ${recordType}: ${issues.join('; ')}`);
	}
}

// Shared field schemas.
export const id = v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'not an id'));
export const isoTime = v.pipe(v.string(), v.isoTimestamp());
export const isoDate = v.pipe(v.string(), v.isoDate());
export const text = (max = 200) => v.pipe(v.string(), v.maxLength(max));
