// The certificate watch driven with fake time against the registry simulator over real HTTP:
// genuine, not found, holder mismatch, revoked, registry down, registry slow — each certificate
// ends in the right status, each warning exists once, the schedule survives a restart, and an
// offline gate that synced the registry's "revoked" denies the worker with CERT_REVOKED.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { certificateStatus, decideEntry, type EntryInput } from '../../src/lib/domain';
import { controlDoc, contractorDoc } from '../../src/lib/data/documents';
import type { CertificateSettings } from '../../src/lib/data/warnings';
import { workerCertificates } from '../../src/lib/data/verification';
import { createHttpRegistry, type HttpRegistry } from '../registry/http';
import { startRegistrySimulator, type RunningSimulator } from '../registry/simulator';
import type { SeedCertificate } from '../registry/simulator';
import { connect, seedOrg, startRelay, token, waitFor, type TestRelay } from '../testing';
import {
	VerificationScheduler,
	type PushAudience,
	type PushPayload,
	type SchedulerOptions
} from './scheduler';

const DAY = 86_400_000;
/** 2026-11-28 09:00 in Shanghai: after the 07:00 digest hour. */
const START = Date.parse('2026-11-28T01:00:00Z');

interface Person {
	id: string;
	name: string;
	docNumber: string;
}
const people: Person[] = [
	{ id: 'w-genuine', name: '张伟', docNumber: '110105194912310021' },
	{ id: 'w-missing', name: '李娜', docNumber: '110105195001010032' },
	{ id: 'w-mismatch', name: '王强', docNumber: '110105195102020043' },
	{ id: 'w-revoked', name: '刘洋', docNumber: '110105195203030054' },
	{ id: 'w-expiring', name: '陈静', docNumber: '110105195304040065' }
];

function cert(
	workerId: string,
	number: string,
	expiresOn = '2030-03-01',
	nextReviewOn = '2027-06-01'
) {
	const at = new Date(START).toISOString();
	return {
		schema: 1,
		id: `c-${workerId.slice(2)}`,
		workerId,
		regime: 'special_operation',
		catalogueVersion: 'order30',
		code: 'SO-ELEC-HV',
		number,
		issuedOn: '2024-03-01',
		expiresOn,
		nextReviewOn,
		createdAt: at,
		updatedAt: at
	};
}

function worker(p: Person) {
	const at = new Date(START).toISOString();
	return {
		schema: 2,
		id: p.id,
		contractorId: 'C1',
		name: p.name,
		docType: 'resident_id',
		docNumber: p.docNumber,
		createdAt: at,
		updatedAt: at
	};
}

const seed: SeedCertificate[] = [
	{
		category: 'SO-ELEC-HV',
		number: 'T-GENUINE',
		holderName: '张伟',
		status: 'valid',
		expiresOn: '2030-03-01',
		reviewDate: '2027-06-01'
	},
	{
		category: 'SO-ELEC-HV',
		number: 'T-MISMATCH',
		holderName: '王刚',
		status: 'valid',
		expiresOn: '2030-03-01'
	},
	{
		category: 'SO-ELEC-HV',
		number: 'T-REVOKED',
		holderName: '刘洋',
		status: 'revoked',
		expiresOn: '2030-03-01'
	},
	{
		category: 'SO-ELEC-HV',
		number: 'T-EXPIRING',
		holderName: '陈静',
		status: 'valid',
		// The registry knows the real expiry: sooner than what was typed from the card.
		expiresOn: '2026-12-20',
		reviewDate: '2026-12-20'
	}
];

let relay: TestRelay;
let sim: RunningSimulator;
let registry: HttpRegistry;
let scheduler: VerificationScheduler;
let now: number;
let pushes: { audience: PushAudience; payload: PushPayload }[];
const relays: TestRelay[] = [];

function makeScheduler(extra: Partial<SchedulerOptions> = {}) {
	return new VerificationScheduler({
		relay: relay.server.relay,
		registry,
		now: () => now,
		push: async (audience, payload) => {
			pushes.push({ audience, payload });
		},
		concurrency: 4,
		...extra
	});
}

function registryFor(timeoutMs = 1000) {
	return createHttpRegistry({
		endpoint: sim.url,
		source: 'http:sim',
		timeoutMs,
		retries: 1,
		backoffBaseMs: 5,
		backoffMaxMs: 20,
		ratePerSecond: Infinity
	});
}

function register(people: Person[], certs: ReturnType<typeof cert>[]) {
	relay.server.relay.write(contractorDoc('C1'), (doc) => {
		for (const p of people) doc.getMap('workers').set(p.id, worker(p));
		for (const c of certs) doc.getMap('certificates').set(c.id, c);
	});
}

/** Status of a worker's certificate as a device holding these documents judges it. */
function statusOf(workerId: string, site = 'S1', at = now) {
	return relay.server.relay.read(contractorDoc('C1'), (contractor) =>
		relay.server.relay.read(controlDoc(site), (control) => {
			const [c] = workerCertificates(contractor, [control], workerId);
			return c ? certificateStatus(c, new Date(at)).status : null;
		})
	);
}

const control = <T>(map: string, site = 'S1') =>
	relay.server.relay.read(controlDoc(site), (doc) => doc.getMap(map).toJSON()) as Record<string, T>;

beforeEach(async () => {
	relay = await startRelay();
	relays.push(relay);
	seedOrg(relay.server);
	sim = await startRegistrySimulator({ seed: { certificates: seed } });
	registry = registryFor();
	now = START;
	pushes = [];
	scheduler = makeScheduler();
});

afterEach(async () => {
	await scheduler.stop();
	registry.close();
	await sim.close();
	await relay.server.close();
});

afterAll(async () => {
	for (const r of relays) await r.server.close();
});

describe('the certificate watch', () => {
	it('records each outcome, judges each certificate, and warns once', async () => {
		register(people, [
			cert('w-genuine', 'T-GENUINE'),
			cert('w-missing', 'T-MISSING'),
			cert('w-mismatch', 'T-MISMATCH'),
			cert('w-revoked', 'T-REVOKED'),
			cert('w-expiring', 'T-EXPIRING', '2030-03-01', '2027-03-01')
		]);
		const report = await scheduler.tick();
		expect(report.verified).toBe(5);
		expect(report.outcomes).toEqual({ genuine: 2, not_found: 1, mismatch: 1, revoked: 1 });

		// Recorded in the site's control document with time, source and evidence.
		const log = Object.values(control<Record<string, unknown>>('verifications'));
		expect(log).toHaveLength(5);
		for (const r of log) {
			expect(r).toMatchObject({ source: 'http:sim', trigger: 'registration', by: 'relay' });
			expect((r.evidence as { responseSha256: string }).responseSha256).toMatch(/^[0-9a-f]{64}$/);
			expect((r.evidence as { reference: string }).reference).toMatch(/^SIM-/);
		}
		// C3 works at S1 and S2; C1 only at S1: nothing about C1 goes to S2.
		expect(Object.keys(control('verifications', 'S2'))).toHaveLength(0);

		expect(statusOf('w-genuine')).toBe('valid');
		expect(statusOf('w-missing')).toBe('unverified');
		expect(statusOf('w-mismatch')).toBe('unverified');
		expect(statusOf('w-revoked')).toBe('revoked');
		// The registry's expiry (2026-12-20) overrides the typed one: within 30 days.
		expect(statusOf('w-expiring')).toBe('review_due');

		const kinds = () =>
			Object.values(control<{ kind: string; certificateId: string }>('warnings'))
				.map((w) => `${w.certificateId}:${w.kind}`)
				.sort();
		expect(kinds()).toEqual([
			'c-expiring:expiring',
			'c-mismatch:mismatch',
			'c-missing:not_found',
			'c-revoked:revoked'
		]);
		// Urgent findings are pushed at once, to staff of the site and to the contractor.
		expect(pushes.map((p) => p.audience)).toEqual(
			expect.arrayContaining([
				{ site: 'S1', roles: ['staff'] },
				{ contractor: 'C1', roles: ['contractor'] }
			])
		);
		// One digest today for staff, listing all four.
		const digests = control<{ newWarnings: string[]; counts: Record<string, number> }>('digests');
		expect(Object.keys(digests)).toEqual(['2026-11-28']);
		expect(digests['2026-11-28']!.newWarnings).toHaveLength(4);
		expect(pushes.filter((p) => p.payload.tag.startsWith('digest-S1-'))).toHaveLength(2);

		// Same day, again: nothing new is asked, recorded, warned or pushed.
		const requests = sim.stats().requests;
		const pushed = pushes.length;
		const again = await scheduler.tick();
		expect(again).toMatchObject({ verified: 0, warnings: 0, digests: 0 });
		expect(sim.stats().requests).toBe(requests);
		expect(pushes).toHaveLength(pushed);

		// Next day: daily re-check of the one near its expiry only; nothing new to warn about.
		now += DAY;
		const day2 = await scheduler.tick();
		expect(day2.verified).toBe(1);
		expect(day2.warnings).toBe(0);
		expect(day2.digests).toBe(0);
		expect(Object.keys(control('verifications'))).toHaveLength(5); // unchanged answer: no log
		expect(control<{ checkedAt: string }>('checks')['c-expiring']!.checkedAt).toBe(
			new Date(now).toISOString()
		);

		// A week on: everything is re-checked; answers unchanged, so the log does not grow.
		now += 6 * DAY;
		const week = await scheduler.tick();
		expect(week.verified).toBe(5);
		expect(Object.keys(control('verifications'))).toHaveLength(5);
		expect(kinds()).toHaveLength(4);

		// Past the registry's expiry: 'expired', warned once more, in that day's digest.
		now = Date.parse('2026-12-21T01:00:00Z');
		await scheduler.tick();
		expect(statusOf('w-expiring')).toBe('expired');
		expect(kinds()).toContain('c-expiring:expired');
		expect(control<{ newWarnings: string[] }>('digests')['2026-12-21']!.newWarnings).toEqual([
			'c-expiring:expired:2026-12-20'
		]);
		await scheduler.tick();
		expect(kinds().filter((k) => k === 'c-expiring:expired')).toHaveLength(1);
	});

	it('asks again at once when a certificate changes, and forgets answers about the old card', async () => {
		register([people[1]!], [cert('w-missing', 'T-TYPO')]);
		await scheduler.tick();
		expect(statusOf('w-missing')).toBe('unverified');
		sim.upsert({
			category: 'SO-ELEC-HV',
			number: 'T-FIXED',
			holderName: '李娜',
			status: 'valid',
			expiresOn: '2030-03-01'
		});
		register([], [cert('w-missing', 'T-FIXED')]);
		const r = await scheduler.tick();
		expect(r.verified).toBe(1);
		expect(statusOf('w-missing')).toBe('valid');
		const triggers = Object.values(control<{ trigger: string }>('verifications')).map(
			(v) => v.trigger
		);
		expect(triggers.sort()).toEqual(['change', 'registration']);
	});

	it('registry down: unverified (never expired), retried with backoff, recovers', async () => {
		sim.setMode('down', { retryAfterSeconds: 0 });
		register([people[0]!], [cert('w-genuine', 'T-GENUINE')]);
		const first = await scheduler.tick();
		expect(first.outcomes).toEqual({ unavailable: 1 });
		expect(statusOf('w-genuine')).toBe('unverified');
		const row = scheduler.scheduleOf('C1', 'c-genuine')!;
		expect(row.failures).toBe(1);
		expect(row.next_due).toBe(now + 15 * 60_000);
		// One trace in the log for this card; retries only update `checks`.
		expect(Object.values(control<{ outcome: string }>('verifications'))).toMatchObject([
			{ outcome: 'unavailable', trigger: 'registration' }
		]);
		expect(Object.keys(control('warnings'))).toHaveLength(0);

		// Not due yet: no request.
		const asked = sim.stats().requests;
		now += 10 * 60_000;
		expect((await scheduler.tick()).verified).toBe(0);
		expect(sim.stats().requests).toBe(asked);
		// Due: retried, still down, backoff doubles.
		now += 5 * 60_000;
		expect((await scheduler.tick()).outcomes).toEqual({ unavailable: 1 });
		expect(scheduler.scheduleOf('C1', 'c-genuine')!.next_due).toBe(now + 30 * 60_000);
		expect(control<{ failures: number }>('checks')['c-genuine']!.failures).toBe(2);
		expect(Object.keys(control('verifications'))).toHaveLength(1);
		expect(statusOf('w-genuine')).toBe('unverified');

		sim.setMode('normal');
		now += 30 * 60_000;
		expect((await scheduler.tick()).outcomes).toEqual({ genuine: 1 });
		expect(statusOf('w-genuine')).toBe('valid');
		expect(scheduler.scheduleOf('C1', 'c-genuine')!.next_due).toBe(now + 7 * DAY);

		// Down again at the weekly re-check: the genuine answer stands.
		sim.setMode('down', { retryAfterSeconds: 0 });
		now += 7 * DAY;
		expect((await scheduler.tick()).outcomes).toEqual({ unavailable: 1 });
		expect(statusOf('w-genuine')).toBe('valid');
		expect(Object.keys(control('warnings'))).toHaveLength(0);
	});

	it('registry slow: an answer within the timeout counts; one past it is retried later', async () => {
		sim.setMode('slow', { delayMs: 150 });
		register([people[0]!], [cert('w-genuine', 'T-GENUINE')]);
		expect((await scheduler.tick()).outcomes).toEqual({ genuine: 1 });
		expect(statusOf('w-genuine')).toBe('valid');

		await scheduler.stop();
		registry.close();
		registry = registryFor(100);
		scheduler = makeScheduler();
		sim.setMode('slow', { delayMs: 400 });
		register([people[3]!], [cert('w-revoked', 'T-REVOKED')]);
		expect((await scheduler.tick()).outcomes).toEqual({ unavailable: 1 });
		expect(statusOf('w-revoked')).toBe('unverified');
		expect(scheduler.scheduleOf('C1', 'c-revoked')!.failures).toBe(1);
		sim.setMode('normal');
		now += 15 * 60_000;
		expect((await scheduler.tick()).outcomes).toEqual({ revoked: 1 });
		expect(statusOf('w-revoked')).toBe('revoked');
	});

	it('uses each site’s warning period', async () => {
		relay.server.relay.write('org', (doc) => {
			const c = doc.getMap('contractors').get('C1') as Record<string, unknown>;
			doc.getMap('contractors').set('C1', { ...c, sites: ['S1', 'S2'] });
		});
		relay.server.relay.write(controlDoc('S2'), (doc) => {
			doc.getMap('settings').set('certificates', {
				schema: 1,
				warningDays: 60,
				updatedAt: new Date(START).toISOString(),
				updatedBy: 'safety1'
			} satisfies CertificateSettings);
		});
		// Review on 2027-01-15: 48 days ahead — inside S2's 60 days, outside S1's default 30.
		register([people[0]!], [cert('w-genuine', 'T-GENUINE', '2030-03-01', '2027-01-15')]);
		sim.upsert({ ...seed[0]!, reviewDate: '2027-01-15' });
		await scheduler.tick();
		expect(Object.keys(control('warnings', 'S1'))).toEqual([]);
		expect(Object.keys(control('warnings', 'S2'))).toEqual(['c-genuine:review_due:2027-01-15']);
		// Both sites hold the registry's answer.
		expect(Object.keys(control('verifications', 'S2'))).toHaveLength(1);
	});

	it('the schedule survives a restart and catches up on what fell due meanwhile', async () => {
		register(people.slice(0, 2), [cert('w-genuine', 'T-GENUINE'), cert('w-missing', 'T-MISSING')]);
		await scheduler.tick();
		const asked = sim.stats().requests;
		await scheduler.stop();
		const root = { root: relay.root, dataDir: relay.dataDir, staticDir: relay.staticDir };
		await relay.server.close();

		// Ten days later the relay starts again.
		relay = await startRelay({ root });
		relays.push(relay);
		now += 10 * DAY;
		scheduler = makeScheduler();
		expect(scheduler.scheduleOf('C1', 'c-genuine')!.next_due).toBe(START + 7 * DAY);
		const r = await scheduler.tick();
		expect(r.verified).toBe(2);
		expect(sim.stats().requests).toBe(asked + 2);
		expect(scheduler.scheduleOf('C1', 'c-genuine')!.next_due).toBe(now + 7 * DAY);
		// A digest for the missed days is not invented; today's has nothing new, so none.
		expect(Object.keys(control('digests'))).toEqual(['2026-11-28']);
	});

	it('starts by itself: a registration through a socket is verified within a second', async () => {
		scheduler.start();
		const contractor = connect(
			relay.server,
			contractorDoc('C1'),
			token(relay.server, { sub: 'c1admin', role: 'contractor', contractor: 'C1' })
		);
		await contractor.synced();
		contractor.doc.transact(() => {
			contractor.doc.getMap('workers').set(people[3]!.id, worker(people[3]!));
			contractor.doc.getMap('certificates').set('c-revoked', cert('w-revoked', 'T-REVOKED'));
		});
		await waitFor(() => Object.keys(control('verifications')).length === 1, 'verification');
		expect(statusOf('w-revoked')).toBe('revoked');
		contractor.destroy();
	});

	it('an offline gate that synced the registry’s "revoked" denies with CERT_REVOKED', async () => {
		register([people[3]!], [cert('w-revoked', 'T-REVOKED', '2030-03-01', '2027-06-01')]);
		await scheduler.tick();
		const gateToken = token(relay.server, { sub: 'gate1', role: 'gate', sites: ['S1'] });
		const gateContractor = connect(relay.server, contractorDoc('C1'), gateToken);
		const gateControl = connect(relay.server, controlDoc('S1'), gateToken);
		await Promise.all([gateContractor.synced(), gateControl.synced()]);
		// The gate goes offline, then the relay too: what it holds must be enough.
		const contractor = new Y.Doc();
		const controlCopy = new Y.Doc();
		Y.applyUpdate(contractor, Y.encodeStateAsUpdate(gateContractor.doc));
		Y.applyUpdate(controlCopy, Y.encodeStateAsUpdate(gateControl.doc));
		gateContractor.destroy();
		gateControl.destroy();
		await scheduler.stop();
		await relay.server.close();

		const certificates = workerCertificates(contractor, [controlCopy], 'w-revoked');
		const input: EntryInput = {
			at: new Date(now),
			direction: 'in',
			site: { id: 'S1', kind: 'construction' },
			worker: { id: 'w-revoked', name: '刘洋' },
			certificates,
			training: [{ id: 't', kind: 'site_induction', siteId: 'S1', date: '2026-11-01', hours: 8 }],
			medical: [{ id: 'm', examDate: '2026-10-01', result: 'fit', validUntil: '2027-10-01' }],
			blacklist: [],
			approval: { status: 'approved', siteId: 'S1' },
			workType: 'hv_electrical',
			identity: { method: 'qr', confirmed: true },
			ppe: { worn: true, confidence: 0.9 }
		};
		const decision = decideEntry(input);
		expect(decision.allow).toBe(false);
		expect(decision.reasons.map((r) => r.code)).toContain('CERT_REVOKED');
		// The control: the same gate without the registry's answer would not say "revoked".
		const blind = decideEntry({
			...input,
			certificates: workerCertificates(contractor, [], 'w-revoked')
		});
		expect(blind.reasons.map((r) => r.code)).not.toContain('CERT_REVOKED');
	});
});
