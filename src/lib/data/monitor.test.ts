// Cameras and zones in the control document, alerts and their actions in the events document.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ZoneAlertRule, type Zone } from '../domain/zones';
import type { Claims, OrgView } from './access';
import { AccessError, putRecord } from './commands';
import { AlertAction } from './events';
import { controlDoc, eventsDoc } from './documents';
import {
	actOnAlert,
	actOnAlertAndLearn,
	alertViews,
	blurRegions,
	buildAlert,
	CameraError,
	cameraProblems,
	cameras,
	deleteCamera,
	learningLabel,
	monitorSettings,
	raiseAlert,
	saveCamera,
	saveMonitorSettings
} from './monitor';

const claims = (c: Partial<Claims> & Pick<Claims, 'role' | 'sub'>): Claims => ({
	iss: 'org1',
	jti: `j-${c.sub}`,
	iat: 0,
	exp: 4102444800,
	...c
});
const org: OrgView = { contractorSites: (c) => ({ C1: ['S1'] })[c] };
const safety = {
	claims: claims({ role: 'staff', sub: 'safe1', staffRole: 'safety', sites: ['S1'] }),
	org
};
const lead = {
	claims: claims({ role: 'staff', sub: 'lead1', staffRole: 'project_lead', sites: ['S1'] }),
	org
};
const gate = { claims: claims({ role: 'gate', sub: 'gate1', sites: ['S1'] }), org };
const contractor = { claims: claims({ role: 'contractor', sub: 'c1', contractor: 'C1' }), org };
const CONTROL = controlDoc('S1');
const EVENTS = eventsDoc('S1', '2026-11');

const zone: Zone = {
	id: 'z-1',
	name: '基坑边',
	kind: 'danger',
	polygon: [
		{ x: 0.5, y: 0.5 },
		{ x: 0.9, y: 0.5 },
		{ x: 0.9, y: 0.95 },
		{ x: 0.5, y: 0.95 }
	]
};

describe('cameras', () => {
	it('saves a camera with zones, lists it, replaces and deletes it', () => {
		const doc = new Y.Doc();
		const cam = saveCamera(doc, CONTROL, lead, {
			siteId: 'S1',
			name: ' 东门摄像头 ',
			source: { kind: 'device' },
			zones: [{ ...zone, polygon: zone.polygon.map((p) => ({ x: p.x + 1e-7, y: p.y })) }]
		});
		expect(cam.id).toMatch(/^cam-/);
		expect(cam.name).toBe('东门摄像头');
		expect(cam.zones[0]!.polygon[0]).toEqual({ x: 0.5, y: 0.5 });
		expect(cameras(doc).map((c) => c.id)).toEqual([cam.id]);
		expect(cam.zones[0]!.siteZone).toBeUndefined();
		// A danger zone can name the site zone (work area) it shows: permits there cover it.
		const linked = saveCamera(doc, CONTROL, lead, {
			...cam,
			zones: [{ ...cam.zones[0]!, siteZone: 'tank-1' }]
		});
		expect(cameras(doc)[0]!.zones[0]!.siteZone).toBe('tank-1');
		expect(linked.zones[0]!.siteZone).toBe('tank-1');
		saveCamera(doc, CONTROL, lead, { ...cam, zones: [] });
		expect(cameras(doc)[0]!.zones).toEqual([]);
		expect(() => deleteCamera(doc, CONTROL, contractor, cam.id)).toThrow(AccessError);
		expect(deleteCamera(doc, CONTROL, lead, cam.id)).toBe(true);
		expect(cameras(doc)).toEqual([]);
	});

	it('refuses bad input with every problem named, writing nothing', () => {
		const doc = new Y.Doc();
		const bad = {
			siteId: 'S1',
			name: ' ',
			source: { kind: 'mjpeg', url: 'rtsp://cam/1' } as const,
			zones: [
				{ ...zone, name: '' },
				{ ...zone, id: 'z-2', polygon: zone.polygon.slice(0, 2) },
				{ ...zone, id: 'z-3' },
				{ ...zone, id: 'z-4' }
			]
		};
		expect(cameraProblems(bad).map((p) => p.code)).toEqual([
			'NAME_REQUIRED',
			'URL_INVALID',
			'ZONE_NAME_REQUIRED',
			'ZONE_POLYGON',
			'ZONE_NAME_DUPLICATE',
			'ZONE_NAME_DUPLICATE'
		]);
		expect(() => saveCamera(doc, CONTROL, lead, bad)).toThrow(CameraError);
		expect(doc.getMap('cameras').size).toBe(0);
		expect(
			cameraProblems({
				name: 'x',
				source: { kind: 'hls', url: 'http://10.0.0.5/live.m3u8' },
				zones: []
			})
		).toEqual([]);
	});

	it('only staff of the site write cameras', () => {
		const doc = new Y.Doc();
		const cam = { siteId: 'S1', name: '塔吊', source: { kind: 'device' } as const, zones: [zone] };
		expect(() => saveCamera(doc, CONTROL, gate, cam)).toThrow(AccessError);
		expect(() => saveCamera(doc, CONTROL, contractor, cam)).toThrow(AccessError);
	});

	it('settings: faces blurred by default, the site may choose otherwise', () => {
		const doc = new Y.Doc();
		expect(monitorSettings(doc)).toEqual({ blurFaces: true });
		saveMonitorSettings(doc, CONTROL, safety, { blurFaces: false });
		expect(monitorSettings(doc)).toEqual({ blurFaces: false });
		doc.getMap('settings').set('monitor', { schema: 9 });
		expect(monitorSettings(doc)).toEqual({ blurFaces: true });
	});
});

function ruleAlert(kind: 'intrusion' | 'ppe_violation' = 'intrusion') {
	const rule = new ZoneAlertRule({ enterFrames: 1 });
	const z: Zone = kind === 'intrusion' ? zone : { ...zone, kind: 'hardhat' };
	const ppe =
		kind === 'intrusion' ? { worn: true, confidence: 0.9 } : { worn: false, confidence: 0.9 };
	const [a] = rule.step(
		[z],
		[{ trackId: 4, feet: { x: 0.7, y: 0.8 }, feetVisible: true, ppe }],
		[],
		Date.parse('2026-11-28T02:00:00.000Z')
	).alerts;
	return a!;
}

describe('alerts', () => {
	it('a gate or staff device raises an alert; staff act on it; the latest action counts', () => {
		const doc = new Y.Doc();
		const alert = buildAlert({
			siteId: 'S1',
			cameraId: 'cam-1',
			deviceId: 'j-lead1',
			rule: ruleAlert(),
			box: { x: 0.6, y: 0.3, width: 0.2, height: 0.5 },
			snapshot: 'a'.repeat(64)
		});
		expect(alert).toMatchObject({
			kind: 'zone',
			zoneId: 'z-1',
			zoneName: '基坑边',
			zoneKind: 'danger',
			trackId: 4,
			feet: { x: 0.7, y: 0.8 },
			blurred: true,
			at: '2026-11-28T02:00:00.000Z'
		});
		raiseAlert(doc, EVENTS, gate, alert);
		raiseAlert(doc, EVENTS, gate, alert); // again: harmless
		expect(doc.getMap('alerts').size).toBe(1);
		let [view] = alertViews([doc]);
		expect(view).toMatchObject({ open: true, unhandled: true, latest: null });

		// A gate cannot act on alerts; a contractor cannot write events at all.
		expect(() => actOnAlert(doc, EVENTS, gate, { alert, action: 'ack' })).toThrow(AccessError);
		expect(() => actOnAlert(doc, EVENTS, contractor, { alert, action: 'ack' })).toThrow(
			AccessError
		);

		actOnAlert(doc, EVENTS, safety, { alert, action: 'ack' }, new Date('2026-11-28T02:01:00Z'));
		[view] = alertViews([doc]);
		expect(view).toMatchObject({ open: true, unhandled: false, latest: { action: 'ack' } });
		actOnAlert(
			doc,
			EVENTS,
			safety,
			{ alert, action: 'resolved', note: '  已劝离  ' },
			new Date('2026-11-28T02:03:00Z')
		);
		[view] = alertViews([doc]);
		expect(view!.open).toBe(false);
		expect(view!.latest).toMatchObject({ action: 'resolved', note: '已劝离', by: 'safe1' });
		expect(view!.actions.map((a) => a.action)).toEqual(['ack', 'resolved']);
		// Append-only: an action cannot be changed afterwards.
		const [key, value] = [...doc.getMap('alertActions').entries()][0]!;
		expect(() =>
			putRecord(doc, EVENTS, safety, 'alertActions', key, AlertAction, {
				...(value as AlertAction),
				action: 'false_alarm'
			})
		).toThrow(/cannot be changed/);
	});

	it('actions from two devices merge; alerts newest first across documents', () => {
		const a = new Y.Doc();
		const b = new Y.Doc();
		const first = buildAlert({
			siteId: 'S1',
			cameraId: 'cam-1',
			deviceId: 'd',
			rule: ruleAlert(),
			at: new Date('2026-11-28T01:00:00Z')
		});
		const second = buildAlert({
			siteId: 'S1',
			cameraId: 'cam-1',
			deviceId: 'd',
			rule: ruleAlert(),
			at: new Date('2026-11-28T03:00:00Z')
		});
		raiseAlert(a, EVENTS, gate, first);
		raiseAlert(b, eventsDoc('S1', '2026-12'), gate, second);
		actOnAlert(a, EVENTS, safety, { alert: first, action: 'false_alarm', label: 'not_person' });
		const views = alertViews([a, b]);
		expect(views.map((v) => v.alert.id)).toEqual([second.id, first.id]);
		expect(views[1]!.latest?.label).toBe('not_person');
	});

	it('learning labels only from PPE alerts with features', () => {
		const ppe = buildAlert({
			siteId: 'S1',
			cameraId: 'cam-1',
			deviceId: 'd',
			rule: ruleAlert('ppe_violation'),
			ppe: { worn: false, confidence: 0.9, model: 'builtin-1', features: [0.1, 0.2] }
		});
		expect(ppe.kind).toBe('ppe');
		expect(learningLabel(ppe, { action: 'false_alarm', label: null })).toEqual({
			label: 'hardhat',
			features: [0.1, 0.2]
		});
		expect(learningLabel(ppe, { action: 'false_alarm', label: 'not_person' })?.label).toBe(
			'not_person'
		);
		expect(learningLabel(ppe, { action: 'resolved', label: null })?.label).toBe('none');
		expect(learningLabel(ppe, { action: 'ack', label: null })).toBeNull();
		const zoneAlert = buildAlert({ siteId: 'S1', cameraId: 'c', deviceId: 'd', rule: ruleAlert() });
		expect(learningLabel(zoneAlert, { action: 'false_alarm', label: 'hardhat' })).toBeNull();
	});

	it("an officer's action on a PPE alert becomes a site-learning label; a zone alert teaches nothing", () => {
		const events = new Y.Doc();
		const control = new Y.Doc();
		const target = { events, eventsName: EVENTS, control, controlName: CONTROL };
		const names = ['a', 'b'];
		const ppe = buildAlert({
			siteId: 'S1',
			cameraId: 'cam-1',
			deviceId: 'd',
			rule: ruleAlert('ppe_violation'),
			ppe: { worn: false, confidence: 0.9, model: 'builtin-1', features: [0.1, 0.2] },
			snapshot: 'b'.repeat(64)
		});
		raiseAlert(events, EVENTS, gate, ppe);
		const at = new Date('2026-11-28T03:00:00Z');
		const out = actOnAlertAndLearn(target, safety, ppe, { action: 'false_alarm' }, names, at);
		expect(out.labelError).toBeNull();
		expect(out.label).toBe(`alert-${ppe.id}`);
		expect(control.getMap('ppeLabels').get(out.label!)).toMatchObject({
			source: 'alert',
			ref: ppe.id,
			label: 'hardhat',
			features: [0.1, 0.2],
			featureNames: names,
			snapshot: 'b'.repeat(64),
			by: 'safe1',
			at: at.toISOString()
		});
		// Relabelled later (resolved: it was a bare head after all): the label is replaced.
		actOnAlertAndLearn(target, safety, ppe, { action: 'resolved', label: 'none' }, names);
		expect(control.getMap('ppeLabels').size).toBe(1);
		expect(control.getMap('ppeLabels').get(out.label!)).toMatchObject({ label: 'none' });
		expect(alertViews([events])[0]!.actions.map((a) => a.action)).toEqual([
			'false_alarm',
			'resolved'
		]);

		const zoneAlert = buildAlert({ siteId: 'S1', cameraId: 'c', deviceId: 'd', rule: ruleAlert() });
		raiseAlert(events, EVENTS, gate, zoneAlert);
		const z = actOnAlertAndLearn(target, safety, zoneAlert, { action: 'resolved' }, names);
		expect(z.label).toBeNull();
		expect(control.getMap('ppeLabels').size).toBe(1);
	});

	it('blur regions cover each head, or the top of a person without one', () => {
		const [withHead, without] = blurRegions([
			{
				box: { x: 0, y: 0, width: 100, height: 300 },
				head: { x: 30, y: 10, width: 40, height: 40 }
			},
			{ box: { x: 200, y: 100, width: 100, height: 300 }, head: null }
		]);
		expect(withHead).toEqual({ x: -2, y: -22, width: 104, height: 104 });
		expect(without!.y).toBeLessThan(100);
		expect(without!.y + without!.height).toBeGreaterThanOrEqual(100 + 300 * 0.2);
	});
});
