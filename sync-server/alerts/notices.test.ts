// A monitor tablet's alert reaches the relay: the site's safety officers are pushed one notice, once
// (a second sync, or the same alert seen again, sends nothing); old backlog is recorded unpushed.
import { afterAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ZoneAlertRule } from '../../src/lib/domain/zones';
import { eventsDoc } from '../../src/lib/data/documents';
import { newUlid } from '../../src/lib/data/event-commands';
import { buildAlert, raiseAlert } from '../../src/lib/data/monitor';
import { orgViewOf } from '../../src/lib/data/org';
import type { PushAudience, PushPayload } from '../push';
import { connect, seedOrg, startRelay, token, waitFor, type TestRelay } from '../testing';
import { alertNotice } from './notices';

const relays: TestRelay[] = [];
afterAll(async () => {
	for (const r of relays) await r.server.close();
});

function alertAt(at: Date) {
	const [rule] = new ZoneAlertRule({ enterFrames: 1 }).step(
		[
			{
				id: 'z1',
				name: '塔吊回转区',
				kind: 'danger',
				polygon: [
					{ x: 0, y: 0 },
					{ x: 1, y: 0 },
					{ x: 1, y: 1 }
				]
			}
		],
		[
			{
				trackId: 1,
				feet: { x: 0.9, y: 0.1 },
				feetVisible: true,
				ppe: { worn: true, confidence: 1 }
			}
		],
		[],
		at.getTime()
	).alerts;
	return buildAlert({ siteId: 'S1', cameraId: 'cam-1', deviceId: 'gate-1', rule: rule!, at });
}

describe('alert notices', () => {
	it('one push per new alert to the safety officers of its site, never again', async () => {
		const relay = await startRelay();
		relays.push(relay);
		seedOrg(relay.server);
		const sent: { audience: PushAudience; payload: PushPayload }[] = [];
		relay.server.push.send = async (audience, payload) => {
			sent.push({ audience, payload });
			return { sent: 1, failed: 0, removed: 0 };
		};
		const now = new Date();
		const name = eventsDoc('S1', '2026-11');
		const org = new Y.Doc();
		relay.server.relay.read('org', (d) => Y.applyUpdate(org, Y.encodeStateAsUpdate(d)));
		const claims = {
			sub: 'gate-1',
			role: 'gate' as const,
			sites: ['S1'],
			iss: 'x',
			jti: 'j',
			iat: 0,
			exp: 0
		};
		const actor = { claims, org: orgViewOf(org) };
		const gate = connect(
			relay.server,
			name,
			token(relay.server, { sub: 'gate-1', role: 'gate', sites: ['S1'] })
		);
		const fresh = alertAt(now);
		const old = alertAt(new Date(now.getTime() - 3 * 24 * 3600_000));
		raiseAlert(gate.doc, name, actor, fresh);
		raiseAlert(gate.doc, name, actor, old);
		await waitFor(() => sent.length >= 1, 'the push');
		await new Promise((r) => setTimeout(r, 400));
		expect(sent).toHaveLength(1);
		expect(sent[0]!.audience).toEqual({ site: 'S1', roles: ['staff'], staffRoles: ['safety'] });
		expect(sent[0]!.payload).toEqual(alertNotice(fresh, 'Site S1'));
		expect(sent[0]!.payload.body).toBe('Site S1 · 塔吊回转区：有人进入危险区域，请立即查看处理。');
		// A second alert later: pushed alone; the first one is not sent again.
		const second = alertAt(new Date(now.getTime() + 1000));
		raiseAlert(gate.doc, name, actor, second);
		await waitFor(() => sent.length >= 2, 'the second push');
		await new Promise((r) => setTimeout(r, 400));
		expect(sent.map((s) => s.payload.tag)).toEqual([`alert-${fresh.id}`, `alert-${second.id}`]);
		const rows = relay.server.relay.storage.db
			.prepare('SELECT id, pushed FROM alert_notices ORDER BY id')
			.all() as { id: string; pushed: number }[];
		expect(rows).toEqual(
			[
				{ id: fresh.id, pushed: 1 },
				{ id: second.id, pushed: 1 },
				{ id: old.id, pushed: 0 }
			].sort((a, b) => (a.id < b.id ? -1 : 1))
		);
		gate.destroy();
	});
});

describe('a phone’s geofence alarms', () => {
	it('push once per worker and zone per 10 minutes; every alarm is still recorded', async () => {
		const relay = await startRelay();
		relays.push(relay);
		seedOrg(relay.server);
		const sent: PushPayload[] = [];
		relay.server.push.send = async (_audience, payload) => {
			sent.push(payload);
			return { sent: 1, failed: 0, removed: 0 };
		};
		const name = eventsDoc('S1', '2026-11');
		const alarm = (i: number, zoneId: string) => {
			const id = newUlid();
			return {
				schema: 1,
				id,
				siteId: 'S1',
				kind: 'geofence',
				at: new Date(Date.now() - 1000 + i).toISOString(),
				workerId: 'W9',
				zoneId,
				zoneName: zoneId,
				deviceId: 'phone:j1',
				message: `W9 进入 ${zoneId}`
			};
		};
		const phone = connect(
			relay.server,
			name,
			token(relay.server, { role: 'worker', sub: 'W9', sites: ['S1'], contractor: 'C1' })
		);
		await phone.synced();
		const first = alarm(0, 'pump');
		phone.doc.getMap('alerts').set(first.id, first);
		await waitFor(() => sent.length >= 1, 'the first push');
		for (let i = 1; i <= 5; i++) {
			const again = alarm(i, 'pump');
			phone.doc.getMap('alerts').set(again.id, again);
			await new Promise((r) => setTimeout(r, 150));
		}
		const other = alarm(9, 'substation');
		phone.doc.getMap('alerts').set(other.id, other);
		await waitFor(() => sent.length >= 2, 'the other zone’s push');
		await new Promise((r) => setTimeout(r, 400));
		expect(sent.map((p) => p.title)).toEqual(['定位报警', '定位报警']);
		expect(sent.map((p) => p.body)).toEqual([
			'Site S1 · pump：有工人的手机定位在禁入区域内，请立即查看处理。',
			'Site S1 · substation：有工人的手机定位在禁入区域内，请立即查看处理。'
		]);
		const rows = relay.server.relay.storage.db
			.prepare('SELECT count(*) AS n FROM alert_notices')
			.get() as { n: number };
		expect(rows.n).toBe(7);
		phone.destroy();
	});
});
