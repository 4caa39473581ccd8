import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { changedKeys } from './update-keys';

describe('changedKeys', () => {
	it('names the records an update writes in each top-level map, nothing else', () => {
		const doc = new Y.Doc();
		doc.getMap('attendance').set('01A', { schema: 1 });
		const before = Y.encodeStateVector(doc);
		let update: Uint8Array | null = null;
		doc.on('update', (u: Uint8Array) => (update = update ? Y.mergeUpdates([update, u]) : u));
		doc.transact(() => {
			doc.getMap('attendance').set('01B', { schema: 1, nested: { deep: [1, 2] } });
			doc.getMap('attendance').set('01C', { schema: 1 });
			doc.getMap('alerts').set('01D', { schema: 1 });
			doc.getMap('pings').set('01E', { schema: 1 });
		});
		const keys = changedKeys(update!, ['attendance', 'alerts']);
		expect([...keys.get('attendance')!].sort()).toEqual(['01B', '01C']);
		expect([...keys.get('alerts')!]).toEqual(['01D']);
		expect(keys.has('pings')).toBe(false);
		// The whole state as one update names everything.
		const all = changedKeys(Y.encodeStateAsUpdate(doc), ['attendance']);
		expect([...all.get('attendance')!].sort()).toEqual(['01A', '01B', '01C']);
		void before;
	});
});
