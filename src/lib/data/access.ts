// Who may read and write which document, and which record paths inside it (DESIGN.md "Who uses
// it" and "Documents"). The relay enforces these rules; devices call the same functions so the UI
// never offers a change the relay would refuse.
import { parseDocName, type DocRef } from './documents';
import { permitRefusal } from './permit-rules';

export const ROLES = [
	'admin',
	'staff',
	'contractor',
	'worker',
	'gate',
	'hq',
	'integration',
	'relay'
] as const;
export type Role = (typeof ROLES)[number];
export const STAFF_ROLES = ['project_lead', 'safety', 'director'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/** What a signed token says about its bearer (JWT claims). */
export interface Claims {
	/** The org id that issued the token. */
	iss: string;
	/** User, device or integration id. */
	sub: string;
	role: Role;
	staffRole?: StaffRole;
	/** Sites this staff member, gate, worker or integration belongs to. */
	sites?: string[];
	/** The contractor a contractor admin (or worker) belongs to. */
	contractor?: string;
	/** Token id, for revocation. */
	jti: string;
	iat: number;
	/** Every token expires; the relay refuses one without `exp`. */
	exp: number;
}

/** What the access rules need to know from the `org` document. */
export interface OrgView {
	/** Sites where a contractor works; undefined for an unknown contractor. */
	contractorSites(contractorId: string): readonly string[] | undefined;
	/**
	 * A user, gate or integration as `org.users` lists it (raw, unvalidated); undefined when unknown.
	 * Only the federation rule for site relays' org writes reads it (without it they are refused).
	 */
	principal?(id: string): unknown;
}

export interface DocAccess {
	/** May receive the document's content. */
	read: boolean;
	/** May send changes (each still checked by `authorizeChange`). */
	write: boolean;
}

const NONE: DocAccess = { read: false, write: false };

function worksAtAny(org: OrgView, contractorId: string, sites: readonly string[]): boolean {
	const where = org.contractorSites(contractorId) ?? [];
	return where.some((s) => sites.includes(s));
}

/** The document-level rule: DESIGN.md's read/write table. */
export function docAccess(claims: Claims, doc: DocRef | string, org: OrgView): DocAccess {
	const ref = typeof doc === 'string' ? parseDocName(doc) : doc;
	if (!ref) return NONE;
	const sites = claims.sites ?? [];
	switch (claims.role) {
		case 'admin':
			return { read: true, write: ref.kind === 'org' };
		case 'hq':
			return { read: true, write: false };
		case 'integration':
			// Integrations use the REST API; the relay answers them from its own replica.
			return NONE;
		case 'relay':
			// A site relay federated to this one (sync-server/federation): its sites' documents, the
			// documents of contractors working there, and the org and blacklist shared by all sites.
			switch (ref.kind) {
				case 'org':
				case 'blacklist':
					return { read: true, write: true };
				case 'contractor': {
					const ok = worksAtAny(org, ref.contractorId, sites);
					return { read: ok, write: ok };
				}
				case 'control':
				case 'events': {
					const ok = sites.includes(ref.siteId);
					return { read: ok, write: ok };
				}
			}
			break;
		case 'staff':
			switch (ref.kind) {
				case 'org':
					return { read: true, write: false };
				case 'blacklist':
					return { read: true, write: claims.staffRole === 'safety' };
				case 'contractor': {
					const ok = worksAtAny(org, ref.contractorId, sites);
					return { read: ok, write: ok };
				}
				case 'control':
				case 'events': {
					const ok = sites.includes(ref.siteId);
					return { read: ok, write: ok };
				}
			}
			break;
		case 'contractor':
			switch (ref.kind) {
				case 'org':
					return { read: true, write: false };
				case 'contractor': {
					const ok = !!claims.contractor && claims.contractor === ref.contractorId;
					return { read: ok, write: ok };
				}
				case 'control': {
					// Writes only their own acknowledgements of warnings (authorizeChange).
					const ok =
						!!claims.contractor &&
						(org.contractorSites(claims.contractor) ?? []).includes(ref.siteId);
					return { read: ok, write: ok };
				}
				default:
					return NONE;
			}
		case 'gate':
			switch (ref.kind) {
				case 'org':
				case 'blacklist':
					return { read: true, write: false };
				case 'contractor':
					return { read: worksAtAny(org, ref.contractorId, sites), write: false };
				case 'control':
					return { read: sites.includes(ref.siteId), write: false };
				case 'events': {
					const ok = sites.includes(ref.siteId);
					return { read: ok, write: ok };
				}
			}
			break;
		case 'worker':
			switch (ref.kind) {
				case 'org':
					return { read: true, write: false };
				case 'events':
					// A worker sends its own location pings (and its phone's geofence alarms) and never
					// receives anyone else's events.
					return { read: false, write: sites.includes(ref.siteId) };
				case 'contractor':
					// Its own consent to location tracking, given on its phone; write-only, since the
					// document holds its colleagues too.
					return { read: false, write: claims.contractor === ref.contractorId };
				default:
					return NONE;
			}
	}
	return NONE;
}

/** Safety staff and directors set the gate rules, the hard-hat model and the blur of pictures. */
export function makesSafetyDecisions(claims: Claims): boolean {
	return claims.role === 'staff' && ['director', 'safety'].includes(claims.staffRole ?? '');
}

/** Changes to a site's control document that only its safety staff or director may make. */
function isSafetyDecision(change: RecordChange): boolean {
	if (change.map === 'settings') return ['gate', 'ppe', 'monitor', 'permits'].includes(change.key);
	return change.map === 'ppeModels' || change.map === 'ppeLabels';
}

/** The top-level maps each kind of document has; anything else is refused. */
export const DOC_MAPS = {
	org: ['meta', 'sites', 'contractors', 'users', 'devices', 'keys', 'revoked', 'settings'],
	contractor: [
		'workers',
		'health',
		'emergency',
		'certificates',
		'training',
		'medical',
		'consents',
		'faces',
		'passes',
		'pins',
		'applications'
	],
	control: [
		'settings',
		'decisions',
		'verifications',
		'checks',
		'warnings',
		'digests',
		'acks',
		'permits',
		'permitActions',
		'permitReadings',
		'zones',
		'assignments',
		'equipment',
		'cameras',
		'ppeLabels',
		'ppeModels'
	],
	blacklist: ['entries'],
	events: [
		'attendance',
		'received',
		'alerts',
		'alertActions',
		'pings',
		'musters',
		'rollcall',
		'ratings',
		'incidents'
	]
} as const satisfies Record<DocRef['kind'], readonly string[]>;

/** Maps whose records are never changed or removed once written (logs keyed by ULID). */
export const APPEND_ONLY: Partial<Record<DocRef['kind'], readonly string[]>> = {
	// Un-revoking a token by deleting its entry would bring a lost device back.
	org: ['revoked'],
	control: ['decisions', 'verifications', 'acks', 'permitActions', 'permitReadings'],
	events: ['attendance', 'alerts', 'alertActions', 'pings', 'rollcall', 'ratings', 'incidents']
};

/**
 * Maps only the relay writes (its own writes bypass these checks): registry checks, warnings and
 * digests are its findings, and no device may make or change them.
 */
export const RELAY_ONLY: Partial<Record<DocRef['kind'], readonly string[]>> = {
	// Signing keys are bound at enrolment and revoked by the relay (revocation, role change).
	org: ['meta', 'keys'],
	control: ['checks', 'warnings', 'digests'],
	// When the relay first saw each attendance event: a clock no gate can set.
	events: ['received']
};

/** One change to one record, as the relay sees it after integrating an update. */
export interface RecordChange {
	map: string;
	key: string;
	action: 'add' | 'update' | 'delete';
	/** The value after the change (undefined for delete). */
	value?: unknown;
	/** The value it replaced (updates of whole records, where the relay knows it). */
	previous?: unknown;
	/** The change created a shared type inside a record instead of a plain JSON value. */
	nested?: boolean;
}

export type RefusalCode =
	| 'FORBIDDEN_DOC'
	| 'READ_ONLY'
	| 'UNKNOWN_PATH'
	| 'NESTED_TYPE'
	| 'APPEND_ONLY'
	| 'NOT_OWN_RECORD'
	| 'INVALID_RECORD'
	| 'INVALID_SIGNATURE'
	| 'NO_CONSENT';

export interface Refusal {
	code: RefusalCode;
	message: string;
	map?: string;
	key?: string;
}

/** Whether `claims` may make `change` in `doc`; null when allowed, else why not. */
export function authorizeChange(
	claims: Claims,
	doc: DocRef,
	change: RecordChange,
	org: OrgView
): Refusal | null {
	const access = docAccess(claims, doc, org);
	if (!access.write) {
		return {
			code: access.read ? 'READ_ONLY' : 'FORBIDDEN_DOC',
			message: `role ${claims.role} may not write this document`
		};
	}
	const at = { map: change.map, key: change.key };
	const maps: readonly string[] = DOC_MAPS[doc.kind];
	if (!maps.includes(change.map)) {
		return {
			code: 'UNKNOWN_PATH',
			message: `no record map "${change.map}" in this document`,
			...at
		};
	}
	if (claims.role === 'relay') {
		// A federation peer: a site relay that HQ issued a relay token to. It forwards what its own
		// relay already checked and accepted — other people's changes (ticks, alert actions,
		// retention deletes of pings, erasures) and that relay's own findings in relay-only maps
		// (received, checks, warnings, digests, org.keys) — so the per-role own-name, relay-only and
		// append-only rules, which speak about the original author, do not apply to it. HQ trusts a
		// site relay it issued a token to, for its sites only (docAccess above). What stays: known
		// maps, plain JSON records (the caller still validates each value), and never the org's
		// identity and key (org.meta), which only the HQ relay itself writes.
		if (doc.kind === 'org') {
			// …except in the org, which decides who reads and signs what everywhere: there a site
			// relay only adds revocations and manages its own sites' people (relayOrgRefusal).
			const refused = relayOrgRefusal(claims, change, org);
			if (refused) return refused;
		}
		if (change.nested) {
			return { code: 'NESTED_TYPE', message: 'records must be plain JSON values', ...at };
		}
		return null;
	}
	if (RELAY_ONLY[doc.kind]?.includes(change.map)) {
		// The org's identity and key, registry checks, warnings: the relay's findings only.
		return {
			code: 'READ_ONLY',
			message: `records in "${change.map}" are written by the relay only`,
			...at
		};
	}
	if (change.nested) {
		return { code: 'NESTED_TYPE', message: 'records must be plain JSON values', ...at };
	}
	if (APPEND_ONLY[doc.kind]?.includes(change.map) && change.action !== 'add') {
		return {
			code: 'APPEND_ONLY',
			message: `records in "${change.map}" cannot be changed or removed`,
			...at
		};
	}
	if (claims.role === 'worker') {
		const value = (
			typeof change.value === 'object' && change.value !== null ? change.value : {}
		) as {
			schema?: unknown;
			workerId?: unknown;
			kind?: unknown;
			purpose?: unknown;
			recordedBy?: unknown;
		};
		// A phone writes only versions this build knows (no record it cannot check in full).
		const mine = change.action === 'add' && value.workerId === claims.sub && value.schema === 1;
		const own =
			mine &&
			((doc.kind === 'events' && change.map === 'pings') ||
				// The phone's own geofence alarm, raised to safety staff when it syncs.
				(doc.kind === 'events' && change.map === 'alerts' && value.kind === 'geofence') ||
				(doc.kind === 'contractor' &&
					change.map === 'consents' &&
					value.purpose === 'location' &&
					value.recordedBy === claims.sub));
		if (!own)
			return {
				code: 'NOT_OWN_RECORD',
				message:
					'a worker may only add its own location pings, geofence alarms and location consent',
				...at
			};
		return null;
	}
	if (doc.kind === 'control' && change.map === 'acks') {
		// Everyone acknowledges for themselves only: key `<item>|<own id>`, `by` = own id.
		const by = (change.value as { by?: unknown } | undefined)?.by;
		if (!change.key.endsWith(`|${claims.sub}`) || by !== claims.sub)
			return {
				code: 'NOT_OWN_RECORD',
				message: 'an acknowledgement can only be made for oneself',
				...at
			};
		return null;
	}
	if (doc.kind === 'control' && change.map === 'settings' && change.key.startsWith('chain:')) {
		// The approval chain decides who signs what: the site's director sets it.
		if (claims.role !== 'staff' || claims.staffRole !== 'director')
			return {
				code: 'READ_ONLY',
				message: 'only the director sets the approval chain',
				...at
			};
	}
	if (doc.kind === 'control' && isSafetyDecision(change)) {
		// Who may enter, which hard-hat model judges it, what the labels teach it, whether faces are
		// blurred in alert pictures: safety decisions, made by the site's safety staff or director.
		if (!makesSafetyDecisions(claims))
			return {
				code: 'READ_ONLY',
				message: 'only safety staff or the director change the gate rules and the hard-hat check',
				...at
			};
	}
	if (doc.kind === 'control' && change.map === 'ppeModels' && change.action === 'update') {
		// A trained version is kept as trained (its blob and numbers); only its promotion is recorded.
		const before = (change.previous ?? null) as Record<string, unknown> | null;
		const after = (change.value ?? {}) as Record<string, unknown>;
		const fixed = [
			'schema',
			'version',
			'blob',
			'trainedAt',
			'by',
			'labels',
			'current',
			'candidate'
		];
		if (before && fixed.some((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k])))
			return {
				code: 'READ_ONLY',
				message: 'a trained hard-hat model cannot be changed, only promoted or rolled back',
				...at
			};
	}
	if (claims.role === 'staff' && doc.kind === 'events' && change.map === 'pings') {
		// A position is the worker's own phone's word, never written for them.
		return {
			code: 'NOT_OWN_RECORD',
			message: 'location pings come from the worker’s own phone',
			...at
		};
	}
	if (claims.role === 'staff' && doc.kind === 'events' && change.map === 'rollcall') {
		// A tick is made in the ticker's own name (who ticked whom, and when, is the record).
		if ((change.value as { by?: unknown } | undefined)?.by !== claims.sub)
			return {
				code: 'NOT_OWN_RECORD',
				message: 'a roll-call tick is recorded in one’s own name',
				...at
			};
	}
	if (claims.role === 'staff' && doc.kind === 'events' && change.map === 'musters') {
		const before = (change.previous ?? null) as Record<string, unknown> | null;
		const after = (change.value ?? {}) as Record<string, unknown>;
		if (change.action === 'delete')
			return { code: 'APPEND_ONLY', message: 'a muster’s record is kept', ...at };
		if (change.action === 'add' && after.startedBy !== claims.sub)
			return {
				code: 'NOT_OWN_RECORD',
				message: 'a muster is started in one’s own name',
				...at
			};
		if (change.action === 'update' && before) {
			// Only ending it: who started it, when, and whom it listed stay as they were.
			const changed = Object.keys({ ...before, ...after }).filter(
				(k) => JSON.stringify(before[k]) !== JSON.stringify(after[k])
			);
			const ending = ['endedAt', 'endedBy', 'endedByName'];
			if (
				before.endedAt ||
				changed.some((k) => !ending.includes(k)) ||
				after.endedBy !== claims.sub
			)
				return {
					code: 'APPEND_ONLY',
					message: 'a muster can only be ended, once, in one’s own name',
					...at
				};
		}
	}
	if (doc.kind === 'events' && (change.map === 'ratings' || change.map === 'incidents')) {
		// A job rating or a safety incident is site staff's word, in their own name (招标依据).
		if (claims.role !== 'staff')
			return {
				code: 'READ_ONLY',
				message: 'only site staff rate jobs and record safety incidents',
				...at
			};
		if ((change.value as { by?: unknown } | undefined)?.by !== claims.sub)
			return {
				code: 'NOT_OWN_RECORD',
				message: 'a rating or an incident is recorded in one’s own name',
				...at
			};
	}
	if (doc.kind === 'events' && change.map === 'alertActions') {
		// Everyone acts on alerts in their own name.
		const by = (change.value as { by?: unknown } | undefined)?.by;
		if (change.action === 'add' && by !== claims.sub)
			return {
				code: 'NOT_OWN_RECORD',
				message: 'an alert action is recorded in one’s own name',
				...at
			};
	}
	if (
		doc.kind === 'control' &&
		['permits', 'permitActions', 'permitReadings'].includes(change.map)
	) {
		const refusal = permitRefusal(claims, change);
		if (refusal) return refusal;
	}
	if (claims.role === 'contractor' && doc.kind === 'control') {
		return { code: 'READ_ONLY', message: 'a contractor only acknowledges warnings here', ...at };
	}
	if (doc.kind === 'control' && change.map === 'verifications') {
		// Devices record manual checks only, in their own name, with the registry's answer scanned;
		// registry answers come from the relay alone.
		const value = (change.value ?? {}) as {
			source?: unknown;
			by?: unknown;
			trigger?: unknown;
			evidence?: { scan?: unknown };
		};
		if (
			value.trigger !== 'manual' ||
			value.by !== claims.sub ||
			value.source !== `manual:${claims.sub}` ||
			typeof value.evidence?.scan !== 'string'
		)
			return {
				code: 'NOT_OWN_RECORD',
				message: 'a device may only record its own manual check, with the scanned answer',
				...at
			};
	}
	if (
		claims.role === 'gate' &&
		doc.kind === 'events' &&
		!['attendance', 'alerts'].includes(change.map)
	) {
		return { code: 'READ_ONLY', message: 'a gate only records attendance and alerts', ...at };
	}
	return null;
}

/** The id a federated site relay's first admin gets (server.ts): confined to that site. */
export function siteAdminId(siteId: string): string {
	return `admin-${siteId}`.slice(0, 64);
}

/** Why a federated site's relay refuses its own admin's org edits that HQ would refuse. */
export const FEDERATED_ORG_REFUSAL = '此工地已接入总部：工地、承包商和规则由总部管理';

/** Org maps only headquarters writes once sites are federated. */
const HQ_MANAGED_ORG_MAPS = ['meta', 'sites', 'contractors', 'settings'];

function asObject(value: unknown): Record<string, unknown> | null {
	return typeof value === 'object' && value !== null && !Array.isArray(value)
		? (value as Record<string, unknown>)
		: null;
}

function stringList(value: unknown): string[] | null {
	return Array.isArray(value) && value.every((s) => typeof s === 'string') ? value : null;
}

/**
 * Whether a principal record (as `org.users` holds it) belongs to `sites` alone, so a relay serving
 * those sites may write it: staff, gates and workers of those sites only (at least one site), a
 * contractor admin of a contractor working there, and the site's own first admin (`siteAdminId`).
 * Never headquarters' admins, `hq`, `relay` or `integration` principals.
 */
export function principalConfinedTo(
	principal: unknown,
	sites: readonly string[],
	org: OrgView
): boolean {
	const p = asObject(principal);
	const own = stringList(p?.sites);
	if (!p || !own || !own.every((s) => sites.includes(s))) return false;
	switch (p.role) {
		case 'staff':
		case 'gate':
		case 'worker':
			return own.length > 0;
		case 'contractor':
			return typeof p.contractor === 'string' && worksAtAny(org, p.contractor, sites);
		case 'admin':
			return typeof p.id === 'string' && sites.some((s) => siteAdminId(s) === p.id);
		default:
			return false;
	}
}

/**
 * A federated site relay's change to the `org` document, judged at headquarters (and by the site
 * relay itself before it lets its own admin make it, so it never uploads what HQ refuses): sites,
 * contractors, settings and the org's identity are HQ's; revocations are only added; users, devices
 * and signing keys only of principals confined to the relay's sites (before and after the change);
 * a key binding, once made, only gets revoked. Null when allowed.
 */
export function relayOrgRefusal(
	claims: Claims,
	change: RecordChange,
	org: OrgView
): Refusal | null {
	const at = { map: change.map, key: change.key };
	const sites = claims.sites ?? [];
	const confined = (p: unknown) => principalConfinedTo(p, sites, org);
	const principalOf = (value: unknown) => {
		const id = asObject(value)?.principal;
		return typeof id === 'string' ? org.principal?.(id) : undefined;
	};
	const outside = (what: string): Refusal => ({
		code: 'NOT_OWN_RECORD',
		message: `a site relay only writes ${what} of people confined to its own sites`,
		...at
	});
	if (HQ_MANAGED_ORG_MAPS.includes(change.map))
		return {
			code: 'READ_ONLY',
			message: `records in "${change.map}" are written at headquarters only`,
			...at
		};
	if (change.map === 'revoked') {
		if (change.action !== 'add')
			return { code: 'APPEND_ONLY', message: 'a revocation is never undone', ...at };
		return null;
	}
	if (change.action === 'delete')
		return { code: 'APPEND_ONLY', message: `a site relay does not remove "${change.map}"`, ...at };
	const value = asObject(change.value);
	if (!value || value.id !== change.key)
		return { code: 'INVALID_RECORD', message: 'a record must be kept under its own id', ...at };
	const before = change.action === 'update' ? change.previous : undefined;
	if (change.map === 'users') {
		if (!confined(value) || (change.action === 'update' && !confined(before)))
			return outside('users');
		return null;
	}
	if (change.map === 'devices') {
		if (
			!confined(principalOf(value)) ||
			(change.action === 'update' && !confined(principalOf(before)))
		)
			return outside('devices');
		return null;
	}
	if (change.map === 'keys') {
		const own = stringList(value.sites);
		const inSites = !!own && own.every((s) => sites.includes(s));
		if (change.action === 'add') {
			const holder = asObject(principalOf(value));
			if (
				!inSites ||
				!holder ||
				!confined(holder) ||
				holder.role !== value.role ||
				holder.staffRole !== value.staffRole
			)
				return outside('signing keys');
			return null;
		}
		// An update only revokes: every field as it was, `revokedAt` set.
		const old = asObject(before);
		const same =
			!!old &&
			typeof value.revokedAt === 'string' &&
			Object.keys({ ...old, ...value }).every(
				(k) => k === 'revokedAt' || JSON.stringify(old[k]) === JSON.stringify(value[k])
			);
		if (!same)
			return { code: 'READ_ONLY', message: 'a bound signing key can only be revoked', ...at };
		if (!((own && own.length > 0 && inSites) || confined(principalOf(value))))
			return outside('signing keys');
		return null;
	}
	return null;
}

/** The documents a device with these claims keeps a replica of (besides its month partitions). */
export function readableDocs(
	claims: Claims,
	siteIds: readonly string[],
	contractorIds: readonly string[],
	org: OrgView
): string[] {
	const candidates = [
		'org',
		'blacklist',
		...siteIds.map((s) => `site:${s}:control`),
		...contractorIds.map((c) => `contractor:${c}`)
	];
	return candidates.filter((name) => docAccess(claims, name, org).read);
}
