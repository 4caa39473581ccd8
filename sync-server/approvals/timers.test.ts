// Approval deadlines under fake time: a reminder before the deadline, then overdue and escalation
// to the next level when it passes — each once, grouped per site and role, also across a restart.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signDecision } from '../../src/lib/data/approvals';
import { contractorDoc, controlDoc } from '../../src/lib/data/documents';
import type { Signer } from '../../src/lib/data/signing';
import { registerKey, seedOrg, startRelay, type TestRelay } from '../testing';
import { ApprovalTimers, type Fired } from './timers';

const T0 = Date.parse('2026-11-28T01:00:00.000Z');
const H = 3_600_000;

let relay: TestRelay;
let now: number;
let pushes: { audience: unknown; body: string }[];
let lead: Signer;

function timers() {
	return new ApprovalTimers({
		relay: relay.server.relay,
		now: () => now,
		push: async (audience, payload) => {
			pushes.push({ audience, body: payload.body });
		}
	});
}

const kinds = (fired: Fired[]) => fired.map((f) => `${f.worker}:${f.kind}:${f.role}`).sort();

beforeEach(async () => {
	relay = await startRelay();
	seedOrg(relay.server);
	lead = registerKey(relay.server, 'lead1', { staffRole: 'project_lead', sites: ['S1'] });
	now = T0;
	pushes = [];
	const at = new Date(T0).toISOString();
	relay.server.relay.write(contractorDoc('C1'), (doc) => {
		doc.getMap('applications').set('A1', {
			schema: 1,
			id: 'A1',
			contractorId: 'C1',
			siteId: 'S1',
			workers: [
				{ workerId: 'w1', workType: 'hv_electrical' },
				{ workerId: 'w2', workType: 'hv_electrical' }
			],
			validFrom: '2026-11-28',
			validUntil: '2026-12-31',
			status: 'submitted',
			submittedAt: at,
			createdAt: at,
			updatedAt: at
		});
	});
});

afterEach(async () => {
	await relay.server.close();
});

describe('approval deadlines', () => {
	it('remind at deadline − 4 h, then overdue + escalation at the deadline, each once', async () => {
		const t = timers();
		expect(await t.tick()).toEqual([]);
		now = T0 + 19 * H;
		expect(await t.tick()).toEqual([]);

		now = T0 + 20 * H;
		expect(kinds(await t.tick())).toEqual(['w1:reminder:project_lead', 'w2:reminder:project_lead']);
		// One push for both workers, to the step's role at that site.
		expect(pushes).toEqual([
			{
				audience: { site: 'S1', roles: ['staff'], staffRoles: ['project_lead'] },
				body: 'Site S1：2 项进场审批即将超过时限，请尽快处理。'
			}
		]);
		expect(await t.tick()).toEqual([]);

		now = T0 + 24 * H;
		expect(kinds(await t.tick())).toEqual([
			'w1:escalation:safety',
			'w1:overdue:project_lead',
			'w2:escalation:safety',
			'w2:overdue:project_lead'
		]);
		expect(pushes.slice(1).map((p) => (p.audience as { staffRoles: string[] }).staffRoles)).toEqual(
			[['project_lead'], ['safety']]
		);

		// A restart neither repeats nor loses anything.
		await t.stop();
		const again = timers();
		now = T0 + 30 * H;
		expect(await again.tick()).toEqual([]);
	});

	it('a decision moves the clock to the next step', async () => {
		const decided = new Date(T0 + 2 * H).toISOString();
		const d = await signDecision(lead, {
			site: 'S1',
			application: 'C1/A1',
			worker: 'w1',
			round: new Date(T0).toISOString(),
			step: 0,
			stepId: 'lead_review',
			decision: 'approve',
			comment: '',
			conditions: [],
			signer: 'lead1',
			prev: null,
			at: decided
		});
		relay.server.relay.write(controlDoc('S1'), (doc) =>
			doc.getMap('decisions').set(d.hash, d.record)
		);
		const t = timers();
		now = T0 + 21 * H;
		// w2 still waits on the lead; w1 is at the safety step since T0+2h (reminder at +22h).
		expect(kinds(await t.tick())).toEqual(['w2:reminder:project_lead']);
		now = T0 + 22 * H;
		expect(kinds(await t.tick())).toEqual(['w1:reminder:safety']);
		now = T0 + 26 * H;
		expect(kinds(await t.tick())).toEqual([
			'w1:escalation:director',
			'w1:overdue:safety',
			'w2:escalation:safety',
			'w2:overdue:project_lead'
		]);
	});

	it('reads the documents only when something changed or a time it saw has come', async () => {
		const r = relay.server.relay;
		const read = r.read.bind(r);
		let reads = 0;
		r.read = ((name: string, fn: never) => {
			reads++;
			return read(name, fn);
		}) as typeof r.read;
		const t = timers();
		await t.tick();
		const perPass = reads;
		expect(perPass).toBeGreaterThan(0);
		now = T0 + H;
		await t.tick();
		now = T0 + 19 * H;
		await t.tick();
		expect(reads).toBe(perPass); // nothing changed, nothing due: no reads
		r.write(contractorDoc('C1'), (doc) => {
			const a = doc.getMap('applications').get('A1') as Record<string, unknown>;
			doc.getMap('applications').set('A1', { ...a, note: '补充说明' });
		});
		await t.tick();
		expect(reads).toBe(2 * perPass);
		now = T0 + 20 * H; // the reminder time seen in the last pass
		expect((await t.tick()).length).toBe(2);
		await t.stop();
		r.read = read;
	});
});

describe('work permit deadlines', () => {
	it('tells the approvers at once, then at the reminder and the deadline, each once', async () => {
		const at = new Date(T0).toISOString();
		relay.server.relay.write(controlDoc('S1'), (doc) => {
			doc.getMap('permits').set('P1', {
				schema: 1,
				id: 'P1',
				siteId: 'S1',
				number: 'DH-20261128-P1',
				kind: 'hot_work',
				grade: 'second',
				zone: 'tank-1',
				work: '更换法兰',
				validFrom: new Date(T0 + 2 * H).toISOString(),
				validUntil: new Date(T0 + 6 * H).toISOString(),
				people: [],
				hazards: [],
				measures: ['清除可燃物'],
				gasTests: [],
				isolations: [],
				lifecycle: 'submitted',
				submittedAt: at,
				submittedBy: 'lead1',
				createdAt: at,
				createdBy: 'lead1',
				updatedAt: at,
				updatedBy: 'lead1'
			});
		});
		const t = timers();
		// Grade 2 hot work on a Saturday is raised to grade 1: lead (4 h, reminded 1 h before), then
		// safety.
		expect(kinds(await t.tick())).toEqual(['P1:turn:project_lead']);
		expect(pushes.at(-1)).toEqual({
			audience: { site: 'S1', roles: ['staff'], staffRoles: ['project_lead'] },
			body: 'Site S1：1 张作业票等待您审批。'
		});
		expect(await t.tick()).toEqual([]);
		now = T0 + 3 * H;
		expect(kinds(await t.tick())).toEqual(['P1:reminder:project_lead']);
		now = T0 + 4 * H;
		expect(kinds(await t.tick())).toEqual(['P1:escalation:safety', 'P1:overdue:project_lead']);
		expect(pushes.map((p) => p.body)).toContain('Site S1：1 张作业票审批已超过时限。');
		expect(await t.tick()).toEqual([]);
		// The entry application above still runs on its own clock, untouched.
		now = T0 + 20 * H;
		expect(kinds(await t.tick())).toEqual(['w1:reminder:project_lead', 'w2:reminder:project_lead']);
	});
});
