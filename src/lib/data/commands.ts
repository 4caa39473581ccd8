// Writing records: every command validates its record, asks the access rules whether this
// device's role may make the change (the relay would refuse it otherwise), and writes it in one
// transaction. Commands are plain functions over a Y.Doc, usable in the browser, Node and tests.
import type * as Y from 'yjs';
import { authorizeChange, type Claims, type OrgView, type Refusal } from './access';
import { parseDocName } from './documents';
import { checkRecord, type RecordType } from './records';

export class AccessError extends Error {
	readonly code = 'ACCESS_DENIED';
	constructor(readonly refusal: Refusal) {
		super(refusal.message);
	}
}

export interface Actor {
	claims: Claims;
	org: OrgView;
}

/** Put one record (add or replace) after validating it and checking the actor may. */
export function putRecord<T>(
	doc: Y.Doc,
	docName: string,
	actor: Actor,
	mapName: string,
	key: string,
	type: RecordType<T>,
	value: T
): T {
	const ref = parseDocName(docName);
	if (!ref) throw new Error(`not a document name: ${docName}`);
	const record = checkRecord(type, value);
	const map = doc.getMap(mapName);
	const refusal = authorizeChange(
		actor.claims,
		ref,
		{ map: mapName, key, action: map.has(key) ? 'update' : 'add', value: record },
		actor.org
	);
	if (refusal) throw new AccessError(refusal);
	doc.transact(() => map.set(key, record));
	return record;
}
