// DESIGN.md's read/write table, row by row, both ways: what each role may and may not do.
import { describe, expect, it } from 'vitest';
import { authorizeChange, docAccess, type Claims, type OrgView, type RecordChange } from './access';
import { parseDocName } from './documents';

const org: OrgView = {
	contractorSites: (c) => ({ C1: ['S1'], C2: ['S2'], C3: ['S1', 'S2'] })[c]
};
const claims = (c: Partial<Claims> & Pick<Claims, 'role'>): Claims => ({
	iss: 'org1',
	sub: 'u1',
	jti: 'j1',
	iat: 0,
	exp: 4102444800,
	...c
});

const admin = claims({ role: 'admin' });
const hq = claims({ role: 'hq' });
const lead = claims({ role: 'staff', staffRole: 'project_lead', sites: ['S1'] });
const staff = claims({ role: 'staff', staffRole: 'safety', sub: 'U1', sites: ['S1'] });
const safety = claims({ role: 'staff', staffRole: 'safety', sites: ['S1'] });
const c1 = claims({ role: 'contractor', contractor: 'C1' });
const gate1 = claims({ role: 'gate', sites: ['S1'] });
const worker = claims({ role: 'worker', sub: 'W9', sites: ['S1'], contractor: 'C1' });
const integration = claims({ role: 'integration', sites: ['S1'] });

const access = (c: Claims, doc: string) => docAccess(c, doc, org);
const R = { read: true, write: false };
const RW = { read: true, write: true };
const NONE = { read: false, write: false };

describe('docAccess: the read/write table', () => {
	it.each([
		// contractor admin: own company's documents, approval status of own submissions
		['contractor', c1, 'contractor:C1', RW],
		['contractor', c1, 'contractor:C2', NONE],
		['contractor', c1, 'site:S1:control', RW],
		['contractor', c1, 'site:S2:control', NONE],
		['contractor', c1, 'org', R],
		['contractor', c1, 'blacklist', NONE],
		['contractor', c1, 'site:S1:events:2026-11', NONE],
		// worker: own pings only, reads no events; its own location consent, write-only
		['worker', worker, 'site:S1:events:2026-11', { read: false, write: true }],
		['worker', worker, 'site:S2:events:2026-11', NONE],
		['worker', worker, 'contractor:C1', { read: false, write: true }],
		['worker', worker, 'contractor:C2', NONE],
		['worker', worker, 'site:S1:control', NONE],
		// staff: everything of their sites
		['staff', lead, 'contractor:C1', RW],
		['staff', lead, 'contractor:C3', RW],
		['staff', lead, 'contractor:C2', NONE],
		['staff', lead, 'site:S1:control', RW],
		['staff', lead, 'site:S2:control', NONE],
		['staff', lead, 'site:S1:events:2026-11', RW],
		['staff', lead, 'blacklist', R],
		['staff', safety, 'blacklist', RW],
		['staff', lead, 'org', R],
		// gate: the gate pack of its site; writes events
		['gate', gate1, 'contractor:C1', R],
		['gate', gate1, 'contractor:C2', NONE],
		['gate', gate1, 'site:S1:control', R],
		['gate', gate1, 'site:S2:control', NONE],
		['gate', gate1, 'blacklist', R],
		['gate', gate1, 'site:S1:events:2026-11', RW],
		['gate', gate1, 'site:S2:events:2026-11', NONE],
		// hq: merged, read-only view of all sites
		['hq', hq, 'contractor:C2', R],
		['hq', hq, 'site:S2:control', R],
		['hq', hq, 'site:S2:events:2026-11', R],
		['hq', hq, 'org', R],
		// admin: reads everything, writes the org directory
		['admin', admin, 'org', RW],
		['admin', admin, 'contractor:C1', R],
		['admin', admin, 'blacklist', R],
		// integrations use REST, never sockets
		['integration', integration, 'site:S1:control', NONE],
		// names that are not documents
		['staff', lead, 'site:S1:events:2026-13', NONE],
		['admin', admin, '../etc/passwd', NONE],
		['admin', admin, 'contractor:', NONE]
	] as const)('%s on %s', (_role, who, doc, expected) => {
		expect(access(who, doc)).toEqual(expected);
	});

	it('an unknown contractor works nowhere', () => {
		expect(access(claims({ role: 'contractor', contractor: 'CX' }), 'site:S1:control')).toEqual(
			NONE
		);
	});
});

describe('authorizeChange: record paths', () => {
	const doc = (name: string) => parseDocName(name)!;
	const add = (map: string, key: string, value: unknown = { schema: 1 }): RecordChange => ({
		map,
		key,
		action: 'add',
		value
	});
	const can = (c: Claims, name: string, change: RecordChange) =>
		authorizeChange(c, doc(name), change, org);

	it('a contractor writes its own workers and applications', () => {
		expect(can(c1, 'contractor:C1', add('workers', 'w1'))).toBeNull();
		expect(can(c1, 'contractor:C1', add('applications', 'a1'))).toBeNull();
	});

	it('a contractor may not write an approval record', () => {
		expect(can(c1, 'site:S1:control', add('decisions', 'h1'))?.code).toBe('READ_ONLY');
	});

	it('the gate rules are set by safety staff or the director only', () => {
		const director = claims({ role: 'staff', staffRole: 'director', sites: ['S1'] });
		expect(can(safety, 'site:S1:control', add('settings', 'gate'))).toBeNull();
		expect(can(director, 'site:S1:control', add('settings', 'gate'))).toBeNull();
		expect(can(lead, 'site:S1:control', add('settings', 'gate'))?.code).toBe('READ_ONLY');
		expect(can(gate1, 'site:S1:control', add('settings', 'gate'))?.code).toBe('READ_ONLY');
	});

	it('the hard-hat model, its labels and the blur setting are safety decisions', () => {
		for (const [map, key] of [
			['settings', 'ppe'],
			['settings', 'monitor'],
			['ppeModels', '01J'],
			['ppeLabels', 'gate-01J']
		] as const) {
			expect(can(safety, 'site:S1:control', add(map, key))).toBeNull();
			expect(can(lead, 'site:S1:control', add(map, key))?.code).toBe('READ_ONLY');
		}
		// Cameras and zones are set up by any staff of the site.
		expect(can(lead, 'site:S1:control', add('cameras', 'cam1'))).toBeNull();
	});

	it('a trained hard-hat model keeps its blob and numbers; only its promotion changes', () => {
		const trained = {
			schema: 1,
			version: '01J',
			blob: 'a'.repeat(64),
			trainedAt: 't',
			by: 'u1',
			labels: { hardhat: 20 },
			current: { accuracy: 0.5 },
			candidate: { accuracy: 0.9 },
			promoted: false
		};
		const update = (value: unknown): RecordChange => ({
			map: 'ppeModels',
			key: '01J',
			action: 'update',
			value,
			previous: trained
		});
		expect(can(safety, 'site:S1:control', update({ ...trained, promoted: true }))).toBeNull();
		expect(can(safety, 'site:S1:control', update({ ...trained, blob: 'b'.repeat(64) }))?.code).toBe(
			'READ_ONLY'
		);
		expect(
			can(safety, 'site:S1:control', update({ ...trained, candidate: { accuracy: 1 } }))?.code
		).toBe('READ_ONLY');
	});

	it('alert actions are recorded in the actor’s own name', () => {
		expect(
			can(safety, 'site:S1:events:2026-11', add('alertActions', 'a1', { by: 'u1' }))
		).toBeNull();
		expect(
			can(safety, 'site:S1:events:2026-11', add('alertActions', 'a1', { by: 'someone' }))?.code
		).toBe('NOT_OWN_RECORD');
	});

	it("registry checks, warnings and digests are the relay's alone", () => {
		for (const map of ['checks', 'warnings', 'digests']) {
			expect(can(lead, 'site:S1:control', add(map, 'k'))?.code).toBe('READ_ONLY');
			expect(can(c1, 'site:S1:control', add(map, 'k'))?.code).toBe('READ_ONLY');
		}
	});

	it('staff record only their own manual checks, with the scanned answer', () => {
		const manual = {
			schema: 1,
			trigger: 'manual',
			by: 'u1',
			source: 'manual:u1',
			evidence: { scan: 'a'.repeat(64) }
		};
		expect(can(safety, 'site:S1:control', add('verifications', '01J', manual))).toBeNull();
		const registry = { ...manual, trigger: 'schedule', source: 'http:sim', by: 'relay' };
		expect(can(safety, 'site:S1:control', add('verifications', '01J', registry))?.code).toBe(
			'NOT_OWN_RECORD'
		);
		const other = { ...manual, by: 'u2', source: 'manual:u2' };
		expect(can(safety, 'site:S1:control', add('verifications', '01J', other))?.code).toBe(
			'NOT_OWN_RECORD'
		);
		const noScan = { ...manual, evidence: {} };
		expect(can(safety, 'site:S1:control', add('verifications', '01J', noScan))?.code).toBe(
			'NOT_OWN_RECORD'
		);
		expect(can(c1, 'site:S1:control', add('verifications', '01J', manual))?.code).toBe('READ_ONLY');
	});

	it('everyone acknowledges warnings for themselves only, and for good', () => {
		const ack = { schema: 1, item: 'w', by: 'u1', at: '2026-11-28T00:00:00.000Z' };
		expect(can(c1, 'site:S1:control', add('acks', 'w|u1', ack))).toBeNull();
		expect(can(lead, 'site:S1:control', add('acks', 'w|u1', ack))).toBeNull();
		expect(can(c1, 'site:S1:control', add('acks', 'w|u2', ack))?.code).toBe('NOT_OWN_RECORD');
		expect(can(c1, 'site:S1:control', add('acks', 'w|u1', { ...ack, by: 'u2' }))?.code).toBe(
			'NOT_OWN_RECORD'
		);
		expect(can(c1, 'site:S1:control', { map: 'acks', key: 'w|u1', action: 'delete' })?.code).toBe(
			'APPEND_ONLY'
		);
		expect(can(c1, 'site:S2:control', add('acks', 'w|u1', ack))?.code).toBe('FORBIDDEN_DOC');
	});

	it("a contractor may not write another contractor's worker", () => {
		expect(can(c1, 'contractor:C2', add('workers', 'w1'))?.code).toBe('FORBIDDEN_DOC');
	});

	it('staff write approval records; nobody alters one afterwards', () => {
		expect(can(lead, 'site:S1:control', add('decisions', 'h1'))).toBeNull();
		expect(
			can(lead, 'site:S1:control', { map: 'decisions', key: 'h1', action: 'update', value: {} })
				?.code
		).toBe('APPEND_ONLY');
		expect(
			can(lead, 'site:S1:control', { map: 'decisions', key: 'h1', action: 'delete' })?.code
		).toBe('APPEND_ONLY');
	});

	it('only safety staff write the blacklist', () => {
		expect(can(safety, 'blacklist', add('entries', 'b1'))).toBeNull();
		expect(can(lead, 'blacklist', add('entries', 'b1'))?.code).toBe('READ_ONLY');
	});

	it('a gate appends attendance and alerts, nothing else', () => {
		const ev = 'site:S1:events:2026-11';
		expect(can(gate1, ev, add('attendance', '01J'))).toBeNull();
		expect(can(gate1, ev, add('alerts', '01J'))).toBeNull();
		expect(can(gate1, ev, add('rollcall', 'm1:w1'))?.code).toBe('READ_ONLY');
		expect(can(gate1, ev, { map: 'attendance', key: '01J', action: 'delete' })?.code).toBe(
			'APPEND_ONLY'
		);
		expect(can(gate1, 'site:S1:control', add('zones', 'z1'))?.code).toBe('READ_ONLY');
	});

	it('a worker adds only its own pings', () => {
		const ev = 'site:S1:events:2026-11';
		expect(can(worker, ev, add('pings', '01J', { schema: 1, workerId: 'W9' }))).toBeNull();
		expect(can(worker, ev, add('pings', '01J', { schema: 1, workerId: 'W1' }))?.code).toBe(
			'NOT_OWN_RECORD'
		);
		expect(can(worker, ev, add('attendance', '01J', { workerId: 'W9' }))?.code).toBe(
			'NOT_OWN_RECORD'
		);
	});

	it('a worker raises its own geofence alarms and gives its own location consent, nothing else', () => {
		const ev = 'site:S1:events:2026-11';
		const alarm = { schema: 1, workerId: 'W9', kind: 'geofence' };
		expect(can(worker, ev, add('alerts', '01J', alarm))).toBeNull();
		expect(can(worker, ev, add('alerts', '01J', { ...alarm, workerId: 'W1' }))?.code).toBe(
			'NOT_OWN_RECORD'
		);
		expect(can(worker, ev, add('alerts', '01J', { ...alarm, kind: 'ppe' }))?.code).toBe(
			'NOT_OWN_RECORD'
		);
		expect(can(worker, ev, add('rollcall', '01J', { workerId: 'W9', by: 'W9' }))?.code).toBe(
			'NOT_OWN_RECORD'
		);
		const consent = { schema: 1, workerId: 'W9', purpose: 'location', recordedBy: 'W9' };
		expect(can(worker, 'contractor:C1', add('consents', 'c1', consent))).toBeNull();
		for (const bad of [
			{ ...consent, purpose: 'face' },
			{ ...consent, workerId: 'W1' },
			{ ...consent, recordedBy: 'someone' }
		])
			expect(can(worker, 'contractor:C1', add('consents', 'c1', bad))?.code).toBe('NOT_OWN_RECORD');
		expect(can(worker, 'contractor:C1', add('workers', 'W9', { workerId: 'W9' }))?.code).toBe(
			'NOT_OWN_RECORD'
		);
		expect(
			can(worker, 'contractor:C1', { ...add('consents', 'c1', consent), action: 'update' })?.code
		).toBe('NOT_OWN_RECORD');
	});

	it('staff cannot write a worker’s position; a worker’s phone writes only known record versions', () => {
		const ev = 'site:S1:events:2026-11';
		expect(can(staff, ev, add('pings', '01J', { schema: 1, workerId: 'W9' }))?.code).toBe(
			'NOT_OWN_RECORD'
		);
		expect(can(worker, ev, add('pings', '01J', { schema: 2, workerId: 'W9' }))?.code).toBe(
			'NOT_OWN_RECORD'
		);
	});

	it('staff start and end musters in their own name and tick in their own name; ticks are kept', () => {
		const ev = 'site:S1:events:2026-11';
		const m = { schema: 1, startedBy: 'U1', roster: ['w1'], endedAt: null, endedBy: null };
		expect(can(staff, ev, add('musters', '01J', m))).toBeNull();
		expect(can(staff, ev, add('musters', '01J', { ...m, startedBy: 'U2' }))?.code).toBe(
			'NOT_OWN_RECORD'
		);
		const upd = (value: object, previous: object = m): RecordChange => ({
			map: 'musters',
			key: '01J',
			action: 'update',
			value,
			previous
		});
		const ended = { ...m, endedAt: '2026-11-29T03:00:00Z', endedBy: 'U1', endedByName: '李' };
		expect(can(staff, ev, upd(ended))).toBeNull();
		expect(can(staff, ev, upd({ ...ended, roster: [] }))?.code).toBe('APPEND_ONLY');
		expect(can(staff, ev, upd({ ...ended, endedAt: '2026-11-29T04:00:00Z' }, ended))?.code).toBe(
			'APPEND_ONLY'
		);
		expect(can(staff, ev, upd({ ...ended, endedBy: 'U2' }))?.code).toBe('APPEND_ONLY');
		expect(can(staff, ev, { map: 'musters', key: '01J', action: 'delete' })?.code).toBe(
			'APPEND_ONLY'
		);
		expect(can(staff, ev, add('rollcall', '01K', { by: 'U1' }))).toBeNull();
		expect(can(staff, ev, add('rollcall', '01K', { by: 'U2' }))?.code).toBe('NOT_OWN_RECORD');
		expect(can(staff, ev, { map: 'rollcall', key: '01K', action: 'delete' })?.code).toBe(
			'APPEND_ONLY'
		);
	});

	it('the admin writes the org directory and nothing operational', () => {
		expect(can(admin, 'org', add('sites', 'S3'))).toBeNull();
		expect(can(admin, 'site:S1:control', add('zones', 'z'))?.code).toBe('READ_ONLY');
	});

	it("nobody writes the org's identity and relay key, and a revocation is never undone", () => {
		expect(can(admin, 'org', add('meta', 'org'))?.code).toBe('READ_ONLY');
		expect(can(admin, 'org', add('revoked', 'jti1'))).toBeNull();
		expect(can(admin, 'org', { map: 'revoked', key: 'jti1', action: 'delete' })?.code).toBe(
			'APPEND_ONLY'
		);
	});

	it('hq writes nothing', () => {
		expect(can(hq, 'site:S1:control', add('zones', 'z'))?.code).toBe('READ_ONLY');
		expect(can(hq, 'org', add('sites', 'S3'))?.code).toBe('READ_ONLY');
	});

	it('refuses unknown maps and nested shared types', () => {
		expect(can(c1, 'contractor:C1', add('approvals', 'x'))?.code).toBe('UNKNOWN_PATH');
		expect(can(c1, 'contractor:C1', { ...add('workers', 'w1'), nested: true })?.code).toBe(
			'NESTED_TYPE'
		);
	});
});

describe('authorizeChange: a federated site relay’s writes to the org', () => {
	const users: Record<string, unknown> = {
		'lead-S1': { id: 'lead-S1', role: 'staff', staffRole: 'project_lead', sites: ['S1'] },
		'lead-S2': { id: 'lead-S2', role: 'staff', staffRole: 'project_lead', sites: ['S2'] },
		'lead-S12': { id: 'lead-S12', role: 'staff', staffRole: 'director', sites: ['S1', 'S2'] },
		'admin-S1': { id: 'admin-S1', role: 'admin', sites: [] },
		'admin-hq': { id: 'admin-hq', role: 'admin', sites: [] },
		'ca-C1': { id: 'ca-C1', role: 'contractor', contractor: 'C1', sites: [] },
		'ca-C2': { id: 'ca-C2', role: 'contractor', contractor: 'C2', sites: [] }
	};
	const fedOrg: OrgView = { ...org, principal: (id) => users[id] };
	const relayS1 = claims({ role: 'relay', sub: 'relay-S1', sites: ['S1'] });
	const can = (change: RecordChange) =>
		authorizeChange(relayS1, { kind: 'org' }, change, fedOrg)?.code ?? null;
	const add = (map: string, key: string, value: unknown): RecordChange => ({
		map,
		key,
		action: 'add',
		value
	});
	const update = (map: string, key: string, previous: unknown, value: unknown): RecordChange => ({
		map,
		key,
		action: 'update',
		previous,
		value
	});
	const binding = (id: string, principal: string, extra: Record<string, unknown> = {}) => ({
		schema: 1,
		id,
		principal,
		publicKey: 'k'.repeat(43),
		role: 'staff',
		staffRole: 'project_lead',
		sites: ['S1'],
		validFrom: '2026-01-01T00:00:00.000Z',
		registeredBy: 'admin-S1',
		...extra
	});

	it('refuses sites, contractors, settings and the org’s identity', () => {
		expect(can(add('sites', 'S9', { id: 'S9' }))).toBe('READ_ONLY');
		// Adding its site to another contractor (to read that contractor's document at HQ).
		expect(
			can(
				update('contractors', 'C2', { id: 'C2', sites: ['S2'] }, { id: 'C2', sites: ['S2', 'S1'] })
			)
		).toBe('READ_ONLY');
		expect(can(add('settings', 'scorecard', { schema: 1 }))).toBe('READ_ONLY');
		expect(can(add('meta', 'org', { id: 'evil' }))).toBe('READ_ONLY');
	});

	it('adds revocations, never removes or changes one (un-revoking a stolen HQ token)', () => {
		expect(can(add('revoked', 'jti-1', { schema: 1, jti: 'jti-1' }))).toBeNull();
		expect(can({ map: 'revoked', key: 'jti-hq', action: 'delete' })).toBe('APPEND_ONLY');
		expect(can(update('revoked', 'jti-hq', { jti: 'jti-hq' }, { jti: 'x' }))).toBe('APPEND_ONLY');
	});

	it('manages its own site’s staff, gates, contractor admins and its own first admin', () => {
		expect(can(add('users', 'lead-S1', users['lead-S1']))).toBeNull();
		expect(can(add('users', 'admin-S1', users['admin-S1']))).toBeNull();
		expect(can(add('users', 'ca-C1', users['ca-C1']))).toBeNull();
		const gate = { id: 'g1', role: 'gate', sites: ['S1'] };
		expect(can(add('users', 'g1', gate))).toBeNull();
		expect(can(update('users', 'g1', gate, { ...gate, disabled: true }))).toBeNull();
		expect(
			can(add('devices', 'jti-d1', { schema: 1, id: 'jti-d1', principal: 'lead-S1', name: 'x' }))
		).toBeNull();
		expect(can(add('keys', 'k1', binding('k1', 'lead-S1')))).toBeNull();
		expect(
			can(
				add(
					'keys',
					'k2',
					binding('k2', 'admin-S1', { role: 'admin', staffRole: undefined, sites: [] })
				)
			)
		).toBeNull();
		const revokedAt = '2026-02-01T00:00:00.000Z';
		expect(
			can(update('keys', 'k1', binding('k1', 'lead-S1'), binding('k1', 'lead-S1', { revokedAt })))
		).toBeNull();
		// HQ moved the user to S2 meanwhile: the site may still revoke the S1 binding it made.
		expect(
			can(update('keys', 'k3', binding('k3', 'lead-S2'), binding('k3', 'lead-S2', { revokedAt })))
		).toBeNull();
	});

	it('refuses re-enabling, changing or taking over users of other sites and of HQ', () => {
		const disabled = { ...users['lead-S2']!, disabled: true } as Record<string, unknown>;
		expect(can(update('users', 'lead-S2', disabled, { ...disabled, disabled: false }))).toBe(
			'NOT_OWN_RECORD'
		);
		// Moving HQ's or another site's user into its own site: the old value is not its own.
		expect(
			can(
				update('users', 'lead-S2', users['lead-S2'], {
					...(users['lead-S1'] as object),
					id: 'lead-S2'
				})
			)
		).toBe('NOT_OWN_RECORD');
		expect(
			can(
				update('users', 'admin-hq', users['admin-hq'], {
					id: 'admin-hq',
					role: 'admin',
					sites: [],
					disabled: true
				})
			)
		).toBe('NOT_OWN_RECORD');
		expect(can(add('users', 'lead-S12', users['lead-S12']))).toBe('NOT_OWN_RECORD');
		expect(can(add('users', 'x', { id: 'x', role: 'hq', sites: ['S1'] }))).toBe('NOT_OWN_RECORD');
		expect(can(add('users', 'x', { id: 'x', role: 'admin', sites: ['S1'] }))).toBe(
			'NOT_OWN_RECORD'
		);
		expect(can(add('users', 'x', { id: 'x', role: 'integration', sites: ['S1'] }))).toBe(
			'NOT_OWN_RECORD'
		);
		expect(can(add('users', 'x', { id: 'x', role: 'relay', sites: ['S1'] }))).toBe(
			'NOT_OWN_RECORD'
		);
		expect(
			can(add('users', 'x', { id: 'x', role: 'staff', staffRole: 'director', sites: [] }))
		).toBe('NOT_OWN_RECORD');
		expect(can(add('users', 'ca-C2', users['ca-C2']))).toBe('NOT_OWN_RECORD');
		// A record under another principal's key (disabling HQ's admin by a look-alike record).
		expect(can(add('users', 'admin-hq', { ...users['lead-S1']!, disabled: true }))).toBe(
			'INVALID_RECORD'
		);
		expect(can({ map: 'users', key: 'lead-S1', action: 'delete' })).toBe('APPEND_ONLY');
	});

	it('refuses devices and signing keys of principals outside its sites', () => {
		expect(
			can(add('devices', 'jti-d2', { schema: 1, id: 'jti-d2', principal: 'admin-hq', name: 'x' }))
		).toBe('NOT_OWN_RECORD');
		expect(
			can(add('devices', 'jti-d3', { schema: 1, id: 'jti-d3', principal: 'nobody', name: 'x' }))
		).toBe('NOT_OWN_RECORD');
		// A key for another site's principal, for HQ's admin, or with sites beyond its own.
		expect(can(add('keys', 'k4', binding('k4', 'lead-S2', { sites: ['S2'] })))).toBe(
			'NOT_OWN_RECORD'
		);
		expect(
			can(
				add(
					'keys',
					'k5',
					binding('k5', 'admin-hq', { role: 'admin', staffRole: undefined, sites: [] })
				)
			)
		).toBe('NOT_OWN_RECORD');
		expect(can(add('keys', 'k6', binding('k6', 'lead-S1', { sites: ['S1', 'S2'] })))).toBe(
			'NOT_OWN_RECORD'
		);
		// A role the principal does not hold (a director's key for a project lead).
		expect(can(add('keys', 'k7', binding('k7', 'lead-S1', { staffRole: 'director' })))).toBe(
			'NOT_OWN_RECORD'
		);
		// A binding is only revoked: no un-revoking, no new sites, no removal.
		const revoked = binding('k1', 'lead-S1', { revokedAt: '2026-02-01T00:00:00.000Z' });
		expect(can(update('keys', 'k1', revoked, binding('k1', 'lead-S1')))).toBe('READ_ONLY');
		expect(
			can(
				update('keys', 'k1', binding('k1', 'lead-S1'), binding('k1', 'lead-S1', { sites: ['S2'] }))
			)
		).toBe('READ_ONLY');
		expect(can({ map: 'keys', key: 'k1', action: 'delete' })).toBe('APPEND_ONLY');
		// Revoking HQ's admin's key (its sites are empty: not the site's to judge).
		const hqKey = binding('k8', 'admin-hq', { role: 'admin', staffRole: undefined, sites: [] });
		expect(
			can(update('keys', 'k8', hqKey, { ...hqKey, revokedAt: '2026-02-01T00:00:00.000Z' }))
		).toBe('NOT_OWN_RECORD');
	});

	it('without a principal lookup, refuses devices and keys (cannot judge them)', () => {
		const bare = authorizeChange(
			relayS1,
			{ kind: 'org' },
			add('devices', 'jti-d1', { schema: 1, id: 'jti-d1', principal: 'lead-S1', name: 'x' }),
			org
		);
		expect(bare?.code).toBe('NOT_OWN_RECORD');
	});
});
