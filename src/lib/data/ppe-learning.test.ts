import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { PPE_FEATURE_NAMES } from '../vision/ppe';
import { PpeModelError, PpeTrainingError } from '../vision/ppe-learn';
import type { Claims, OrgView } from './access';
import { AccessError } from './commands';
import { controlDoc } from './documents';
import {
	activePpeModel,
	ppeLabels,
	ppeItems,
	ppeModels,
	ppeSettings,
	promotePpeModel,
	putPpeLabel,
	rollBackPpeModel,
	trainPpeCandidate,
	type LoadBlob,
	type PutBlob
} from './ppe-learning';
import { RecordError } from './records';
import { mulberry32 } from '../testing/seeded';

const names = [...PPE_FEATURE_NAMES];
const org: OrgView = { contractorSites: () => ['S1'] };
const claims = (role: Claims['role'], sub: string): Claims => ({
	iss: 'org',
	sub,
	role,
	staffRole: role === 'staff' ? 'safety' : undefined,
	sites: ['S1'],
	jti: `j-${sub}`,
	iat: 0,
	exp: 2e9
});
const staff = { claims: claims('staff', 'safe1'), org, docName: controlDoc('S1') };

/** A blob store in memory: what the device's BlobStore does, minus IndexedDB and the relay. */
function blobs() {
	const store = new Map<string, Uint8Array>();
	const putBlob: PutBlob = async (bytes) => {
		const hash = createHash('sha256').update(bytes).digest('hex');
		store.set(hash, bytes);
		return hash;
	};
	const loadBlob: LoadBlob = async (hash) => store.get(hash) ?? null;
	return { store, putBlob, loadBlob };
}

const rng = mulberry32;

/** Green hard hats (which the builtin does not know) against textured dark hair, a little noise. */
function features(r: () => number, worn: boolean): number[] {
	const c = (hat: number, bare: number) => Math.max(0, (worn ? hat : bare) + (r() - 0.5) * 0.1);
	return [
		c(0.1, 0.05),
		c(0.8, 0.45),
		c(0.45, 0.2),
		c(0.35, 0.25),
		c(0.08, 0.3),
		c(0.3, 0.1),
		c(0.55, 0.6),
		c(0.05, 0.3),
		c(1.1, 0.6),
		c(1.2, 0.8),
		0,
		0
	];
}

function label(control: Y.Doc, n: number, worn: boolean | 'not_person', r: () => number) {
	for (let i = 0; i < n; i++) {
		putPpeLabel(control, {
			source: 'gate',
			ref: `E${worn}${i}`,
			snapshot: null,
			features: features(r, worn === true),
			featureNames: names,
			label: worn === 'not_person' ? 'not_person' : worn ? 'hardhat' : 'none',
			by: 'safe1',
			at: '2026-11-29T04:00:00.000Z'
		});
	}
}

describe('PPE labels and site models in the control document', () => {
	it('puts a label per picture; labelling it again replaces it; bad input writes nothing', () => {
		const control = new Y.Doc();
		const base = {
			source: 'gate' as const,
			ref: '01JF00000000000000000000AB',
			snapshot: 'a'.repeat(64),
			features: features(rng(1), true),
			featureNames: names,
			label: 'hardhat' as const,
			by: 'safe1',
			at: '2026-11-29T04:00:00.000Z'
		};
		const id = putPpeLabel(control, base, staff);
		expect(id).toBe('gate-01JF00000000000000000000AB');
		expect(putPpeLabel(control, { ...base, label: 'none' }, staff)).toBe(id);
		expect(ppeLabels(control)).toHaveLength(1);
		expect(ppeLabels(control)[0]!.label).toBe('none');
		expect(() =>
			putPpeLabel(control, { ...base, ref: 'x/y', features: [Number.NaN] }, staff)
		).toThrow(RecordError);
		expect(() => putPpeLabel(control, { ...base, label: 'maybe' as never })).toThrow(RecordError);
		expect(ppeLabels(control)).toHaveLength(1);
		// A gate reads the control document but does not label.
		const gate = { claims: claims('gate', 'gate-east'), org, docName: controlDoc('S1') };
		expect(() => putPpeLabel(control, { ...base, ref: 'E2' }, gate)).toThrow(AccessError);
	});

	it('trains a candidate (not active), refuses to promote it on too few labels, says why', async () => {
		const control = new Y.Doc();
		const { putBlob, loadBlob } = blobs();
		const r = rng(2);
		await expect(trainPpeCandidate(control, { by: 'safe1', putBlob, loadBlob })).rejects.toThrow(
			PpeTrainingError
		);
		label(control, 14, true, r);
		label(control, 14, false, r);
		const { record } = await trainPpeCandidate(control, {
			by: 'safe1',
			putBlob,
			loadBlob,
			actor: staff
		});
		expect(record.promoted).toBe(false);
		expect(record.verdict).toEqual({ promote: false, reason: 'TOO_FEW_HELD_OUT' });
		expect(ppeSettings(control)).toBeNull();
		const outcome = await promotePpeModel(control, record.version, { by: 'safe1', loadBlob });
		expect(outcome).toMatchObject({ ok: false, verdict: { reason: 'TOO_FEW_HELD_OUT', need: 10 } });
		expect(ppeSettings(control)).toBeNull();
		expect(await activePpeModel(control, loadBlob)).toBeNull();
	});

	it('promotes a better model; devices load it from the blob bytes; roll back to builtin', async () => {
		const control = new Y.Doc();
		const { store, putBlob, loadBlob } = blobs();
		const r = rng(3);
		label(control, 50, true, r);
		label(control, 50, false, r);
		label(control, 4, 'not_person', r);
		const { record, result } = await trainPpeCandidate(control, {
			by: 'safe1',
			putBlob,
			loadBlob,
			actor: staff
		});
		expect(record.labels).toMatchObject({ hardhat: 50, none: 50, not_person: 4, stale: 0 });
		expect(record.current.model).toBe('builtin-1');
		expect(record.candidate.accuracy!).toBeGreaterThan(record.current.accuracy!);
		expect(record.verdict).toEqual({ promote: true });
		expect(store.has(record.blob)).toBe(true);

		const outcome = await promotePpeModel(control, record.version, {
			by: 'safe1',
			loadBlob,
			actor: staff
		});
		expect(outcome.ok).toBe(true);
		expect(ppeSettings(control)).toMatchObject({ activeModel: record.version, change: 'promote' });
		expect(ppeModels(control)[0]).toMatchObject({
			promoted: true,
			promotedBy: 'safe1',
			previous: null
		});

		// Another device: the document by sync, the bytes by the blob store.
		const gate = new Y.Doc();
		Y.applyUpdate(gate, Y.encodeStateAsUpdate(control));
		const model = await activePpeModel(gate, loadBlob);
		expect(model).toEqual(result.model);
		await expect(activePpeModel(gate, async () => null)).rejects.toMatchObject({
			code: 'BLOB_MISSING'
		});
		await expect(
			activePpeModel(gate, async () => new TextEncoder().encode('{"format":"x"}'))
		).rejects.toBeInstanceOf(PpeModelError);
		await expect(
			activePpeModel(gate, async () => {
				throw new Error('relay unreachable');
			})
		).rejects.toMatchObject({ code: 'OFFLINE' });

		// The same model again is not strictly better than itself.
		const again = await trainPpeCandidate(control, { by: 'safe1', putBlob, loadBlob });
		expect(again.record.current.model).toBe(record.version);
		const refused = await promotePpeModel(control, again.record.version, { by: 'safe1', loadBlob });
		expect(refused).toMatchObject({ ok: false, verdict: { reason: 'NOT_MORE_ACCURATE' } });
		expect(ppeSettings(control)!.activeModel).toBe(record.version);

		expect(rollBackPpeModel(control, 'previous', { by: 'safe1', actor: staff })).toBeNull();
		expect(ppeSettings(control)).toMatchObject({ activeModel: null, change: 'rollback_builtin' });
		expect(await activePpeModel(control, loadBlob)).toBeNull();
	});

	it('lists gate readings with features and a crop, and alerts with a reading and a snapshot', () => {
		const events = new Y.Doc();
		const f = features(rng(4), true);
		const reading = { worn: false, confidence: 0.9, reason: null, model: 'builtin-1' };
		const gate = (id: string, at: string, ppe: unknown) => ({
			schema: 1,
			id,
			siteId: 'S1',
			workerId: 'w1',
			direction: 'in',
			at,
			deviceId: 'gate-east',
			method: 'face',
			allow: true,
			reasons: [],
			ppe
		});
		const A = '01JF0000000000000000000A01';
		const B = '01JF0000000000000000000A02';
		const C = '01JF0000000000000000000A03';
		const D = '01JF0000000000000000000A04';
		const at = (m: number) => `2026-11-29T0${m}:00:00.000Z`;
		events
			.getMap('attendance')
			.set(A, gate(A, at(1), { ...reading, features: f, crop: 'c'.repeat(64) }));
		// No crop, no features, no reading: nothing to show or learn from.
		events.getMap('attendance').set(B, gate(B, at(2), { ...reading, features: f, crop: null }));
		events.getMap('attendance').set(C, gate(C, at(3), null));
		events.getMap('alerts').set(D, {
			schema: 1,
			id: D,
			siteId: 'S1',
			kind: 'ppe',
			at: at(4),
			deviceId: 'monitor-1',
			snapshot: 'd'.repeat(64),
			ppe: { ...reading, features: f }
		});
		events.getMap('alerts').set('01JF0000000000000000000A05', {
			schema: 1,
			id: '01JF0000000000000000000A05',
			siteId: 'S1',
			kind: 'zone',
			at: at(5),
			deviceId: 'monitor-1',
			snapshot: 'e'.repeat(64)
		});
		// A PPE alert with a head crop: the crop is what is labelled.
		const E = '01JF0000000000000000000A06';
		events.getMap('alerts').set(E, {
			schema: 1,
			id: E,
			siteId: 'S1',
			kind: 'ppe',
			at: at(6),
			deviceId: 'monitor-1',
			snapshot: 'e'.repeat(64),
			ppe: { ...reading, features: f, crop: 'f'.repeat(64) }
		});
		const items = ppeItems(events);
		expect(items.map((i) => [i.key, i.picture.slice(0, 1)])).toEqual([
			[`alert-${E}`, 'f'],
			[`alert-${D}`, 'd'],
			[`gate-${A}`, 'c']
		]);
		expect(items[2]).toMatchObject({ source: 'gate', ref: A, workerId: 'w1', features: f });
	});
});
