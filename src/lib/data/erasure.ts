// Data that exists only by the worker's separate consent (个人信息保护法 单独同意), and how to tell
// that a Yjs transaction removed some: the relay and every device then purge their stored logs.
import * as Y from 'yjs';
import type { DocKind } from './documents';

/** The consents that can be withdrawn with erasure, and the map (keyed by worker id) each covers. */
export const CONSENT_MAPS = { health: 'health', face: 'faces' } as const;
export type ErasablePurpose = keyof typeof CONSENT_MAPS;

/**
 * Maps whose removed or overwritten records must not survive anywhere: not in a replica's state
 * (Yjs garbage collection), not in the relay's update log or database pages, not in a device's
 * IndexedDB update log. Medical exam records (`medical`) are not here: they are kept as a
 * work-safety requirement, not on consent.
 */
export const ERASURE_MAPS: Partial<Record<DocKind, readonly string[]>> = {
	contractor: Object.values(CONSENT_MAPS)
};

export function erasureMaps(kind: DocKind | undefined): readonly string[] {
	return (kind && ERASURE_MAPS[kind]) || [];
}

/**
 * Whether `tr` deleted real content (a record removed, or the old value of an overwritten one)
 * anywhere under one of `maps`. Content that arrives already garbage-collected (a compacted
 * snapshot) does not count. Call it before the transaction's garbage collection: in the doc's
 * 'beforeObserverCalls' or 'afterTransaction' event.
 */
export function erasesContent(tr: Y.Transaction, maps: readonly string[]): boolean {
	if (maps.length === 0 || tr.deleteSet.clients.size === 0) return false;
	const roots = new Set<unknown>();
	for (const name of maps) {
		const root = tr.doc.share.get(name);
		if (root) roots.add(root);
	}
	if (roots.size === 0) return false;
	let found = false;
	Y.iterateDeletedStructs(tr, tr.deleteSet, (struct) => {
		if (found || !(struct instanceof Y.Item) || struct.content instanceof Y.ContentDeleted) return;
		let item: Y.Item = struct;
		while (item.parent instanceof Y.AbstractType && item.parent._item !== null) {
			item = item.parent._item;
		}
		if (roots.has(item.parent)) found = true;
	});
	return found;
}
