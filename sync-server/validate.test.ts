// The relay's reading of updates: record changes per transaction (what authorizeChange is asked
// about) and the dependency check that keeps incomplete updates out of the live document.
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import type { RecordChange } from '../src/lib/data/access';
import { collectChanges, hasMissingDependencies, type TransactionChanges } from './validate';

const MAPS = ['workers', 'certificates'];

/** Applies `update` to `doc` and returns what collectChanges saw in that transaction. */
function changesOf(doc: Y.Doc, update: Uint8Array): TransactionChanges {
	let seen: TransactionChanges | null = null;
	const listen = (tr: Y.Transaction) => (seen = collectChanges(doc, tr, MAPS));
	doc.on('beforeObserverCalls', listen);
	Y.applyUpdate(doc, update, 'remote');
	doc.off('beforeObserverCalls', listen);
	return seen ?? { changes: [], badPaths: [] };
}

function relayDoc(): Y.Doc {
	const doc = new Y.Doc();
	for (const m of MAPS) doc.getMap(m);
	return doc;
}

/** Runs `edit` on a client doc synced from `base` and returns the incremental update. */
function edit(base: Y.Doc, change: (doc: Y.Doc) => void): Uint8Array {
	const client = new Y.Doc();
	Y.applyUpdate(client, Y.encodeStateAsUpdate(base));
	const sv = Y.encodeStateVector(client);
	change(client);
	return Y.encodeStateAsUpdate(client, sv);
}

const byKey = (changes: RecordChange[]) =>
	Object.fromEntries(changes.map((c) => [`${c.map}/${c.key}`, c]));

describe('collectChanges', () => {
	it('reports adds, updates and deletes of records with their new values', () => {
		const doc = relayDoc();
		changesOf(
			doc,
			edit(doc, (d) => d.getMap('workers').set('W1', { v: 1 }))
		);
		const result = changesOf(
			doc,
			edit(doc, (d) => {
				d.getMap('workers').set('W1', { v: 2 });
				d.getMap('workers').set('W2', { v: 1 });
				d.getMap('certificates').set('X', 1);
				d.getMap('certificates').delete('X');
			})
		);
		expect(result.badPaths).toEqual([]);
		const c = byKey(result.changes);
		expect(c['workers/W1']).toMatchObject({ action: 'update', value: { v: 2 }, nested: false });
		expect(c['workers/W2']).toMatchObject({ action: 'add', value: { v: 1 }, nested: false });
		// Added and removed in one transaction: no change to any record.
		expect(c['certificates/X']).toBeUndefined();
		const del = changesOf(
			doc,
			edit(doc, (d) => d.getMap('workers').delete('W2'))
		);
		expect(del.changes).toEqual([
			{ map: 'workers', key: 'W2', action: 'delete', value: undefined, nested: false }
		]);
	});

	it('charges changes inside nested types to the record that holds them', () => {
		const doc = relayDoc();
		// Creating a shared type as a record value.
		const created = changesOf(
			doc,
			edit(doc, (d) => d.getMap('workers').set('W1', new Y.Map()))
		);
		expect(created.changes).toMatchObject([
			{ map: 'workers', key: 'W1', action: 'add', nested: true }
		]);
		// Changing inside an existing nested type (as it might exist in old data).
		const deep = changesOf(
			doc,
			edit(doc, (d) => {
				const inner = d.getMap('workers').get('W1') as Y.Map<unknown>;
				const deeper = new Y.Array();
				inner.set('list', deeper);
				deeper.push([1, 2]);
			})
		);
		expect(deep.changes).toMatchObject([{ map: 'workers', key: 'W1', nested: true }]);
	});

	it('flags unknown roots and maps used as lists', () => {
		const doc = relayDoc();
		const unknown = changesOf(
			doc,
			edit(doc, (d) => d.getMap('secrets').set('k', 1))
		);
		expect(unknown.badPaths).toMatchObject([{ map: 'secrets' }]);
		const list = changesOf(
			doc,
			edit(doc, (d) => d.getArray('workers').push([1]))
		);
		expect(list.badPaths).toMatchObject([{ map: 'workers' }]);
		const text = changesOf(
			doc,
			edit(doc, (d) => d.getText('notes').insert(0, 'x'))
		);
		expect(text.badPaths).toMatchObject([{ map: 'notes' }]);
	});
});

describe('hasMissingDependencies', () => {
	it('is false for a complete update and for one the doc already has', () => {
		const doc = relayDoc();
		const update = edit(doc, (d) => d.getMap('workers').set('W1', 1));
		expect(hasMissingDependencies(update, doc)).toBe(false);
		Y.applyUpdate(doc, update);
		expect(hasMissingDependencies(update, doc)).toBe(false);
	});

	it("sees a gap in a client's clock", () => {
		const doc = relayDoc();
		const client = new Y.Doc();
		client.getMap('workers').set('A', 1);
		const sv = Y.encodeStateVector(client);
		client.getMap('workers').set('B', 1);
		const later = Y.encodeStateAsUpdate(client, sv);
		expect(hasMissingDependencies(later, doc)).toBe(true);
		Y.applyUpdate(doc, Y.encodeStateAsUpdate(client));
		expect(hasMissingDependencies(later, doc)).toBe(false);
	});

	it('sees an origin from another client that the doc lacks', () => {
		const doc = relayDoc();
		const one = new Y.Doc();
		one.getMap('workers').set('A', 1);
		const two = new Y.Doc();
		Y.applyUpdate(two, Y.encodeStateAsUpdate(one));
		const sv = Y.encodeStateVector(two);
		two.getMap('workers').set('A', 2); // its item's origin is one's item
		const overwrite = Y.encodeStateAsUpdate(two, sv);
		expect(hasMissingDependencies(overwrite, doc)).toBe(true);
		// Yjs agrees: applied alone it stays pending.
		const probe = relayDoc();
		Y.applyUpdate(probe, overwrite);
		expect(probe.store.pendingStructs).not.toBeNull();
	});

	it('sees a delete of content the doc has not seen', () => {
		const doc = relayDoc();
		const one = new Y.Doc();
		one.getMap('workers').set('A', 1);
		const sv = Y.encodeStateVector(one);
		one.getMap('workers').delete('A');
		const deletion = Y.encodeStateAsUpdate(one, sv);
		expect(hasMissingDependencies(deletion, doc)).toBe(true);
		const probe = relayDoc();
		Y.applyUpdate(probe, deletion);
		expect(probe.store.pendingDs).not.toBeNull();
	});

	it('throws on bytes that are not an update', () => {
		expect(() => hasMissingDependencies(new Uint8Array([200, 1, 2, 3]), relayDoc())).toThrow();
	});
});
