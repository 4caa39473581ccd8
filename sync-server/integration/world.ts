// A site for the integration API's tests: a relay with staff keys, an HV electrician, a crane
// driver with a Q2 ticket and a rigger without one (each certificate verified genuine, inducted,
// fit, entry approved through the signed chain), zones, a tower crane, and permits signed through
// their chains — built with the app's own commands on local documents, then stored in the relay.
import * as Y from 'yjs';
import type { Claims, OrgView } from '../../src/lib/data/access';
import { decide } from '../../src/lib/data/approval-commands';
import { DEFAULT_ENTRY_CHAIN, signDecision } from '../../src/lib/data/approvals';
import type { Actor } from '../../src/lib/data/commands';
import { contractorDoc, controlDoc } from '../../src/lib/data/documents';
import { saveEquipment, saveZone, sitePermits } from '../../src/lib/data/permits';
import type { Signer } from '../../src/lib/data/signing';
import { certificateFingerprint } from '../../src/lib/data/verification';
import type { RunningServer } from '../server';
import { registerKey } from '../testing';

export const T0 = '2026-11-28T01:00:00.000Z';
/** Wednesday 2026-12-02 09:00–15:00 in Shanghai. */
export const FROM = '2026-12-02T01:00:00.000Z';
export const UNTIL = '2026-12-02T07:00:00.000Z';

const orgView: OrgView = { contractorSites: () => ['S1'] };

function worker(id: string, name: string, docNumber: string) {
	return {
		schema: 2,
		id,
		contractorId: 'C1',
		name,
		docType: 'resident_id',
		docNumber,
		createdAt: T0,
		updatedAt: T0
	} as const;
}

export const WORKERS = {
	hv: {
		w: worker('hv', '王电工', '110105194912310021'),
		code: 'SO-ELEC-HV',
		work: 'hv_electrical'
	},
	driver: {
		w: worker('driver', '钱司机', '11010519491231002X'),
		code: 'SE-2019-Q2',
		work: 'crane_operator'
	},
	rigger: {
		w: worker('rigger', '赵司索', '110105195001010015'),
		code: 'SE-2019-Q1',
		work: 'crane_signaller'
	}
} as const;

export interface World {
	control: Y.Doc;
	contractor: Y.Doc;
	org: Y.Doc;
	staff: { signer: Signer; principal: string; actor: Actor }[];
	/** Stores the local documents' content in the relay (as a device syncing would). */
	push(): void;
}

/** The org (sites S1, S2; contractor C1 at S1) and the site above, stored in the relay. */
export async function buildWorld(server: RunningServer): Promise<World> {
	const at = T0;
	server.relay.write('org', (doc) => {
		doc.getMap('contractors').set('C1', {
			schema: 1,
			id: 'C1',
			name: '华建劳务',
			sites: ['S1'],
			createdAt: at
		});
		for (const id of ['S1', 'S2'])
			doc.getMap('sites').set(id, {
				schema: 1,
				id,
				name: `Site ${id}`,
				kind: 'construction',
				timeZone: 'Asia/Shanghai',
				createdAt: at
			});
	});
	const org = new Y.Doc();
	const control = new Y.Doc();
	const contractor = new Y.Doc();
	const staff = (['project_lead', 'safety', 'director'] as const).map((staffRole, i) => {
		const principal = `p${i}`;
		const signer = registerKey(server, principal, { staffRole, sites: ['S1'] });
		const claims: Claims = {
			iss: server.orgId,
			sub: principal,
			role: 'staff',
			staffRole,
			sites: ['S1'],
			jti: `j-${principal}`,
			iat: 0,
			exp: 9e9
		};
		return { signer, principal, actor: { claims, org: orgView } as Actor };
	});
	// decide() reads the key bindings from an org document: the relay's own, copied.
	Y.applyUpdate(
		org,
		server.relay.read('org', (d) => Y.encodeStateAsUpdate(d))
	);

	for (const [i, { w, code }] of Object.values(WORKERS).entries()) {
		contractor.getMap('workers').set(w.id, w);
		contractor.getMap('training').set(`t-${w.id}`, {
			schema: 1,
			id: `t-${w.id}`,
			workerId: w.id,
			kind: 'site_induction',
			siteId: 'S1',
			date: '2026-11-20',
			hours: 8,
			createdAt: T0
		});
		contractor.getMap('medical').set(`m-${w.id}`, {
			schema: 1,
			id: `m-${w.id}`,
			workerId: w.id,
			examDate: '2026-10-01',
			result: 'fit',
			validUntil: '2027-10-01',
			createdAt: T0
		});
		const so = code.startsWith('SO-');
		const cert = {
			schema: 1,
			id: `c-${w.id}`,
			workerId: w.id,
			regime: so ? 'special_operation' : 'special_equipment',
			catalogueVersion: so ? 'order30' : '2019',
			code,
			number: `T${w.docNumber}`,
			issuedOn: '2024-03-01',
			expiresOn: '2028-03-01',
			...(so ? { nextReviewOn: '2027-03-01' } : {}),
			createdAt: T0,
			updatedAt: T0
		} as const;
		contractor.getMap('certificates').set(cert.id, cert);
		// The registry's answer is what makes a card count at the gate (verification.ts).
		const vid = `01JZZZZZZZZZZZZZZZZZZZZZ${i}0`;
		control.getMap('verifications').set(vid, {
			schema: 1,
			id: vid,
			certificateId: cert.id,
			contractorId: 'C1',
			workerId: w.id,
			fingerprint: certificateFingerprint(cert, w),
			outcome: 'genuine',
			checkedAt: T0,
			source: 'http:sim',
			trigger: 'registration',
			evidence: { attempts: 1 },
			by: 'relay',
			recordedAt: T0
		});
	}
	contractor.getMap('applications').set('A1', {
		schema: 1,
		id: 'A1',
		contractorId: 'C1',
		siteId: 'S1',
		workers: Object.values(WORKERS).map(({ w, work }) => ({ workerId: w.id, workType: work })),
		validFrom: '2026-11-28',
		validUntil: '2026-12-31',
		status: 'submitted',
		submittedAt: T0,
		createdAt: T0,
		updatedAt: T0
	});
	for (const workerId of Object.keys(WORKERS))
		for (const [step, p] of staff.entries()) {
			const { hash, record } = await signDecision(p.signer, {
				site: 'S1',
				application: 'C1/A1',
				worker: workerId,
				round: T0,
				step,
				stepId: DEFAULT_ENTRY_CHAIN.steps[step]!.id,
				decision: 'approve',
				comment: '',
				conditions: [],
				signer: p.principal,
				prev: null,
				at: new Date(Date.parse(T0) + (step + 1) * 600_000).toISOString()
			});
			control.getMap('decisions').set(hash, record);
		}
	const lead = staff[0]!.actor;
	const when = new Date(T0);
	saveZone(
		control,
		'S1',
		lead,
		{
			id: 'tank-1',
			name: '一号罐区',
			kind: 'work',
			requiresPermit: true,
			permitKinds: [],
			neighbours: ['tank-2']
		},
		when
	);
	saveZone(
		control,
		'S1',
		lead,
		{
			id: 'tank-2',
			name: '二号罐区',
			kind: 'work',
			requiresPermit: true,
			permitKinds: [],
			neighbours: []
		},
		when
	);
	saveEquipment(
		control,
		'S1',
		lead,
		{
			id: 'tc-1',
			name: '1号塔吊',
			kind: '塔式起重机',
			workType: 'crane_operator',
			zone: null,
			permitKinds: [],
			outOfService: false
		},
		when
	);
	const world: World = {
		control,
		contractor,
		org,
		staff,
		push() {
			for (const [name, local] of [
				[controlDoc('S1'), control],
				[contractorDoc('C1'), contractor]
			] as const) {
				const update = Y.encodeStateAsUpdate(local);
				server.relay.write(name, (doc) => Y.applyUpdate(doc, update));
			}
		}
	};
	world.push();
	return world;
}

/** A submitted permit record (written as staff would, bypassing the submission checks). */
export function putPermit(
	world: World,
	p: {
		id: string;
		kind: string;
		grade: string;
		zone: string;
		people: { workerId: string; role: string }[];
		validFrom?: string;
		validUntil?: string;
	}
): void {
	world.control.getMap('permits').set(p.id, {
		schema: 1,
		id: p.id,
		siteId: 'S1',
		number: `ZY-${p.id}`,
		kind: p.kind,
		grade: p.grade,
		zone: p.zone,
		work: '检修',
		validFrom: p.validFrom ?? FROM,
		validUntil: p.validUntil ?? UNTIL,
		people: p.people.map((x) => ({ ...x, contractorId: 'C1', name: x.workerId })),
		hazards: [],
		measures: [],
		gasTests: [],
		isolations: [],
		lifecycle: 'submitted',
		submittedAt: T0,
		submittedBy: 'p0',
		createdAt: T0,
		createdBy: 'p0',
		updatedAt: T0,
		updatedBy: 'p0'
	});
}

/** Signs every step of the permit's chain with the staff member of that step's role. */
export async function approvePermit(world: World, id: string): Promise<void> {
	for (;;) {
		const view = sitePermits(
			{ control: world.control, org: world.org, timeZone: 'Asia/Shanghai' },
			new Date(T0)
		).find((v) => v.permit.id === id)!;
		if (view.approval.status !== 'pending') return;
		const step = view.approval.steps[view.approval.current!]!;
		const who = world.staff.find((p) => p.actor.claims.staffRole === step.step.role)!;
		await decide(world.control, 'S1', world.org, who.actor, who.signer, {
			approval: view.approval,
			decision: 'approve',
			at: new Date(Date.parse(step.since!) + 60_000)
		});
	}
}
