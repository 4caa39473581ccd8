// One entry application through the whole default chain in Chromium, with three staff laptops
// enrolled through the enrol page (each with its own non-extractable signing key): the project
// lead approves; the safety officer decides while offline (signed and kept on the laptop, the
// director sees nothing yet); back online, the director approves; then a gate device syncs and
// the gate's rules admit the worker. The audit view shows three verified signatures.
import { expect, test, type Page } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decideEntry, localDate } from '../src/lib/domain';
import { contractorDoc, controlDoc } from '../src/lib/data/documents';
import { entryInputFor } from '../src/lib/data/gate';
import { certificateFingerprint } from '../src/lib/data/verification';
import { newUlid } from '../src/lib/data/event-commands';
import type { RunningServer } from '../sync-server/server';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { roomName, syncEndpoint } from '../src/lib/data/relay-protocol';
import { enrolStaff, seedSiteAndContractor, startRelay } from './helpers';

const worker = {
	schema: 2,
	id: 'w-zhang',
	contractorId: 'C1',
	name: '张伟',
	docType: 'resident_id',
	docNumber: '110105194912310021',
	trade: '电工'
} as const;
const cert = {
	schema: 1,
	id: 'c-zhang',
	workerId: 'w-zhang',
	regime: 'special_operation',
	catalogueVersion: 'order30',
	code: 'SO-ELEC-HV',
	number: 'T110105194912310021',
	issuedOn: '2024-03-01',
	expiresOn: '2030-03-01',
	nextReviewOn: '2027-06-01'
} as const;

/** The contractor's side and the registry's answer, as they would be by now. */
function seedApplication(relay: RunningServer) {
	const now = new Date().toISOString();
	const today = localDate(new Date());
	const until = localDate(new Date(Date.now() + 30 * 86_400_000));
	relay.relay.write(contractorDoc('C1'), (doc) => {
		doc.getMap('workers').set(worker.id, { ...worker, createdAt: now, updatedAt: now });
		doc.getMap('certificates').set(cert.id, { ...cert, createdAt: now, updatedAt: now });
		doc.getMap('training').set('t1', {
			schema: 1,
			id: 't1',
			workerId: worker.id,
			kind: 'site_induction',
			siteId: 'S1',
			date: today,
			hours: 8,
			createdAt: now
		});
		doc.getMap('medical').set('m1', {
			schema: 1,
			id: 'm1',
			workerId: worker.id,
			examDate: today,
			result: 'fit',
			validUntil: localDate(new Date(Date.now() + 365 * 86_400_000)),
			createdAt: now
		});
		doc.getMap('applications').set('A1', {
			schema: 1,
			id: 'A1',
			contractorId: 'C1',
			siteId: 'S1',
			workers: [{ workerId: worker.id, workType: 'hv_electrical' }],
			validFrom: today,
			validUntil: until,
			status: 'submitted',
			submittedAt: now,
			submittedBy: 'c1-admin',
			createdAt: now,
			updatedAt: now
		});
	});
	const id = newUlid();
	relay.relay.write(controlDoc('S1'), (doc) => {
		doc.getMap('verifications').set(id, {
			schema: 1,
			id,
			certificateId: cert.id,
			contractorId: 'C1',
			workerId: worker.id,
			fingerprint: certificateFingerprint(cert, worker),
			outcome: 'genuine',
			checkedAt: now,
			source: 'http:省级查询代理',
			trigger: 'registration',
			evidence: { attempts: 1, reference: 'SIM-1' },
			by: 'relay',
			recordedAt: now
		});
	});
}

/** A gate device's replica of one document, synced over the relay's socket (stock y-websocket). */
async function gateReplica(relay: RunningServer, name: string, token: string) {
	const doc = new Y.Doc();
	const provider = new WebsocketProvider(syncEndpoint(relay.url), roomName(name), doc, {
		params: { token },
		WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
		disableBc: true
	});
	await new Promise<void>((done) => {
		if (provider.synced) return done();
		provider.once('sync', (synced: boolean) => synced && done());
	});
	return { doc, provider };
}

const decisions = (relay: RunningServer) =>
	relay.relay.read(controlDoc('S1'), (d) => d.getMap('decisions').size);

async function approveFromQueue(page: Page) {
	const row = page.locator('[data-testid=queue-row][data-worker=w-zhang]');
	await expect(row).toBeVisible({ timeout: 20_000 });
	// Keyboard first: select the row, Enter opens it.
	await row.click();
	await page.keyboard.press('Enter');
	await expect(page.getByTestId('application-review')).toBeVisible();
	await page.getByTestId('decision-approve').click();
	await expect(page.getByTestId('decision-message')).toContainText('张伟');
}

test('one application walks the whole chain; one approver offline; the gate admits', async ({
	browser
}) => {
	test.setTimeout(180_000);
	const relay = await startRelay(mkdtempSync(join(tmpdir(), 'sitepass-approvals-e2e-')));
	seedSiteAndContractor(relay);
	seedApplication(relay);

	const lead = await enrolStaff(browser, relay, 'lead1', '王项目', 'project_lead', {
		landing: '/review',
		serviceWorker: true
	});
	const safety = await enrolStaff(browser, relay, 'safe1', '李安全', 'safety', {
		landing: '/review',
		serviceWorker: true
	});
	const director = await enrolStaff(browser, relay, 'dir1', '赵经理', 'director', {
		landing: '/review',
		serviceWorker: true
	});
	expect(relay.relay.read('org', (d) => d.getMap('keys').size)).toBe(3);

	// 1. The project lead approves.
	await approveFromQueue(lead);
	await expect.poll(() => decisions(relay), { timeout: 15_000 }).toBe(1);

	// 2. The safety officer sees it, then loses the network and decides offline.
	await expect(safety.locator('[data-testid=queue-row][data-worker=w-zhang]')).toBeVisible({
		timeout: 20_000
	});
	await safety.context().setOffline(true);
	await expect(safety.getByTestId('network-state')).toHaveText('离线工作中');
	await approveFromQueue(safety);
	// Signed and kept on the laptop; the relay and the director know nothing yet.
	await safety.waitForTimeout(1500);
	expect(decisions(relay)).toBe(1);
	await director.reload();
	await expect(director.getByTestId('queue-empty')).toBeVisible({ timeout: 20_000 });

	// 3. Back online: the decision reaches the relay, and the director's queue.
	await safety.context().setOffline(false);
	await expect.poll(() => decisions(relay), { timeout: 30_000 }).toBe(2);
	await approveFromQueue(director);
	await expect.poll(() => decisions(relay), { timeout: 15_000 }).toBe(3);

	// The director sets the site's deadlines (the steps stay as they are).
	await director.goto(`${relay.url}/review`);
	const chain = director.getByTestId('chain-settings');
	await chain.getByLabel('时限（小时）').first().fill('8');
	await chain.getByLabel('提前提醒（小时）').first().fill('2');
	await chain.getByRole('button', { name: '保存流程设置' }).click();
	await expect(chain).toContainText('已保存');
	await expect
		.poll(
			() =>
				relay.relay.read(controlDoc('S1'), (d) =>
					JSON.stringify(
						(d.getMap('settings').get('chain:entry') as { steps?: unknown[] } | undefined)
							?.steps?.[0] ?? null
					)
				),
			{ timeout: 15_000 }
		)
		.toContain('"deadlineHours":8');
	await expect(lead.getByTestId('chain-card')).toHaveCount(0);

	// The audit trail: three signatures, each verified, in chain order.
	await lead.goto(`${relay.url}/review/audit/application/S1/C1/A1`);
	const entries = lead.getByTestId('audit-entry');
	await expect(entries).toHaveCount(3, { timeout: 20_000 });
	await expect(lead.getByTestId('audit-mark')).toHaveText(['已验证', '已验证', '已验证'], {
		useInnerText: true
	});

	// 4. A gate device syncs what it may read, goes offline, and its rules admit the worker.
	const gateToken = relay.issueToken({ sub: 'gate1', role: 'gate', sites: ['S1'] });
	const clients = await Promise.all(
		['org', contractorDoc('C1'), controlDoc('S1'), 'blacklist'].map((name) =>
			gateReplica(relay, name, gateToken)
		)
	);
	for (const c of clients) c.provider.destroy();
	await relay.close();
	const [org, contractor, control, blacklist] = clients.map((c) => c.doc);
	const input = entryInputFor(
		{ org: org!, contractor: contractor!, control: control!, blacklist: blacklist! },
		{
			site: { id: 'S1', kind: 'construction' },
			workerId: worker.id,
			at: new Date(),
			direction: 'in',
			identity: { method: 'qr', confirmed: true },
			ppe: { worn: true, confidence: 0.9 }
		}
	)!;
	expect(input.approval?.status).toBe('approved');
	const decision = decideEntry(input);
	expect(decision.reasons).toEqual([]);
	expect(decision.allow).toBe(true);
	for (const p of [lead, safety, director]) await p.context().close();
});
