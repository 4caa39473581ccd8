// Which records of a document's top-level maps an update touches, read from the update itself
// (Y.decodeUpdate), so a listener that follows a log (attendance, alerts) looks at what arrived
// instead of walking a month of records after every gate's commit.
import * as Y from 'yjs';

/** Keys written in each named top-level map by `update` (additions and replacements). */
export function changedKeys(update: Uint8Array, maps: readonly string[]): Map<string, Set<string>> {
	const out = new Map<string, Set<string>>(maps.map((m) => [m, new Set<string>()]));
	const { structs } = Y.decodeUpdate(update);
	for (const struct of structs) {
		if (!(struct instanceof Y.Item)) continue;
		// A top-level map's entry: its parent is the root type's name and parentSub the key.
		const parent = struct.parent as unknown;
		if (typeof parent !== 'string' || struct.parentSub === null) continue;
		out.get(parent)?.add(struct.parentSub);
	}
	return out;
}
