import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { LiveRecords } from './live.svelte';
import { Site } from './org';

const site = (id: string, name: string) => ({
	schema: 1,
	id,
	name,
	kind: 'industrial',
	timeZone: 'Asia/Shanghai',
	createdAt: '2026-11-01T00:00:00.000Z'
});

describe('LiveRecords', () => {
	it('follows adds, updates and deletes, including from another replica', () => {
		const a = new Y.Doc();
		const b = new Y.Doc();
		a.on('update', (u: Uint8Array) => Y.applyUpdate(b, u));
		const live = new LiveRecords(b.getMap('sites'), Site);
		expect(live.records).toEqual([]);
		a.getMap('sites').set('S1', site('S1', '一号'));
		a.getMap('sites').set('S2', site('S2', '二号'));
		expect(live.records.map((s) => s.name).sort()).toEqual(['一号', '二号']);
		a.getMap('sites').set('S1', site('S1', '一号（改）'));
		expect(live.get('S1')?.name).toBe('一号（改）');
		a.getMap('sites').delete('S2');
		expect(live.records.map((s) => s.id)).toEqual(['S1']);
		live.destroy();
		a.getMap('sites').set('S3', site('S3', '三号'));
		expect(live.records.map((s) => s.id)).toEqual(['S1']);
	});

	it('lists unreadable records apart instead of dropping them', () => {
		const doc = new Y.Doc();
		doc.getMap('sites').set('S1', site('S1', 'ok'));
		doc.getMap('sites').set('S9', { schema: 7, id: 'S9' });
		const live = new LiveRecords(doc.getMap('sites'), Site);
		expect(live.records).toHaveLength(1);
		expect(live.unreadable).toHaveLength(1);
		expect(live.unreadable[0]).toMatchObject({ key: 'S9', result: { code: 'UNKNOWN_SCHEMA' } });
	});
});
