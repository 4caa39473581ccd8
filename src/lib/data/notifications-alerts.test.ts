// The monitor's alerts in the notification centre: safety officers of the site only; unread until
// somebody acts on them; marking everything read does not close an alert.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ZoneAlertRule } from '../domain/zones';
import type { Claims, OrgView } from './access';
import { eventsDoc } from './documents';
import { actOnAlert, buildAlert, raiseAlert } from './monitor';
import { acknowledge, notificationsFor, receivesAlerts, unreadCount } from './notifications';

const claims = (c: Partial<Claims> & Pick<Claims, 'role' | 'sub'>): Claims => ({
	iss: 'org1',
	jti: `j-${c.sub}`,
	iat: 0,
	exp: 4102444800,
	...c
});
const org: OrgView = { contractorSites: () => ['S1'] };
const safety = claims({ role: 'staff', sub: 'safe1', staffRole: 'safety', sites: ['S1'] });
const otherSite = claims({ role: 'staff', sub: 'safe2', staffRole: 'safety', sites: ['S2'] });
const lead = claims({ role: 'staff', sub: 'lead1', staffRole: 'project_lead', sites: ['S1'] });
const gate = claims({ role: 'gate', sub: 'gate1', sites: ['S1'] });
const EVENTS = eventsDoc('S1', '2026-11');

function eventsWithAlert() {
	const doc = new Y.Doc();
	const [rule] = new ZoneAlertRule({ enterFrames: 1 }).step(
		[
			{
				id: 'z1',
				name: '基坑',
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
				feet: { x: 0.8, y: 0.2 },
				feetVisible: true,
				ppe: { worn: true, confidence: 1 }
			}
		],
		[],
		Date.parse('2026-11-28T02:00:00Z')
	).alerts;
	const alert = buildAlert({ siteId: 'S1', cameraId: 'cam-1', deviceId: 'j-gate1', rule: rule! });
	raiseAlert(doc, EVENTS, { claims: gate, org }, alert);
	return { doc, alert };
}

describe('alerts in the notification centre', () => {
	it('reach the safety officers of the site, unread and urgent until somebody acts', () => {
		const { doc, alert } = eventsWithAlert();
		const events = [{ siteId: 'S1', docs: [doc] }];
		expect(receivesAlerts(safety)).toBe(true);
		expect(receivesAlerts(lead)).toBe(false);
		expect(notificationsFor(lead, [], events)).toEqual([]);
		expect(notificationsFor(otherSite, [], events)).toEqual([]);
		let items = notificationsFor(safety, [], events);
		expect(items).toHaveLength(1);
		expect(items[0]).toMatchObject({ kind: 'alert', item: alert.id, urgent: true, read: false });
		expect(unreadCount(items)).toBe(1);

		// "Mark all read" writes acknowledgements for warnings only: the alert stays open.
		const control = new Y.Doc();
		const n = acknowledge(
			() => ({ doc: control, name: 'site:S1:control' }),
			{ claims: safety, org },
			items
		);
		expect(n).toBe(0);

		actOnAlert(doc, EVENTS, { claims: lead, org }, { alert, action: 'ack' });
		items = notificationsFor(safety, [], events);
		expect(items[0]).toMatchObject({ read: true, urgent: false });
		expect(items[0]!.alert?.latest?.by).toBe('lead1');
	});
});
