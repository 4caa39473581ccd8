// How the relay reads an incoming Yjs update: which records a transaction changed (the input of
// authorizeChange), and whether an update depends on content the relay does not hold yet.
import * as Y from 'yjs';
import type { RecordChange } from '../src/lib/data/access';

/** A change that is not a change to a record: a root the document does not have, or list use. */
export interface BadPath {
	map: string;
	key?: string;
	message: string;
}

export interface TransactionChanges {
	changes: RecordChange[];
	badPaths: BadPath[];
}

type AnyType = Y.AbstractType<unknown>;

/** Records are plain values; a shared type, a subdocument or unreadable content is not one. */
function isPlainValue(value: unknown): boolean {
	return value !== undefined && !(value instanceof Y.AbstractType) && !(value instanceof Y.Doc);
}

/**
 * The record changes of a finished transaction. Call it while the transaction is still being
 * cleaned up (the doc's 'beforeObserverCalls' event): that is when Yjs can still tell what was added
 * and deleted. Root maps give `map/key` changes directly; a change inside a nested shared type is
 * charged to the record (top-level key) that contains it, marked `nested`.
 */
export function collectChanges(
	doc: Y.Doc,
	tr: Y.Transaction,
	allowedMaps: readonly string[]
): TransactionChanges {
	const rootNames = new Map<AnyType, string>();
	doc.share.forEach((type, name) => rootNames.set(type as AnyType, name));
	const records = new Map<string, RecordChange>();
	const badPaths: BadPath[] = [];
	const put = (change: RecordChange, fromNested: boolean) => {
		const id = `${change.map}\u0000${change.key}`;
		const prev = records.get(id);
		if (!prev) records.set(id, change);
		else if (fromNested) prev.nested = true;
		else records.set(id, { ...change, nested: change.nested || prev.nested });
	};

	tr.changed.forEach((keys, changedType) => {
		const type = changedType as AnyType;
		if (type._item === null) {
			const name = rootNames.get(type) ?? '(unnamed)';
			if (!allowedMaps.includes(name) || !(type instanceof Y.Map)) {
				badPaths.push({ map: name, message: `no record map "${name}" in this document` });
				return;
			}
			if (keys.has(null)) {
				badPaths.push({ map: name, message: 'record maps are keyed by id, not used as lists' });
			}
			const keyed = new Set([...keys].filter((k): k is string => k !== null));
			const event = new Y.YMapEvent(type as Y.Map<unknown>, tr, keyed);
			event.keys.forEach(({ action, oldValue }, key) => {
				const value = action === 'delete' ? undefined : type.get(key);
				put(
					{
						map: name,
						key,
						action,
						value,
						nested: action !== 'delete' && !isPlainValue(value),
						...(action === 'update' ? { previous: oldValue } : {})
					},
					false
				);
			});
			return;
		}
		// Inside a nested type: walk up to the item that sits directly in a root.
		let item: Y.Item = type._item;
		while (item.parent instanceof Y.AbstractType && item.parent._item !== null) {
			item = item.parent._item;
		}
		const root = item.parent instanceof Y.AbstractType ? (item.parent as AnyType) : null;
		const name = (root && rootNames.get(root)) ?? '(unnamed)';
		if (item.parentSub === null) {
			badPaths.push({ map: name, message: 'record maps are keyed by id, not used as lists' });
			return;
		}
		const value = root instanceof Y.Map ? root.get(item.parentSub) : undefined;
		put({ map: name, key: item.parentSub, action: 'update', value, nested: true }, true);
	});
	return { changes: [...records.values()], badPaths };
}

/**
 * Whether applying `update` to `doc` would leave pending structs or deletes: a gap in some client's
 * clock sequence, an origin/parent the doc does not have, or a delete of content it has not seen.
 * Same rules as Yjs' own integration, decided before anything is applied. Throws on an update that
 * does not decode.
 */
export function hasMissingDependencies(update: Uint8Array, doc: Y.Doc): boolean {
	const { structs, ds } = Y.decodeUpdate(update);
	const byClient = new Map<number, (Y.Item | Y.GC | Y.Skip)[]>();
	for (const s of structs) {
		const list = byClient.get(s.id.client);
		if (list) list.push(s);
		else byClient.set(s.id.client, [s]);
	}
	// What the doc will hold per client once the update's contiguous structs are in.
	const reach = new Map<number, number>();
	for (const [client, list] of byClient) {
		list.sort((a, b) => a.id.clock - b.id.clock);
		let next = Y.getState(doc.store, client);
		for (const s of list) {
			if (s instanceof Y.Skip) continue;
			if (s.id.clock > next) return true;
			next = Math.max(next, s.id.clock + s.length);
		}
		reach.set(client, next);
	}
	const stateOf = (client: number) => reach.get(client) ?? Y.getState(doc.store, client);
	const known = (id: Y.ID | null) => id === null || id.clock < stateOf(id.client);
	for (const s of structs) {
		if (!(s instanceof Y.Item)) continue;
		if (!known(s.origin) || !known(s.rightOrigin)) return true;
		if (s.parent instanceof Y.ID && !known(s.parent)) return true;
	}
	for (const [client, deletes] of ds.clients) {
		for (const d of deletes) if (d.clock + d.len > stateOf(client)) return true;
	}
	return false;
}
