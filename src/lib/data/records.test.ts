import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { checkRecord, defineRecord, readRecord, RecordError } from './records';

// A record type that went through two versions, as real ones will.
const Thing = defineRecord({
	name: 'Thing',
	version: 3,
	validate: v.object({
		schema: v.literal(3),
		id: v.string(),
		label: v.string(),
		tags: v.array(v.string())
	}),
	migrations: {
		1: (old) => ({ ...old, label: old.title, title: undefined }),
		2: (old) => ({ id: old.id, label: old.label, tags: [] })
	}
});

describe('readRecord', () => {
	it('reads the current version as is', () => {
		const r = readRecord(Thing, { schema: 3, id: 'a', label: 'x', tags: ['t'] });
		expect(r).toEqual({ ok: true, record: { schema: 3, id: 'a', label: 'x', tags: ['t'] } });
	});

	it('migrates older versions step by step and says from which', () => {
		const r = readRecord(Thing, { schema: 1, id: 'a', title: 'old' });
		expect(r).toEqual({
			ok: true,
			record: { schema: 3, id: 'a', label: 'old', tags: [] },
			migratedFrom: 1
		});
	});

	it('keeps a record from a newer build visible as unknown, with its raw value', () => {
		const raw = { schema: 9, id: 'a', future: true };
		expect(readRecord(Thing, raw)).toEqual({ ok: false, code: 'UNKNOWN_SCHEMA', raw, schema: 9 });
	});

	it('reports invalid fields by path', () => {
		const r = readRecord(Thing, { schema: 3, id: 'a', label: 5, tags: [] });
		expect(r.ok).toBe(false);
		if (!r.ok) {
			expect(r.code).toBe('INVALID');
			expect(r.issues?.[0]).toMatch(/^label:/);
		}
	});

	it('refuses non-objects and missing versions', () => {
		expect(readRecord(Thing, 'x')).toMatchObject({ ok: false, code: 'INVALID' });
		expect(readRecord(Thing, { id: 'a' })).toMatchObject({ ok: false, code: 'UNKNOWN_SCHEMA' });
		expect(readRecord(Thing, { schema: 0 })).toMatchObject({ ok: false, code: 'UNKNOWN_SCHEMA' });
	});
});

describe('checkRecord', () => {
	it('throws a RecordError naming the field', () => {
		expect(() =>
			checkRecord(Thing, { schema: 3, id: 'a', label: 'x', tags: [1] } as never)
		).toThrow(RecordError);
	});
});
