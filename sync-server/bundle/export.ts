// Exporting an offline bundle: the documents a relay token may read, each as its full Yjs state
// (or, with the receiver's state vectors, only what the receiver lacks), signed with the exporting
// relay's key. Runs against a relay's data folder, also while that relay is running (SQLite WAL
// readers do not block it), or against a running relay's storage.
import * as Y from 'yjs';
import { docAccess, type Claims } from '../../src/lib/data/access';
import { parseClaims } from '../../src/lib/data/claims';
import { DOC_MAPS } from '../../src/lib/data/access';
import { parseDocName } from '../../src/lib/data/documents';
import { orgViewOf } from '../../src/lib/data/org';
import type { Storage } from '../storage';
import type { RelayKeys } from '../tokens';
import { BundleError, encodeBundle, peekClaims, type BundleHeader } from './format';

/** The receiver's state vectors (`sitepass bundle state`): what it already holds, per document. */
export interface StateVectors {
	format: 'sitepass-state-vectors';
	version: 1;
	orgId: string;
	createdAt: string;
	/** Document name → Yjs state vector, base64url. */
	docs: Record<string, string>;
}

/** Documents are read in this order on import, so `org` (who works where) is applied first. */
const KIND_ORDER = { org: 0, blacklist: 1, contractor: 2, control: 3, events: 4 } as const;

export function orderDocs(names: string[]): string[] {
	const rank = (n: string) => {
		const ref = parseDocName(n);
		return ref ? KIND_ORDER[ref.kind] : 9;
	};
	return [...names].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** The claims of a relay token as the exporter sees them: shape checked, signature not (HQ's). */
export function relayClaims(token: string): Claims {
	const raw = peekClaims(token);
	const parsed = raw ? parseClaims(raw) : null;
	if (!parsed?.ok) {
		throw new BundleError(
			'BUNDLE_TOKEN_INVALID',
			`The token is not a SitePass token${parsed && !parsed.ok ? ` (${parsed.problems.join('; ')})` : ''}.`
		);
	}
	if ((parsed.value.role as string) !== 'relay') {
		throw new BundleError(
			'BUNDLE_TOKEN_ROLE',
			`The token has role "${parsed.value.role}"; a bundle needs the site relay's token (role relay, made at HQ with "sitepass token --role relay --site S").`
		);
	}
	return parsed.value;
}

function loadStored(storage: Storage, name: string): Y.Doc {
	const ref = parseDocName(name);
	return storage.loadDoc(name, (d) => {
		if (ref) for (const map of DOC_MAPS[ref.kind]) d.getMap(map);
	});
}

/** Names of the stored documents `claims` may read, in import order. */
export function readableDocs(storage: Storage, claims: Claims): string[] {
	const org = loadStored(storage, 'org');
	try {
		const view = orgViewOf(org);
		return orderDocs(
			storage.docNames().filter((name) => {
				const ref = parseDocName(name);
				return ref !== null && docAccess(claims, ref, view).read;
			})
		);
	} finally {
		org.destroy();
	}
}

export interface ExportOptions {
	storage: Storage;
	keys: RelayKeys;
	/** The HQ-signed relay token whose claims decide what goes in (and what it may write at HQ). */
	token: string;
	passphrase?: string;
	/** Only what the receiver lacks, per its state vectors; documents it lacks go whole. */
	since?: StateVectors;
	now?: Date;
	/**
	 * 'site-to-hq' (default): at the site, signed with the site relay's key. 'hq-to-site': at
	 * headquarters, signed with HQ's key, the same documents for the site the token names (the org
	 * and blacklist above all), for a site that has never had a network to take them from.
	 */
	direction?: BundleHeader['direction'];
}

export interface ExportResult {
	file: Buffer;
	header: Pick<BundleHeader, 'orgId' | 'createdAt'>;
	docs: { name: string; bytes: number; diff: boolean }[];
}

/** Builds a site-to-HQ bundle from a relay's stored documents. */
export function exportBundle(options: ExportOptions): ExportResult {
	const claims = relayClaims(options.token);
	if (options.since && options.since.orgId !== claims.iss) {
		throw new BundleError(
			'BUNDLE_OTHER_ORG',
			`The state file is from org ${options.since.orgId}, the token from org ${claims.iss}.`
		);
	}
	const parts: { name: string; data: Uint8Array; diff?: boolean }[] = [];
	for (const name of readableDocs(options.storage, claims)) {
		const doc = loadStored(options.storage, name);
		try {
			const sv = options.since?.docs[name];
			if (sv !== undefined) {
				parts.push({
					name,
					data: Y.encodeStateAsUpdate(doc, Buffer.from(sv, 'base64url')),
					diff: true
				});
			} else {
				parts.push({ name, data: Y.encodeStateAsUpdate(doc) });
			}
		} finally {
			doc.destroy();
		}
	}
	const createdAt = options.now ?? new Date();
	const file = encodeBundle({
		direction: options.direction ?? 'site-to-hq',
		orgId: claims.iss,
		token: options.token,
		privateKey: options.keys.privateKey,
		publicKeySpki: options.keys.publicKeySpki,
		parts,
		passphrase: options.passphrase,
		createdAt
	});
	return {
		file,
		header: { orgId: claims.iss, createdAt: createdAt.toISOString() },
		docs: parts.map((p) => ({ name: p.name, bytes: p.data.length, diff: p.diff === true }))
	};
}

/** The state vectors of the documents `claims` may read here (the receiver's side of `--since`). */
export function stateVectors(
	storage: Storage,
	orgId: string,
	claims: Claims,
	now = new Date()
): StateVectors {
	const docs: Record<string, string> = {};
	for (const name of readableDocs(storage, claims)) {
		const doc = loadStored(storage, name);
		try {
			docs[name] = Buffer.from(Y.encodeStateVector(doc)).toString('base64url');
		} finally {
			doc.destroy();
		}
	}
	return {
		format: 'sitepass-state-vectors',
		version: 1,
		orgId,
		createdAt: now.toISOString(),
		docs
	};
}

export function parseStateVectors(text: string): StateVectors {
	let raw: unknown;
	try {
		raw = JSON.parse(text);
	} catch {
		throw new BundleError('BUNDLE_MALFORMED', 'The state file is not JSON.');
	}
	const r = raw as Partial<StateVectors> | null;
	if (
		!r ||
		r.format !== 'sitepass-state-vectors' ||
		r.version !== 1 ||
		typeof r.orgId !== 'string' ||
		typeof r.docs !== 'object' ||
		r.docs === null ||
		!Object.values(r.docs).every((sv) => typeof sv === 'string' && /^[A-Za-z0-9_-]*$/.test(sv))
	) {
		throw new BundleError(
			'BUNDLE_MALFORMED',
			'The state file is not one written by "sitepass bundle state".'
		);
	}
	return r as StateVectors;
}
