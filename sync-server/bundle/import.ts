// Importing a site's offline bundle at headquarters. Every check runs before anything is written:
// the file's layout, payload checksum and signature (format.ts); the token MAC matches the
// signature THIS relay makes again for the embedded claims part (so the relay token was issued here
// and the bundle was made by its holder), and the token is of this org, not expired, not revoked,
// and has role `relay`; the exporting
// relay's key is the one pinned for that token (first use pins it); the payload decrypts and each
// part matches its checksum. Then every document is applied to a scratch relay holding copies of
// the documents involved, through the same `applyAs` path a socket's update takes (authorize,
// validate), so a refusal of any one document leaves nothing applied. Only then are the parts
// applied to the real relay — in the same synchronous run, so no other change can come between
// the rehearsal and the real thing. Applying full Yjs states is idempotent: a second import of
// the same bundle changes nothing. The real run is not one storage transaction (see applyForReal):
// a storage failure part-way leaves the earlier parts stored, and says so (BUNDLE_PARTIAL).
import { sign } from 'node:crypto';
import * as Y from 'yjs';
import { docAccess, type Claims } from '../../src/lib/data/access';
import { formatCloseReason, type CloseReasonCode } from '../../src/lib/data/relay-protocol';
import { parseDocName } from '../../src/lib/data/documents';
import { DownstreamSites } from '../federation/hub';
import { Relay } from '../relay';
import { Storage } from '../storage';
import type { RelayKeys } from '../tokens';
import { OrgMeta, isRevoked } from '../../src/lib/data/org';
import { readRecord } from '../../src/lib/data/records';
import { parseClaims } from '../../src/lib/data/claims';
import {
	BundleError,
	bundleParts,
	openBundle,
	peekClaims,
	tokenMacMatches,
	type OpenedBundle
} from './format';

export interface ImportTarget {
	relay: Relay;
	keys: RelayKeys;
	orgId: string;
	/**
	 * The running relay's record of sites served by their own relay (federation/hub.ts): a site
	 * that sends bundles is one, so HQ's certificate watch leaves its findings to it. Without it
	 * (a stopped relay) the record in the data folder is updated directly.
	 */
	downstream?: Pick<DownstreamSites, 'note'>;
	/**
	 * At a federated site relay: the claims of its own relay token (the `--upstream-token` it runs
	 * with). Headquarters' bundles are imported only with them: the bundle's token must name the
	 * same sites, and only the documents these claims may read are applied.
	 */
	siteClaims?: Claims;
}

export interface ImportResult {
	/** SHA-256 of the bundle's header. */
	id: string;
	orgId: string;
	createdAt: string;
	/** The relay token's id and subject (the site relay). */
	tokenId: string;
	subject: string;
	sites: string[];
	/** True when this import pinned the exporter's key for the token. */
	pinned: boolean;
	docs: {
		name: string;
		bytes: number;
		changed: boolean;
		/** Headquarters' bundle only: a part this site's token may not read, left out. */
		skipped?: boolean;
	}[];
}

const PIN_TABLE = `CREATE TABLE IF NOT EXISTS bundle_exporters (
	jti TEXT PRIMARY KEY, exporter_key TEXT NOT NULL, subject TEXT NOT NULL,
	first_at INTEGER NOT NULL, last_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bundle_imports (
	id TEXT NOT NULL, jti TEXT NOT NULL, at INTEGER NOT NULL, created_at TEXT NOT NULL,
	docs INTEGER NOT NULL, changed INTEGER NOT NULL);`;

/** The exporter key pinned for a relay token, if a bundle under it was imported before. */
export function pinnedKey(storage: Storage, jti: string): string | undefined {
	storage.db.exec(PIN_TABLE);
	const row = storage.db
		.prepare('SELECT exporter_key AS key FROM bundle_exporters WHERE jti = ?')
		.get(jti) as { key: string } | undefined;
	return row?.key;
}

/**
 * Checks the embedded token against this relay (the token MAC under the signature this relay makes
 * again for the claims part; org, lifetime, revocation, role) and the exporter key against the pin.
 * Returns the token's claims.
 */
export function checkBundleToken(target: ImportTarget, bundle: OpenedBundle): Claims {
	const { header } = bundle;
	if (header.direction !== 'site-to-hq') {
		throw new BundleError(
			'BUNDLE_DIRECTION',
			'This bundle carries headquarters data for a site; import it at the site relay.'
		);
	}
	if (header.orgId !== target.orgId) {
		throw new BundleError(
			'BUNDLE_OTHER_ORG',
			`The bundle is from org ${header.orgId}; this relay serves org ${target.orgId}.`
		);
	}
	// The token's signature is not in the file: this relay made it, and makes it again (Ed25519 is
	// deterministic). Only the token's holder could have made the MAC with it.
	const signature = sign(null, Buffer.from(header.tokenClaims), target.keys.privateKey);
	if (!tokenMacMatches(bundle, signature)) {
		throw new BundleError(
			'BUNDLE_TOKEN_MAC',
			"The bundle's token check does not match: the relay token in it was not issued by this relay, or the file was altered after export. Export it again at the site with the relay token headquarters issued."
		);
	}
	const check = target.relay.verify(`${header.tokenClaims}.${signature.toString('base64url')}`);
	if (!check.ok) {
		if (check.code === 'TOKEN_REVOKED' || check.code === 'PRINCIPAL_DISABLED') {
			throw new BundleError(
				'BUNDLE_TOKEN_REVOKED',
				'The relay token in the bundle has been revoked here; the bundle is refused. Issue the site a new relay token if it should still send data.'
			);
		}
		const why =
			check.code === 'TOKEN_EXPIRED'
				? 'it has expired; issue the site a new relay token (sitepass token --role relay) and export again'
				: `it was not signed by this relay (${check.message})`;
		throw new BundleError(
			'BUNDLE_TOKEN_INVALID',
			`The relay token in the bundle is not valid here: ${why}.`
		);
	}
	const claims = check.claims;
	if ((claims.role as string) !== 'relay') {
		throw new BundleError(
			'BUNDLE_TOKEN_ROLE',
			`The bundle's token has role "${claims.role}"; only a site relay's token (role relay) may carry a bundle.`
		);
	}
	const pinned = pinnedKey(target.relay.storage, claims.jti);
	if (pinned !== undefined && pinned !== header.exporterKey) {
		throw new BundleError(
			'BUNDLE_KEY_MISMATCH',
			`The bundle is signed by a different relay key than earlier bundles under the same token (${claims.sub}); it is refused. If the site relay was really reinstalled, revoke its token and issue a new one.`
		);
	}
	return claims;
}

/** Copies of `names` (and org) from the relay into a scratch relay with the same keys. */
function scratchRelay(target: ImportTarget, names: string[]): { relay: Relay; storage: Storage } {
	const storage = new Storage(':memory:');
	for (const name of new Set(['org', ...names])) {
		const state = target.relay.read(name, (doc) => Y.encodeStateAsUpdate(doc));
		storage.append(name, state);
	}
	const relay = new Relay({
		storage,
		keys: target.keys,
		orgId: target.orgId,
		log: () => {},
		maxMessageBytes: Number.MAX_SAFE_INTEGER,
		compactAfter: Number.MAX_SAFE_INTEGER,
		pendingTimeoutMs: 1000,
		pingIntervalMs: 24 * 3600 * 1000
	});
	return { relay, storage };
}

const WHY: Record<string, string> = {
	MISSING_DEPS:
		'it builds on changes this relay does not have (a diff since another state); export the whole state again, without --since',
	FORBIDDEN_DOC: "the site relay's token may not write this document",
	READ_ONLY: "the site relay's token may only read this document",
	BAD_UPDATE: 'its content is not a readable Yjs update',
	UNKNOWN_PATH: 'it holds a map or key no SitePass document has'
};

function refusalError(name: string, refusal: { reason: string; detail?: string }): BundleError {
	const why = WHY[refusal.reason] ?? "a change in it breaks the relay's rules";
	const what = formatCloseReason(refusal.reason as CloseReasonCode, refusal.detail);
	return new BundleError(
		'BUNDLE_DOC_REFUSED',
		`The bundle was not imported: ${name} was refused (${what}): ${why}. Nothing was written.`,
		name
	);
}

/**
 * Applies the parts to the real relay, one after the other. Each part is its own storage commit
 * (Relay.applyAs / applyTrusted append, forward to connected readers and run commit listeners per
 * update; the Relay offers no transaction spanning documents, and wrapping its calls in one SQLite
 * transaction would leave its live documents, readers and listeners ahead of a rolled-back disk).
 * After the rehearsal on copies in the same synchronous run, only a storage failure (disk full, I/O
 * error) can stop it part-way: the parts before are then stored and forwarded, the rest are not,
 * and the error says which. Importing the same bundle again once the cause is fixed completes it
 * (Yjs updates are idempotent).
 */
function applyForReal<P extends { name: string }>(parts: P[], apply: (part: P) => void): void {
	const done: string[] = [];
	for (const part of parts) {
		try {
			apply(part);
		} catch (err) {
			if (done.length === 0) throw err;
			const why = err instanceof Error ? err.message : String(err);
			throw new BundleError(
				'BUNDLE_PARTIAL',
				`The import stopped at ${part.name} (${why}) after ${done.join(', ')} had been applied and stored; ${parts
					.slice(done.length)
					.map((p) => p.name)
					.join(
						', '
					)} were not. Fix the cause and import the same bundle again: what is already stored is not applied twice.`,
				part.name
			);
		}
		done.push(part.name);
	}
}

/**
 * Imports a bundle into a running (or just opened) relay. Throws a BundleError, having written
 * nothing, when any check fails (BUNDLE_PARTIAL, after a storage failure part-way, is the one
 * exception: see applyForReal).
 */
export async function importBundle(
	target: ImportTarget,
	file: Uint8Array,
	options: { passphrase?: string; now?: number } = {}
): Promise<ImportResult> {
	const bundle = openBundle(file);
	if (bundle.header.direction === 'hq-to-site') return importFromHq(target, bundle, options);
	const claims = checkBundleToken(target, bundle);
	const parts = await bundleParts(bundle, options.passphrase);
	for (const part of parts) {
		if (!parseDocName(part.name)) {
			throw new BundleError('BUNDLE_MALFORMED', `${part.name} is not a document name.`, part.name);
		}
	}
	const scratch = scratchRelay(
		target,
		parts.map((p) => p.name)
	);
	let result: ImportResult;
	try {
		// The rehearsal: each part through the real intake, on copies.
		for (const part of parts) {
			// Checked even when the part brings nothing new (applyAs lets an empty change pass).
			if (!docAccess(claims, part.name, scratch.relay.orgView()).write) {
				throw new BundleError(
					'BUNDLE_DOC_FORBIDDEN',
					`The bundle was not imported: it holds ${part.name}, which the site relay's token (${claims.sub}, sites ${(claims.sites ?? []).join(', ') || 'none'}) may not write. Nothing was written.`,
					part.name
				);
			}
			const refusal = scratch.relay.applyAs(claims, part.name, part.data);
			if (refusal) throw refusalError(part.name, refusal);
		}
		// The real thing, in the same synchronous run. Each part is committed (and forwarded) as it
		// is applied: see applyForReal for what a failure part-way leaves.
		const changed = new Set<string>();
		const stop = target.relay.onCommit((name) => changed.add(name));
		try {
			applyForReal(parts, (part) => {
				const refusal = target.relay.applyAs(claims, part.name, part.data);
				// Cannot happen after the rehearsal unless the relay's state differs from its copy.
				if (refusal) throw refusalError(part.name, refusal);
			});
		} finally {
			stop();
		}
		const now = options.now ?? Date.now();
		const storage = target.relay.storage;
		const pinned = pinnedKey(storage, claims.jti) === undefined;
		storage.transaction(() => {
			storage.db
				.prepare(
					`INSERT INTO bundle_exporters (jti, exporter_key, subject, first_at, last_at)
					VALUES (?, ?, ?, ?, ?) ON CONFLICT(jti) DO UPDATE SET last_at = excluded.last_at`
				)
				.run(claims.jti, bundle.header.exporterKey, claims.sub, now, now);
			storage.db
				.prepare(
					'INSERT INTO bundle_imports (id, jti, at, created_at, docs, changed) VALUES (?, ?, ?, ?, ?, ?)'
				)
				.run(bundle.id, claims.jti, now, bundle.header.createdAt, parts.length, changed.size);
		});
		(target.downstream ?? new DownstreamSites(target.relay)).note(claims.sites ?? [], claims.sub);
		result = {
			id: bundle.id,
			orgId: bundle.header.orgId,
			createdAt: bundle.header.createdAt,
			tokenId: claims.jti,
			subject: claims.sub,
			sites: claims.sites ?? [],
			pinned,
			docs: parts.map((p) => ({ name: p.name, bytes: p.data.length, changed: changed.has(p.name) }))
		};
	} finally {
		await scratch.relay.close();
		scratch.storage.close();
	}
	return result;
}

/**
 * Imports headquarters' bundle at a site relay (direction hq-to-site): it must be signed by the key
 * the site's org document names for headquarters (`org.meta.relayKey`) — which makes the relay
 * token's claims part in its header headquarters' word — for this org, unexpired, not revoked here. The documents are then applied as the site relay
 * applies what comes down from headquarters by federation (`applyTrusted`), after a rehearsal on
 * copies so that a part that cannot be applied leaves nothing applied.
 */
export async function importFromHq(
	target: ImportTarget,
	bundle: OpenedBundle,
	options: { passphrase?: string; now?: number } = {}
): Promise<ImportResult> {
	const { header } = bundle;
	if (header.exporterKey === target.keys.publicKeySpki) {
		throw new BundleError(
			'BUNDLE_DIRECTION',
			'This relay made this bundle for a site; import it at the site relay.'
		);
	}
	if (header.orgId !== target.orgId) {
		throw new BundleError(
			'BUNDLE_OTHER_ORG',
			`The bundle is from org ${header.orgId}; this relay serves org ${target.orgId}.`
		);
	}
	const meta = target.relay.read('org', (doc) =>
		readRecord(OrgMeta, doc.getMap('meta').get('org'))
	);
	if (!meta.ok) {
		throw new BundleError(
			'BUNDLE_SIGNATURE',
			"This relay does not know headquarters' key yet (no org record); it cannot check the bundle."
		);
	}
	if (meta.record.relayKey !== header.exporterKey) {
		throw new BundleError(
			'BUNDLE_SIGNATURE',
			"The bundle is not signed by this org's headquarters relay key; it is refused."
		);
	}
	// The token's claims are headquarters' own words here: its key signed the header that holds
	// them (openBundle checked that signature, and the key is the org's headquarters key).
	const raw = peekClaims(header.tokenClaims);
	const parsed = raw ? parseClaims(raw) : null;
	const nowSeconds = Math.floor((options.now ?? Date.now()) / 1000);
	const invalid = !parsed?.ok
		? `bad claims${parsed && !parsed.ok ? `: ${parsed.problems.join('; ')}` : ''}`
		: parsed.value.iss !== target.orgId
			? 'issued by another org'
			: parsed.value.exp <= nowSeconds
				? 'it has expired'
				: null;
	if (invalid || !parsed?.ok) {
		throw new BundleError(
			'BUNDLE_TOKEN_INVALID',
			`The relay token in the bundle is not valid (${invalid ?? 'bad claims'}).`
		);
	}
	const claims = parsed.value;
	if ((claims.role as string) !== 'relay') {
		throw new BundleError('BUNDLE_TOKEN_ROLE', 'The bundle does not carry a site relay token.');
	}
	if (target.relay.read('org', (doc) => isRevoked(doc, claims.jti))) {
		throw new BundleError(
			'BUNDLE_TOKEN_REVOKED',
			'The relay token in the bundle has been revoked; the bundle is refused.'
		);
	}
	const site = target.siteClaims;
	if (!site || site.iss !== target.orgId) {
		throw new BundleError(
			'BUNDLE_SITE_UNKNOWN',
			"To import headquarters' bundle this relay needs its own relay token from headquarters (the --upstream-token it runs with): give it with --token, --token-file or SITEPASS_UPSTREAM_TOKEN."
		);
	}
	const ours = [...new Set(site.sites ?? [])].sort();
	const theirs = [...new Set(claims.sites ?? [])].sort();
	if (ours.length === 0 || ours.join('\n') !== theirs.join('\n')) {
		throw new BundleError(
			'BUNDLE_OTHER_SITE',
			`The bundle was made for sites ${theirs.join(', ') || 'none'}; this relay serves sites ${ours.join(', ') || 'none'}. Ask headquarters for a bundle made with this site's relay token.`
		);
	}
	const parts = await bundleParts(bundle, options.passphrase);
	for (const part of parts) {
		if (!parseDocName(part.name)) {
			throw new BundleError('BUNDLE_MALFORMED', `${part.name} is not a document name.`, part.name);
		}
	}
	const scratch = scratchRelay(
		target,
		parts.map((p) => p.name)
	);
	try {
		// Only what this site's own token may read (as federation brings down), decided on the copy
		// as each part lands, so a contractor newly placed here by the org part counts.
		const skipped = new Set<string>();
		for (const part of parts) {
			if (!docAccess(site, part.name, scratch.relay.orgView()).read) {
				skipped.add(part.name);
				continue;
			}
			if (!scratch.relay.applyTrusted(part.name, part.data)) {
				throw refusalError(part.name, { reason: 'MISSING_DEPS' });
			}
		}
		const changed = new Set<string>();
		const stop = target.relay.onCommit((name) => changed.add(name));
		try {
			applyForReal(
				parts.filter((p) => !skipped.has(p.name)),
				(part) => {
					if (!target.relay.applyTrusted(part.name, part.data)) {
						throw refusalError(part.name, { reason: 'MISSING_DEPS' });
					}
				}
			);
		} finally {
			stop();
		}
		return {
			id: bundle.id,
			orgId: header.orgId,
			createdAt: header.createdAt,
			tokenId: claims.jti,
			subject: claims.sub,
			sites: claims.sites ?? [],
			pinned: false,
			docs: parts.map((p) => ({
				name: p.name,
				bytes: p.data.length,
				changed: changed.has(p.name),
				...(skipped.has(p.name) ? { skipped: true } : {})
			}))
		};
	} finally {
		await scratch.relay.close();
		scratch.storage.close();
	}
}
