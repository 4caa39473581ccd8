// Withdrawing a worker's separate consent (个人信息保护法 单独同意): records the withdrawal and deletes
// the data the consent covered, in one transaction; the relay and devices then purge their logs.
import type * as Y from 'yjs';
import { authorizeChange, DOC_MAPS, type RecordChange, type Refusal } from './access';
import { AccessError, putRecord, type Actor } from './commands';
import { ConsentRecord } from './contractor';
import { contractorDoc, parseDocName, type DocKind } from './documents';
import { CONSENT_MAPS, type ErasablePurpose } from './erasure';
import { newId } from './org-commands';
import { checkRecord, readRecord } from './records';

export { CONSENT_MAPS, type ErasablePurpose };

/** What is recorded as shown to the worker when the caller passes no text of its own. */
export const DEFAULT_WITHDRAWAL_TEXT: Record<ErasablePurpose, string> = {
	health:
		'本人撤回对收集、使用本人健康信息（血型、过敏史）的单独同意。上述信息将从系统及各设备中删除。',
	face: '本人撤回对收集、使用本人人脸信息的单独同意。人脸信息将从系统及各设备中删除；此后进场通过证件或二维码核验。'
};
export const DEFAULT_WITHDRAWAL_VERSION = 'withdrawal-1';

export interface WithdrawalText {
	/** The exact text shown to the worker (kept in the consent history). */
	textShown?: string;
	textVersion?: string;
}

export interface Withdrawal {
	/** The new consent record (granted: false). */
	consent: ConsentRecord;
	/** Whether there was data to delete (false: only the withdrawal was recorded). */
	erased: boolean;
	/**
	 * Blob hashes the deleted record referred to that no other record of the document refers to:
	 * the caller removes them from the relay (`DELETE /blobs/<hash>?doc=<document>`).
	 */
	blobs: string[];
}

/** The worker's latest consent record for `purpose` (by time, a withdrawal winning a tie). */
export function currentConsent(
	doc: Y.Doc,
	workerId: string,
	purpose: ConsentRecord['purpose']
): ConsentRecord | undefined {
	let latest: ConsentRecord | undefined;
	for (const raw of doc.getMap('consents').values()) {
		const read = readRecord(ConsentRecord, raw);
		if (!read.ok || read.record.workerId !== workerId || read.record.purpose !== purpose) continue;
		const r = read.record;
		if (!latest || r.at > latest.at || (r.at === latest.at && !r.granted && latest.granted)) {
			latest = r;
		}
	}
	return latest;
}

const HASH = /^[0-9a-f]{64}$/;

function hashesIn(value: unknown, into: Set<string>): Set<string> {
	if (typeof value === 'string') {
		if (HASH.test(value)) into.add(value);
	} else if (Array.isArray(value)) {
		for (const v of value) hashesIn(v, into);
	} else if (typeof value === 'object' && value !== null) {
		for (const v of Object.values(value)) hashesIn(v, into);
	}
	return into;
}

/**
 * Records the withdrawal of the worker's consent to `purpose` and deletes what it covered: the
 * worker's `health` record (blood type, Rh, allergies) or `faces` record (face template). The
 * consent history is kept: it holds no health or face data, and it proves when consent ended.
 *
 * Medical exam records (`medical`: fit/unfit, exam scans) are not deleted: occupational health
 * examinations are a legal work-safety requirement (职业病防治法), processed without consent, so
 * withdrawing consent does not cover them.
 *
 * Both the consent record and the deletion are checked against the access rules first, then
 * written in one transaction. Throws AccessError when the actor may not make either change.
 */
export function withdrawConsent(
	doc: Y.Doc,
	contractorId: string,
	actor: Actor,
	workerId: string,
	purpose: ErasablePurpose,
	now = new Date(),
	text: WithdrawalText = {}
): Withdrawal {
	const name = contractorDoc(contractorId);
	const ref = parseDocName(name);
	if (!ref) throw new Error(`not a contractor id: ${contractorId}`);
	const mapName = CONSENT_MAPS[purpose];
	if (!mapName) throw new Error(`consent to ${String(purpose)} is not withdrawn with erasure`);
	const data = doc.getMap(mapName);
	if (!doc.getMap('workers').has(workerId) && !data.has(workerId)) {
		throw new Error(`unknown worker ${workerId}`);
	}
	const id = newId('N');
	const consent = checkRecord(ConsentRecord, {
		schema: 1,
		id,
		workerId,
		purpose,
		granted: false,
		textShown: text.textShown?.trim() || DEFAULT_WITHDRAWAL_TEXT[purpose],
		textVersion: text.textVersion ?? DEFAULT_WITHDRAWAL_VERSION,
		at: now.toISOString(),
		recordedBy: actor.claims.sub
	});
	const existing = data.get(workerId);
	const erased = data.has(workerId);
	// Deletions are authorised like any write (putRecord checks the consent record below); both
	// are checked before anything is written, since a Yjs transaction cannot be rolled back.
	const refusal =
		authorizeChange(actor.claims, ref, { map: 'consents', key: id, action: 'add' }, actor.org) ??
		(erased
			? authorizeChange(
					actor.claims,
					ref,
					{ map: mapName, key: workerId, action: 'delete' },
					actor.org
				)
			: null);
	if (refusal) throw new AccessError(refusal);

	doc.transact(() => {
		putRecord(doc, name, actor, 'consents', id, ConsentRecord, consent);
		if (erased) data.delete(workerId);
	});

	const blobs = hashesIn(existing, new Set());
	if (blobs.size > 0) {
		for (const map of DOC_MAPS.contractor) {
			for (const value of doc.getMap(map).values()) {
				for (const h of hashesIn(value, new Set())) blobs.delete(h);
			}
		}
	}
	return { consent, erased, blobs: [...blobs] };
}

/**
 * The relay's check on health and face data: a record may be added or changed only while the
 * worker's consent for it stands (a device offline during a withdrawal must not bring the data
 * back). The consent may arrive in the same update, as registration writes both at once.
 */
export function consentRefusal(kind: DocKind, doc: Y.Doc, change: RecordChange): Refusal | null {
	if (kind !== 'contractor' || change.action === 'delete') return null;
	const purpose = (Object.keys(CONSENT_MAPS) as ErasablePurpose[]).find(
		(p) => CONSENT_MAPS[p] === change.map
	);
	if (!purpose) return null;
	if (currentConsent(doc, change.key, purpose)?.granted) return null;
	return {
		code: 'NO_CONSENT',
		message: `no standing ${purpose} consent for worker ${change.key}`,
		map: change.map,
		key: change.key
	};
}
