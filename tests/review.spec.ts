// Multi-level approval end to end (issue 6), in Chromium against a real relay, every person enrolled
// through the enrol page (so each device signs with its own registered key):
// - a contractor admin drafts an entry application on a phone from the ledger (two workers, a work
//   type each) and submits it;
// - the project lead picks both in the queue from the keyboard and approves them at once (one
//   signature each); a pick across two contractors is refused;
// - the safety officer, offline, returns one with a comment and approves the other; the relay gets
//   both on reconnect;
// - the contractor reads the comment, corrects the dates and resubmits (a new round);
// - lead, safety and director sign again; a forged record and a concurrent one are slipped into the
//   site's control document;
// - the audit view marks every record (verified, forged with why, superseded, earlier round) and
//   prints on A4 without the app's frame.
import { expect, test, type Browser, type Page } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signDecision, type SignedDecision } from '../src/lib/data/approvals';
import { contractorDoc } from '../src/lib/data/documents';
import { newUlid } from '../src/lib/data/event-commands';
import { newSecretKey, softwareSigner, type KeyBinding } from '../src/lib/data/signing';
import { certificateFingerprint } from '../src/lib/data/verification';
import { addDays, localDate, residentIdCheckChar } from '../src/lib/domain';
import type { RunningServer } from '../sync-server/server';
import { seedSiteAndContractor, startRelay } from './helpers';

const SHOTS = process.env.SITEPASS_SCREENSHOTS ? 'docs/screenshots' : 'test-results/screenshots';
const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1366, height: 900 };
const HOUR = 3_600_000;
const today = localDate(new Date());
const ago = (hours: number) => new Date(Date.now() - hours * HOUR).toISOString();
const residentId = (first17: string) => first17 + residentIdCheckChar(first17);

interface Person {
	id: string;
	name: string;
	docNumber: string;
	trade: string;
	cert: string | null;
	medicalUntil: string;
}

const C1: Person[] = [
	{
		id: 'w-zhang',
		name: '张伟',
		docNumber: residentId('11010519791231002'),
		trade: '电工',
		cert: 'SO-ELEC-HV',
		medicalUntil: addDays(today, 300)
	},
	{
		id: 'w-liu',
		name: '刘洋',
		docNumber: residentId('11010519820303005'),
		trade: '焊工',
		cert: 'SO-WELD-FUSION',
		// Runs out before the application would end: the safety officer returns it for that.
		medicalUntil: addDays(today, 20)
	},
	{
		id: 'w-chen',
		name: '陈静',
		docNumber: residentId('11010519930404006'),
		trade: '普工',
		cert: null,
		medicalUntil: addDays(today, 200)
	}
];
const C2: Person[] = [
	{
		id: 'w-sun',
		name: '孙磊',
		docNumber: residentId('31010419850506003'),
		trade: '电工',
		cert: 'SO-ELEC-LV',
		medicalUntil: addDays(today, 250)
	},
	{
		id: 'w-zhou',
		name: '周强',
		docNumber: residentId('31010419880709001'),
		trade: '架子工',
		cert: 'SO-HEIGHT-MAINT',
		medicalUntil: addDays(today, 250)
	},
	{
		id: 'w-wu',
		name: '吴刚',
		docNumber: residentId('31010419760210005'),
		trade: '起重工',
		cert: 'SE-2019-Q2',
		medicalUntil: addDays(today, 250)
	},
	{
		id: 'w-zheng',
		name: '郑敏',
		docNumber: residentId('31010419950812004'),
		trade: '普工',
		cert: null,
		medicalUntil: addDays(today, 250)
	}
];

/** Workers with a certificate the registry confirmed, site induction and a medical exam. */
function register(relay: RunningServer, contractorId: string, people: Person[]) {
	const at = new Date().toISOString();
	const verifications: Record<string, unknown>[] = [];
	relay.relay.write(contractorDoc(contractorId), (doc) => {
		for (const p of people) {
			const worker = {
				schema: 2,
				id: p.id,
				contractorId,
				name: p.name,
				docType: 'resident_id',
				docNumber: p.docNumber,
				trade: p.trade,
				createdAt: at,
				updatedAt: at
			};
			doc.getMap('workers').set(p.id, worker);
			if (p.cert) {
				const cert = {
					schema: 1,
					id: `c-${p.id}`,
					workerId: p.id,
					regime: p.cert.startsWith('SE-') ? 'special_equipment' : 'special_operation',
					catalogueVersion: p.cert.startsWith('SE-') ? '2019' : 'order30',
					code: p.cert,
					number: `T${p.docNumber}`,
					issuedOn: '2024-03-01',
					expiresOn: '2030-03-01',
					nextReviewOn: '2027-03-01',
					createdAt: at,
					updatedAt: at
				};
				doc.getMap('certificates').set(cert.id, cert);
				verifications.push({
					schema: 1,
					id: newUlid(),
					certificateId: cert.id,
					contractorId,
					workerId: p.id,
					fingerprint: certificateFingerprint(cert, worker),
					outcome: 'genuine',
					checkedAt: at,
					source: 'http:省级查询代理',
					registryExpiry: '2030-03-01',
					registryReviewDate: '2027-03-01',
					trigger: 'registration',
					evidence: { reference: `SIM-${p.id}` },
					by: 'relay',
					recordedAt: at
				});
			}
			doc.getMap('training').set(`t-${p.id}`, {
				schema: 1,
				id: `t-${p.id}`,
				workerId: p.id,
				kind: 'site_induction',
				siteId: 'S1',
				date: addDays(today, -10),
				hours: 8,
				validUntil: addDays(today, 355),
				trainer: '安全部 李安平',
				createdAt: at
			});
			doc.getMap('medical').set(`m-${p.id}`, {
				schema: 1,
				id: `m-${p.id}`,
				workerId: p.id,
				examDate: addDays(today, -60),
				result: 'fit',
				validUntil: p.medicalUntil,
				createdAt: at
			});
		}
	});
	relay.relay.write('site:S1:control', (doc) => {
		for (const v of verifications) doc.getMap('verifications').set(v.id as string, v);
	});
}

function application(
	id: string,
	contractorId: string,
	workers: [string, string][],
	submittedHoursAgo: number
) {
	const at = ago(submittedHoursAgo);
	return {
		schema: 1,
		id,
		contractorId,
		siteId: 'S1',
		workers: workers.map(([workerId, workType]) => ({ workerId, workType })),
		validFrom: today,
		validUntil: addDays(today, 60),
		status: 'submitted',
		submittedAt: at,
		submittedBy: 'c2-admin',
		createdAt: at,
		updatedAt: at
	};
}

/** A staff member's key bound the way enrolment binds one, for records signed here in Node. */
function nodeSigner(
	relay: RunningServer,
	principal: string,
	name: string,
	staffRole: KeyBinding['staffRole']
) {
	const signer = softwareSigner(newSecretKey());
	relay.relay.write('org', (doc) => {
		doc.getMap('users').set(principal, {
			schema: 1,
			id: principal,
			name,
			role: 'staff',
			staffRole,
			sites: ['S1'],
			createdAt: '2026-01-01T00:00:00.000Z'
		});
		doc.getMap('keys').set(signer.keyId, {
			schema: 1,
			id: signer.keyId,
			principal,
			publicKey: signer.publicKey,
			role: 'staff',
			staffRole,
			sites: ['S1'],
			validFrom: '2026-01-01T00:00:00.000Z',
			registeredBy: 'admin-e2e'
		} satisfies KeyBinding);
	});
	return signer;
}

/** Another contractor's applications, one overdue at the lead, one escalated past safety. */
async function seedOtherContractor(relay: RunningServer) {
	const at = new Date().toISOString();
	relay.relay.write('org', (doc) => {
		doc.getMap('contractors').set('C2', {
			schema: 1,
			id: 'C2',
			name: '申城电力安装有限公司',
			sites: ['S1'],
			createdAt: at
		});
	});
	register(relay, 'C2', C2);
	const escalated = application('app-c2-crane', 'C2', [['w-wu', 'crane_operator']], 40);
	relay.relay.write(contractorDoc('C2'), (doc) => {
		const apps = doc.getMap('applications');
		apps.set(
			'app-c2-old',
			application(
				'app-c2-old',
				'C2',
				[
					['w-sun', 'lv_electrical'],
					['w-zhou', 'height_maintenance']
				],
				30
			)
		);
		apps.set('app-c2-new', application('app-c2-new', 'C2', [['w-zheng', 'general_labour']], 3));
		apps.set('app-c2-crane', escalated);
	});
	// The lead approved the crane operator 30 hours ago; safety has let its deadline pass since.
	const earlier = nodeSigner(relay, 'lead-old', '周立', 'project_lead');
	const { hash, record } = await signDecision(earlier, {
		site: 'S1',
		application: 'C2/app-c2-crane',
		worker: 'w-wu',
		round: escalated.submittedAt,
		step: 0,
		stepId: 'lead_review',
		decision: 'approve',
		comment: '',
		conditions: [],
		signer: 'lead-old',
		prev: null,
		at: ago(30)
	});
	relay.relay.write('site:S1:control', (doc) => doc.getMap('decisions').set(hash, record));
}

/** Enrols a person through the enrol page with a code an admin made; the page lands on `path`. */
async function enrol(
	browser: Browser,
	relay: RunningServer,
	request: Record<string, unknown>,
	deviceName: string,
	viewport: { width: number; height: number },
	home: string
): Promise<Page> {
	const admin = relay.issueToken({ sub: 'admin-e2e', role: 'admin' });
	const res = await fetch(`${relay.url}/api/enrolments`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
		body: JSON.stringify(request)
	});
	expect(res.status).toBe(201);
	const { link } = await res.json();
	const context = await browser.newContext({ viewport, hasTouch: viewport.width < 500 });
	const page = await context.newPage();
	await page.goto(link);
	await page.getByLabel('设备名称').fill(deviceName);
	await page.getByRole('button', { name: '登记' }).click();
	await expect(page.getByTestId('enrol-done')).toBeVisible();
	await page.waitForURL(`**${home}`);
	await expect(page.getByTestId('relay-state')).toHaveAttribute('data-state', 'synced', {
		timeout: 20_000
	});
	return page;
}

const decisions = (relay: RunningServer) =>
	relay.relay.read('site:S1:control', (d) => d.getMap('decisions').size);

let relay: RunningServer;

test.beforeEach(async () => {
	relay = await startRelay(mkdtempSync(join(tmpdir(), 'sitepass-review-e2e-')));
	seedSiteAndContractor(relay);
	register(relay, 'C1', C1);
	await seedOtherContractor(relay);
});

test.afterEach(async () => {
	await relay.close();
});

test('an application walks the chain: bulk approval, a return offline, resubmission, audit', async ({
	browser
}) => {
	test.setTimeout(240_000);

	// The contractor admin drafts the application on a phone, from the ledger.
	const phone = await enrol(
		browser,
		relay,
		{ role: 'contractor', contractor: 'C1', name: '陈经理', sub: 'c1-admin' },
		'陈经理的手机',
		PHONE,
		'/ledger'
	);
	await phone.getByTestId('ledger-applications').click();
	await phone.getByTestId('new-application').click();
	const form = phone.getByTestId('application-form');
	await expect(form.getByTestId('application-site')).toHaveValue('S1');
	await form.getByTestId('candidate').filter({ hasText: '张伟' }).locator('input').check();
	await form.getByTestId('candidate').filter({ hasText: '刘洋' }).locator('input').check();
	await expect(form.getByTestId('picked-worker')).toHaveCount(2);
	// The work each card covers is suggested, and its certificate shown as the registry judged it.
	const zhangRow = form.locator('[data-testid=picked-worker][data-worker=w-zhang]');
	const liuRow = form.locator('[data-testid=picked-worker][data-worker=w-liu]');
	await expect(zhangRow.locator('select')).toHaveValue('hv_electrical');
	await expect(liuRow.locator('select')).toHaveValue('hot_work');
	await expect(zhangRow).toContainText('高压电工作业 · 有效');
	await liuRow.locator('select').selectOption('general_labour');
	await expect(liuRow).toContainText('无需特种作业证');
	await liuRow.locator('select').selectOption('hot_work');
	await form.getByTestId('application-note').fill('3号楼配电室改造：高压电气作业与动火作业');
	await form.getByTestId('submit-application').click();
	await expect(phone.getByTestId('application-progress')).toHaveCount(2);
	await expect(phone.getByTestId('application-message')).toContainText('已提交审批');
	const appId = phone.url().split('/').pop()!;
	expect(appId).toMatch(/^app/);
	await expect
		.poll(() => relay.relay.read(contractorDoc('C1'), (d) => d.getMap('applications').has(appId)))
		.toBe(true);

	// The project lead: the queue, nearest deadline first, overdue marked.
	const lead = await enrol(
		browser,
		relay,
		{ role: 'staff', staffRole: 'project_lead', name: '王建国', sites: ['S1'], sub: 'lead1' },
		'王建国的笔记本',
		LAPTOP,
		'/review'
	);
	await expect(lead.getByTestId('signing-key')).toHaveAttribute('data-registered', 'true');
	const rows = lead.getByTestId('queue-row');
	await expect(rows).toHaveCount(5);
	await expect(rows.first()).toContainText('孙磊');
	await expect(rows.first()).toContainText('已逾期');
	await expect(lead.getByTestId('queue-summary')).toContainText('逾期 2');
	await expect(rows.filter({ hasText: '张伟' })).toContainText('高压电工作业 · 有效');

	// Both of C1's workers picked from the keyboard.
	await lead.getByTestId('filter-contractor').selectOption('C1');
	await expect(rows).toHaveCount(2);
	await rows.first().locator('.name').click();
	await lead.keyboard.press('x');
	await lead.keyboard.press('j');
	await lead.keyboard.press('x');
	await expect(lead.getByTestId('picked-count')).toHaveText('已选 2 人');
	await lead.getByTestId('filter-contractor').selectOption('');
	await expect(rows).toHaveCount(5);
	await lead.evaluate(() => document.fonts.ready);
	await lead.screenshot({ path: `${SHOTS}/review-queue-zh.png` });

	// A pick across contractors is refused until it is undone.
	await rows.first().locator('.name').click();
	await lead.keyboard.press('x');
	await expect(lead.getByTestId('bulk-approve')).toBeDisabled();
	await expect(lead.getByText('批量批准只能选择同一外包单位的人员')).toBeVisible();
	await lead.keyboard.press('x');
	await expect(lead.getByTestId('bulk-approve')).toBeEnabled();

	// One confirmation, one signature per worker.
	await lead.keyboard.press('a');
	const dialog = lead.getByTestId('bulk-dialog');
	await expect(dialog.getByTestId('bulk-item')).toHaveCount(2);
	await expect(dialog).toContainText('批量批准 2 人（华东焊接工程有限公司）');
	await dialog.getByTestId('bulk-confirm').click();
	await expect(dialog.getByTestId('bulk-progress')).toHaveText('完成：2 人已批准，0 人失败');
	await expect(dialog.locator('[data-testid=bulk-item][data-state=ok]')).toHaveCount(2);
	await dialog.getByTestId('bulk-close').click();
	await expect(rows).toHaveCount(3);
	await expect.poll(() => decisions(relay)).toBe(3); // two here, plus the seeded one

	// The safety officer opens 刘洋 from the queue and decides offline.
	const safety = await enrol(
		browser,
		relay,
		{ role: 'staff', staffRole: 'safety', name: '李安平', sites: ['S1'], sub: 'safe1' },
		'李安平的笔记本',
		LAPTOP,
		'/review'
	);
	await expect(safety.getByTestId('signing-key')).toHaveAttribute('data-registered', 'true');
	const safetyRows = safety.getByTestId('queue-row');
	await expect(safetyRows).toHaveCount(3);
	await safetyRows.filter({ hasText: '刘洋' }).locator('.name').click();
	await safety.keyboard.press('Enter');
	await safety.waitForURL(`**/review/S1/C1/${appId}?worker=w-liu`);
	const worker = safety.getByTestId('review-worker');
	await expect(worker).toHaveAttribute('data-worker', 'w-liu');
	// Safety staff see full ID numbers (blacklist checks); the rest of the screen has what decides.
	await expect(safety.getByTestId('review-id')).toHaveText(C1[1]!.docNumber);
	await expect(safety.getByTestId('review-blacklist')).toContainText('未列入');
	await expect(safety.getByTestId('review-cert')).toContainText('覆盖申请作业');
	await expect(safety.getByTestId('cert-verification')).toHaveAttribute('data-outcome', 'genuine');
	await expect(safety.getByTestId('review-preview')).toContainText(
		`体检将于 ${C1[1]!.medicalUntil} 过期`
	);
	// …and what would stop him before the approval runs out.
	await expect(safety.getByTestId('review-preview-later')).toContainText(
		`体检已于 ${C1[1]!.medicalUntil} 过期`
	);
	await expect(
		safety.locator('[data-testid=approval-step][data-step=lead_review]')
	).toHaveAttribute('data-state', 'approve');
	await expect(safety.getByTestId('review-chain')).toContainText('王建国');
	await safety.evaluate(() => document.fonts.ready);
	await safety.screenshot({ path: `${SHOTS}/review-decision-zh.png`, fullPage: true });

	await safety.context().setOffline(true);
	await safety.getByTestId('decision-return').click();
	await expect(safety.getByTestId('decision-message')).toHaveText('退回修改或不予批准时请写明意见');
	const comment = `体检将于 ${C1[1]!.medicalUntil} 到期，早于申请结束日期；请把结束日期改在体检有效期内。`;
	await safety.getByTestId('decision-comment').fill(comment);
	await safety.getByTestId('decision-return').click();
	await expect(safety.getByTestId('decision-message')).toContainText('已签名：刘洋 · 退回修改');
	// On to the next worker waiting for this officer.
	await expect(worker).toHaveAttribute('data-worker', 'w-zhang');
	await safety.getByTestId('decision-conditions').fill('仅限白班作业\n进入配电室须办理工作票');
	await safety.getByTestId('decision-approve').click();
	await expect(safety.getByTestId('decision-message')).toContainText('已签名：张伟 · 批准');
	expect(await decisions(relay)).toBe(3);
	await safety.context().setOffline(false);
	await expect.poll(() => decisions(relay), { timeout: 20_000 }).toBe(5);

	// The contractor reads why, corrects the end date and resubmits: a new round for both.
	const returned = phone.locator('[data-testid=returned-notice][data-worker=w-liu]');
	await expect(returned).toContainText(comment, { timeout: 20_000 });
	await expect(returned).toContainText('刘洋 被退回修改（安全部门复核 · 李安平');
	await phone.evaluate(() => document.fonts.ready);
	await phone.screenshot({ path: `${SHOTS}/application-returned-zh.png`, fullPage: true });
	await phone.getByTestId('edit-application').click();
	await expect(phone.getByText('重新提交后，本申请中的全部人员将从第一步重新审批。')).toBeVisible();
	await phone.getByTestId('application-until').fill(addDays(today, 14));
	await phone.getByTestId('submit-application').click();
	await expect(phone.getByTestId('returned-notice')).toHaveCount(0);
	await expect(
		phone.locator('[data-testid=approval-step][data-step=lead_review][data-state=waiting]')
	).toHaveCount(2);

	// The lead again, one at a time on the decision screen (IDs masked for the lead).
	await expect(rows).toHaveCount(5, { timeout: 20_000 });
	await lead.getByTestId('filter-contractor').selectOption('C1');
	await rows.filter({ hasText: '张伟' }).locator('.name').click();
	await lead.keyboard.press('Enter');
	await expect(lead.getByTestId('review-worker')).toHaveAttribute('data-worker', 'w-zhang');
	await expect(lead.getByTestId('review-id')).toHaveText(/^1101\*{10}\d{3}[\dX]$/);
	await expect(lead.getByTestId('review-chain')).toContainText('上一轮提交的审批记录 2 条');
	await lead.getByTestId('decision-approve').click();
	await expect(lead.getByTestId('review-worker')).toHaveAttribute('data-worker', 'w-liu');
	await lead.getByTestId('decision-approve').click();
	await expect(lead.getByTestId('decision-message')).toContainText('已签名：刘洋 · 批准');
	await expect.poll(() => decisions(relay)).toBe(7);

	// Slipped into the control document behind the apps' backs: a second lead's approval made at
	// the same time (valid, but the earlier one counts) and a record under a key nobody registered.
	const round = relay.relay.read(
		contractorDoc('C1'),
		(d) => (d.getMap('applications').get(appId) as { submittedAt: string }).submittedAt
	);
	const leadDecision = relay.relay.read('site:S1:control', (d) =>
		[...d.getMap('decisions').values()].find((r) => {
			const x = r as SignedDecision;
			return x.signer === 'lead1' && x.worker === 'w-zhang' && x.round === round;
		})
	) as SignedDecision;
	const second = nodeSigner(relay, 'lead2', '孙副经理', 'project_lead');
	const concurrent = await signDecision(second, {
		site: 'S1',
		application: `C1/${appId}`,
		worker: 'w-zhang',
		round,
		step: 0,
		stepId: 'lead_review',
		decision: 'approve',
		comment: '同意',
		conditions: [],
		signer: 'lead2',
		prev: null,
		at: new Date(Date.parse(leadDecision.at) + 1000).toISOString()
	});
	const forged = await signDecision(softwareSigner(newSecretKey()), {
		site: 'S1',
		application: `C1/${appId}`,
		worker: 'w-zhang',
		round,
		step: 1,
		stepId: 'safety_check',
		decision: 'approve',
		comment: '',
		conditions: [],
		signer: 'safe1',
		prev: null,
		at: new Date().toISOString()
	});
	relay.relay.write('site:S1:control', (d) => {
		d.getMap('decisions').set(concurrent.hash, concurrent.record);
		d.getMap('decisions').set(forged.hash, forged.record);
	});

	// Safety signs both; the forged record did not count for 张伟's safety step.
	await safety.goto(`${relay.url}/review`);
	await expect(safetyRows).toHaveCount(3, { timeout: 20_000 });
	await safetyRows.filter({ hasText: '张伟' }).locator('.name').click();
	await safety.keyboard.press('Enter');
	await expect(safety.getByTestId('forged-warning')).toContainText('1 条审批记录签名无效');
	await safety.getByTestId('decision-approve').click();
	await expect(safety.getByTestId('review-worker')).toHaveAttribute('data-worker', 'w-liu');
	await safety.getByTestId('decision-approve').click();
	await expect(safety.getByTestId('decision-message')).toContainText('已签名：刘洋 · 批准');

	// The director: C1's two, and the crane operator escalated past the safety deadline.
	const director = await enrol(
		browser,
		relay,
		{ role: 'staff', staffRole: 'director', name: '赵志远', sites: ['S1'], sub: 'dir1' },
		'赵志远的笔记本',
		LAPTOP,
		'/review'
	);
	const directorRows = director.getByTestId('queue-row');
	await expect(directorRows).toHaveCount(3);
	await expect(director.getByTestId('queue-summary')).toContainText('越级 1');
	await expect(directorRows.filter({ hasText: '吴刚' })).toContainText('越级审批');
	await directorRows.filter({ hasText: '张伟' }).locator('.name').click();
	await director.keyboard.press('Enter');
	await expect(director.getByTestId('review-worker')).toHaveAttribute('data-worker', 'w-zhang');
	await director.getByTestId('decision-approve').click();
	await expect(director.getByTestId('decision-message')).toContainText('已签名：张伟 · 批准');

	// The audit trail of the application: every record, each marked.
	await director.getByTestId('audit-link').click();
	await director.waitForURL(`**/review/audit/application/S1/C1/${appId}`);
	const entries = director.getByTestId('audit-entry');
	await expect(entries).toHaveCount(11);
	await expect(director.locator('[data-testid=audit-entry][data-mark=verified]')).toHaveCount(5);
	await expect(director.locator('[data-testid=audit-entry][data-mark=earlier]')).toHaveCount(4);
	await expect(director.locator('[data-testid=audit-entry][data-mark=superseded]')).toHaveCount(1);
	const forgedEntry = director.locator(`[data-testid=audit-entry][data-hash="${forged.hash}"]`);
	await expect(forgedEntry).toHaveAttribute('data-mark', 'forged');
	await expect(forgedEntry.getByTestId('audit-forged-reason')).toHaveText('签名密钥未在组织中登记');
	await expect(
		director.locator(`[data-testid=audit-entry][data-hash="${concurrent.hash}"]`)
	).toContainText('孙副经理');
	const returnEntry = entries.filter({ hasText: '退回修改' });
	await expect(returnEntry).toContainText('李安平');
	await expect(returnEntry).toContainText('李安平的笔记本');
	await expect(returnEntry).toContainText(comment);
	await expect(returnEntry).toContainText('第 1 轮');
	await expect(director.locator('[data-testid=audit-worker][data-worker=w-zhang]')).toHaveAttribute(
		'data-status',
		'approved'
	);
	await expect(director.locator('[data-testid=audit-worker][data-worker=w-liu]')).toHaveAttribute(
		'data-status',
		'pending'
	);
	await expect(director.getByTestId('audit-tally')).toContainText('共 11 条记录');
	await director.evaluate(() => document.fonts.ready);
	await director.screenshot({ path: `${SHOTS}/audit-zh.png`, fullPage: true });

	// On paper: A4 width, no menu, no header bar, no buttons; hashes printed in full.
	await director.setViewportSize({ width: 794, height: 1123 });
	await director.emulateMedia({ media: 'print' });
	await expect(director.locator('.sidebar')).toBeHidden();
	await expect(director.locator('.topbar')).toBeHidden();
	await expect(director.getByTestId('print')).toBeHidden();
	await expect(forgedEntry).toContainText(forged.hash);
	await director.screenshot({ path: `${SHOTS}/audit-print-zh.png`, fullPage: true });
	await director.emulateMedia({ media: null });
	await director.setViewportSize(LAPTOP);

	// One worker's trail.
	await director.goto(`${relay.url}/review/audit/worker/C1/w-liu`);
	await expect(director.getByTestId('audit-worker-application')).toHaveCount(1);
	await expect(director.locator('[data-testid=audit-entry][data-mark=earlier]')).toHaveCount(2);
	await expect(director.locator('[data-testid=audit-entry][data-mark=verified]')).toHaveCount(2);

	for (const p of [phone, lead, safety, director]) await p.context().close();
});
