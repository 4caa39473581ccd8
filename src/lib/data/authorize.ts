// The question a door controller, turnstile or equipment interlock asks (POST /api/v1/authorize):
// may this worker enter (the site, or a zone) or operate this machine, now? Answered with the gate's
// own rules — entryInputFor + decideEntry, the site's gate rules — and the permit rules of the
// domain, so a door never disagrees with the gate tablet beside it. Pure: the relay passes the
// documents (or indexed views of them) and who is on site.
import {
	decideEntry,
	decideWork,
	permitAccess,
	permitKind,
	zoneEntryRule,
	type AccessReason,
	type IdentityCheck,
	type PermitOnRecord,
	type PpeReading,
	type Reason,
	type SiteKind
} from '../domain';
import { entryInputFor, gateRules, type GateDocs } from './gate';
import type { Forgery } from './approvals';
import { Equipment, SiteZone, type DocLike } from './permits';
import { readRecord } from './records';
import { workerCertificates } from './verification';

export interface AuthorizeQuery {
	site: { id: string; kind: SiteKind; timeZone: string };
	action: 'enter' | 'operate';
	worker: { contractorId: string; workerId: string };
	/** How the caller identified the worker: a signed pass ('qr') or an ID / worker number. */
	method: IdentityCheck['method'];
	zone?: string | null;
	equipment?: string | null;
	/** The work about to be done; default: the equipment's, else what the approval names. */
	workType?: string | null;
	at: Date;
	/** The relay's attendance: whether the worker's last admitted passage here was an entry. */
	onSite?: boolean;
	/** A hard-hat reading, when the caller has a camera; without one the hard-hat rule is not applied. */
	ppe?: PpeReading | null;
	/** The site's permits as they stand at `at` (at least those naming this worker). */
	permits: readonly PermitOnRecord[];
}

export type AuthorizeReason = Reason | AccessReason;

export interface AuthorizeDecision {
	allow: boolean;
	reasons: AuthorizeReason[];
	workType: string | null;
	/** The permit that let the worker in (zone or machine needing one). */
	permit: string | null;
}

function ordered(reasons: AuthorizeReason[]): AuthorizeReason[] {
	return [
		...reasons.filter((r) => r.severity === 'deny'),
		...reasons.filter((r) => r.severity !== 'deny')
	];
}

export function authorize(
	docs: GateDocs & { control: DocLike },
	q: AuthorizeQuery,
	cache?: Map<string, true | Forgery>
): AuthorizeDecision {
	const reasons: AuthorizeReason[] = [];
	const rules = { ...gateRules(docs.control, q.site.timeZone) };
	// Hard hats are judged by cameras; a caller without one does not turn every answer into a no.
	if (!q.ppe) rules.requirePpe = false;

	let zoneId = q.zone ?? null;
	let workType = q.workType ?? undefined;
	let needsPermit: { kinds: string[]; roleWorkType: string | null } | null = null;

	if (q.action === 'operate') {
		const read = q.equipment
			? readRecord(Equipment, docs.control.getMap('equipment').get(q.equipment))
			: null;
		if (!read?.ok || read.record.siteId !== q.site.id) {
			return {
				allow: false,
				reasons: [{ code: 'EQUIPMENT_UNKNOWN', severity: 'deny', equipment: q.equipment ?? '' }],
				workType: null,
				permit: null
			};
		}
		const eq = read.record;
		if (eq.outOfService)
			reasons.push({ code: 'EQUIPMENT_OUT_OF_SERVICE', severity: 'deny', equipment: eq.id });
		// The machine decides the work: a crane's interlock asks about the crane driver's ticket.
		workType = eq.workType;
		zoneId = eq.zone ?? zoneId;
		// A machine that needs a permit needs one even without a zone (a mobile crane: a permit of
		// its kinds anywhere on site, naming the worker in the machine's role).
		if (eq.permitKinds.length > 0)
			needsPermit = { kinds: eq.permitKinds, roleWorkType: eq.workType };
	}
	if (zoneId) {
		const zone = readRecord(SiteZone, docs.control.getMap('zones').get(zoneId));
		if (!zone.ok || zone.record.siteId !== q.site.id) {
			reasons.push({ code: 'ZONE_UNKNOWN', severity: 'deny', zone: zoneId });
		} else if (q.action === 'enter' && zoneEntryRule(zone.record) === 'nobody') {
			// A danger or restricted zone that admits nobody: its door opens for no one (the same
			// rule workers' phones alarm on).
			reasons.push({ code: 'ZONE_CLOSED', severity: 'deny', zone: zoneId });
		} else if (zone.record.requiresPermit && !needsPermit) {
			needsPermit = { kinds: zone.record.permitKinds, roleWorkType: null };
		}
	}
	// Inside the site (a zone door, a machine) the site gate's anti-passback does not apply.
	const insideSite = q.action === 'operate' || zoneId !== null;
	if (insideSite) rules.antiPassback = false;

	const input = entryInputFor(
		docs,
		{
			site: q.site,
			workerId: q.worker.workerId,
			at: q.at,
			direction: 'in',
			identity: { method: q.method, confirmed: true },
			ppe: q.ppe ?? null,
			...(q.onSite !== undefined ? { onSite: q.onSite } : {}),
			...(workType !== undefined ? { workType } : {})
		},
		cache
	);
	if (!input) {
		return {
			allow: false,
			reasons: [{ code: 'WORKER_UNKNOWN', severity: 'deny' }],
			workType: null,
			permit: null
		};
	}
	const decision = decideEntry({ ...input, site: { ...input.site, rules } });
	reasons.push(...decision.reasons);
	if (insideSite && q.onSite === false) reasons.push({ code: 'NOT_ON_SITE', severity: 'warn' });

	let permitId: string | null = null;
	if (needsPermit) {
		const access = permitAccess(
			q.worker,
			zoneId,
			needsPermit.kinds,
			q.permits,
			needsPermit.roleWorkType
		);
		reasons.push(...access.reasons);
		if (access.allow && access.permit) {
			permitId = access.permit.id;
			// The permit was checked when it was submitted; a card revoked or expired since no longer
			// covers the role: the person's role on the permit is judged again now.
			const role = access.permit.people.find(
				(p) => p.workerId === q.worker.workerId && p.contractorId === q.worker.contractorId
			)?.role;
			const needed =
				permitKind(access.permit.kind)?.roles.find((r) => r.code === role)?.workTypes ?? [];
			if (needed.length > 0 && !needed.includes(input.workType ?? '')) {
				const certificates = workerCertificates(docs.contractor, [docs.control], q.worker.workerId);
				const judged = needed.map((w) =>
					decideWork({
						at: q.at,
						site: { ...input.site, rules },
						worker: input.worker,
						certificates,
						workType: w
					})
				);
				if (!judged.some((d) => d.allow)) {
					const fewest = judged.sort((a, b) => a.reasons.length - b.reasons.length)[0]!;
					reasons.push(...fewest.reasons.filter((r) => r.severity === 'deny'));
				}
			}
		}
	}
	const all = ordered(reasons);
	return {
		allow: !all.some((r) => r.severity === 'deny'),
		reasons: all,
		workType: input.workType,
		permit: permitId
	};
}
