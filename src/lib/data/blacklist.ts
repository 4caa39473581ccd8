// The `blacklist` document: barred persons, keyed by id, matched on their identity number.
import * as v from 'valibot';
import { defineRecord, id, isoDate, isoTime, text } from './records';

export const BlacklistEntry = defineRecord({
	name: 'BlacklistEntry',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		id,
		docNumber: v.pipe(v.string(), v.minLength(2), v.maxLength(40)),
		name: v.optional(text(50)),
		/** Reasons follow DOMAIN.md (violations, failed health check, penalties…). */
		reason: v.pipe(v.string(), v.minLength(1), v.maxLength(500)),
		since: isoDate,
		until: v.optional(v.nullable(isoDate)),
		evidence: v.optional(v.array(v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)))),
		by: text(64),
		at: isoTime
	})
});
export type BlacklistEntry = v.InferOutput<typeof BlacklistEntry.validate>;
