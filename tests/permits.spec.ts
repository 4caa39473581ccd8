// Work permits end to end (issue 9), in Chromium against a real relay, every staff member enrolled
// through the enrol page (so each laptop signs with its own registered key):
// - the project lead registers two neighbouring zones;
// - a hot-work permit from the template with a worker who holds only a 高压电工 card as 动火人:
//   submission is refused and the reason is shown in Chinese; with a welder instead it goes in;
// - a confined-space permit next door at the same time: the approver's view flags the clash;
// - the hot-work permit is signed through its chain, shows as active on the live board, is
//   suspended and resumed, and an extension past the grade's limit is refused with the message;
// - the printed QR opened at /p#… says 有效 and 已核验 on an enrolled laptop, and 有效 with
//   "cannot check the signature" on a phone that is not enrolled.
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contractorDoc, controlDoc } from '../src/lib/data/documents';
import { newUlid } from '../src/lib/data/event-commands';
import { certificateFingerprint } from '../src/lib/data/verification';
import { addDays, localDate, residentIdCheckChar } from '../src/lib/domain';
import type { RunningServer } from '../sync-server/server';
import { enrolStaff, seedSiteAndContractor, startRelay } from './helpers';

const SHOTS = process.env.SITEPASS_SCREENSHOTS ? 'docs/screenshots' : 'test-results/screenshots';
mkdirSync(SHOTS, { recursive: true });
const LAPTOP = { width: 1366, height: 900 };
const PHONE = { width: 390, height: 844 };
const today = localDate(new Date());
const residentId = (first17: string) => first17 + residentIdCheckChar(first17);

const PEOPLE = [
	// Only a 高压电工 card: not a hot-work operator.
	{ id: 'w-zhang', name: '张伟', doc: '11010519791231002', trade: '电工', cert: 'SO-ELEC-HV' },
	{ id: 'w-liu', name: '刘洋', doc: '11010519820303005', trade: '焊工', cert: 'SO-WELD-FUSION' },
	{ id: 'w-chen', name: '陈静', doc: '11010519930404006', trade: '普工', cert: null },
	{ id: 'w-sun', name: '孙磊', doc: '31010419850506003', trade: '管工', cert: null },
	{ id: 'w-zhou', name: '周强', doc: '31010419880709001', trade: '普工', cert: null }
];

/** The contractor's workers, their certificates and the registry's answers, as they would be. */
function seedWorkers(relay: RunningServer) {
	const at = new Date().toISOString();
	const verifications: Record<string, unknown>[] = [];
	relay.relay.write(contractorDoc('C1'), (doc) => {
		for (const p of PEOPLE) {
			const worker = {
				schema: 2,
				id: p.id,
				contractorId: 'C1',
				name: p.name,
				docType: 'resident_id',
				docNumber: residentId(p.doc),
				trade: p.trade,
				createdAt: at,
				updatedAt: at
			};
			doc.getMap('workers').set(p.id, worker);
			if (!p.cert) continue;
			const cert = {
				schema: 1,
				id: `c-${p.id}`,
				workerId: p.id,
				regime: 'special_operation',
				catalogueVersion: 'order30',
				code: p.cert,
				number: `T${worker.docNumber}`,
				issuedOn: '2024-03-01',
				expiresOn: '2030-03-01',
				nextReviewOn: addDays(today, 400),
				createdAt: at,
				updatedAt: at
			};
			doc.getMap('certificates').set(cert.id, cert);
			verifications.push({
				schema: 1,
				id: newUlid(),
				certificateId: cert.id,
				contractorId: 'C1',
				workerId: p.id,
				fingerprint: certificateFingerprint(cert, worker),
				outcome: 'genuine',
				checkedAt: at,
				source: 'http:省级查询代理',
				registryExpiry: '2030-03-01',
				trigger: 'registration',
				evidence: { reference: `SIM-${p.id}` },
				by: 'relay',
				recordedAt: at
			});
		}
	});
	relay.relay.write(controlDoc('S1'), (doc) => {
		for (const v of verifications) doc.getMap('verifications').set(v.id as string, v);
	});
}

async function addZone(page: Page, name: string, neighbour?: string) {
	const form = page.getByTestId('zone-form');
	await form.getByTestId('zone-name').fill(name);
	if (neighbour) await form.getByTestId('zone-neighbours').getByLabel(neighbour).check();
	await form.getByTestId('zone-save').click();
	await expect(page.locator(`[data-testid=zone-row][data-zone="${name}"]`)).toBeVisible();
}

async function addPerson(page: Page, workerId: string, role: string) {
	await page.getByTestId('person-pick').selectOption(`C1/${workerId}`);
	await page.getByTestId('person-role').selectOption(role);
	await page.getByTestId('person-add').click();
	await expect(page.locator(`[data-testid=permit-person][data-worker=${workerId}]`)).toBeVisible();
}

async function gasAndIsolation(page: Page, point: string) {
	await page.getByTestId('gas-o2').fill('20.9');
	await page.getByTestId('gas-lel').fill('0');
	await page.getByTestId('gas-add').click();
	await expect(page.getByTestId('gas-row')).toHaveCount(1);
	await page.getByTestId('isolation-point').fill(point);
	await page.getByTestId('isolation-add').click();
	await page.getByTestId('isolation-confirm').click();
	await expect(page.getByTestId('isolation-row')).toContainText('确认');
}

const permitsOf = (relay: RunningServer) =>
	relay.relay.read(controlDoc('S1'), (d) =>
		[...d.getMap('permits').values()].map(
			(p) => p as { id: string; kind: string; number: string; validFrom: string }
		)
	);

const holidaysOf = (relay: RunningServer) =>
	relay.relay.read(
		controlDoc('S1'),
		(d) => (d.getMap('settings').get('permits') as { holidays?: string[] } | undefined)?.holidays
	);

/** A laptop page as one picture: the window made as tall as the page (the app's frame is sticky). */
async function shot(page: Page, file: string) {
	const height = await page.evaluate(() => document.documentElement.scrollHeight);
	await page.setViewportSize({ width: LAPTOP.width, height: Math.max(LAPTOP.height, height) });
	await page.screenshot({ path: `${SHOTS}/${file}` });
	await page.setViewportSize(LAPTOP);
}

/** Shanghai wall clock (UTC+8, no DST) as a datetime-local value. */
const shanghaiLocal = (t: number) => new Date(t + 8 * 3_600_000).toISOString().slice(0, 16);

test('permits: template, refused person, clash, signed chain, board, suspend, extension, QR', async ({
	browser
}) => {
	test.setTimeout(360_000);
	const relay = await startRelay(mkdtempSync(join(tmpdir(), 'sitepass-permits-e2e-')));
	seedSiteAndContractor(relay);
	seedWorkers(relay);
	const lead = await enrolStaff(browser, relay, 'lead1', '王项目', 'project_lead', {
		landing: '/permits'
	});
	const safety = await enrolStaff(browser, relay, 'safe1', '李安全', 'safety', {
		landing: '/permits'
	});
	const signers: Record<string, Page> = { lead_review: lead, safety_check: safety };

	// 1. Two neighbouring zones.
	await lead.getByTestId('permits-zones-link').click();
	await addZone(lead, '一号罐区');
	await addZone(lead, '二号泵房', '一号罐区');
	await expect(lead.locator('[data-testid=zone-row][data-zone="二号泵房"]')).toContainText(
		'一号罐区'
	);

	// Holidays raise hot-work grades: the lead sees them, safety staff set them; a typo is refused.
	await expect(lead.getByTestId('permit-calendar')).toContainText('由安全部门或主管领导设置');
	await safety.goto(`${relay.url}/permits/zones?site=S1`);
	await safety.getByTestId('permit-holidays').fill('2026-10-01\n2026-10-0x');
	await safety.getByTestId('permit-calendar-save').click();
	await expect(safety.getByTestId('permit-calendar')).toContainText('日期格式不正确：2026-10-0x');
	await safety.getByTestId('permit-holidays').fill('2026-10-01\n2026-10-02');
	await safety.getByTestId('permit-calendar-save').click();
	await expect(safety.getByTestId('permit-calendar')).toContainText('已保存 2 个节假日');
	await expect
		.poll(() => holidaysOf(relay), { timeout: 15_000 })
		.toEqual(['2026-10-01', '2026-10-02']);
	await expect(lead.getByTestId('permit-holidays')).toHaveValue('2026-10-01\n2026-10-02');

	// 2. Hot work from the template; a 高压电工 card as 动火人 blocks submission, with the reason.
	await lead.goto(`${relay.url}/permits/new?site=S1`);
	await lead.locator('[data-testid=permit-kind][data-kind=hot_work]').click();
	await expect(lead.getByTestId('permit-measures')).toHaveValue(/配备灭火器/);
	await lead.getByTestId('permit-grade').selectOption('first');
	await lead.getByTestId('permit-zone').selectOption({ label: '一号罐区' });
	await lead.getByTestId('permit-work').fill('一号罐进料管线法兰焊接');
	await addPerson(lead, 'w-zhang', 'operator');
	await addPerson(lead, 'w-chen', 'guardian');
	const zhang = lead.locator('[data-testid=permit-person][data-worker=w-zhang]');
	await expect(zhang.getByTestId('person-check')).toContainText('不能担任动火人');
	await expect(zhang.getByTestId('person-check')).toContainText('高压电工');
	await gasAndIsolation(lead, '1号罐进料阀');
	await lead.getByTestId('permit-submit').click();
	const refusal = lead.getByTestId('permit-message');
	await expect(refusal).toContainText('不能提交');
	await expect(refusal).toContainText('张伟：不能担任动火人');
	await expect(refusal).toContainText('焊接与热切割');
	expect(permitsOf(relay)).toHaveLength(0);
	await shot(lead, 'permit-new-refused-zh.png');

	// Fixed: the welder is the operator.
	await zhang.getByRole('button', { name: '移除' }).click();
	await addPerson(lead, 'w-liu', 'operator');
	await expect(
		lead.locator('[data-testid=permit-person][data-worker=w-liu]').getByTestId('person-check')
	).toContainText('资格符合');
	await expect(lead.getByTestId('permit-check')).toContainText('检查通过');
	await lead.getByTestId('permit-submit').click();
	await expect(lead.getByTestId('permit-detail')).toHaveAttribute('data-status', 'pending');
	const hotUrl = lead.url();
	await expect.poll(() => permitsOf(relay).length, { timeout: 15_000 }).toBe(1);
	const hot = permitsOf(relay)[0]!;

	// 3. Confined-space entry next door at the same time.
	await lead.goto(`${relay.url}/permits/new?site=S1`);
	await lead.locator('[data-testid=permit-kind][data-kind=confined_space]').click();
	await lead.getByTestId('permit-zone').selectOption({ label: '二号泵房' });
	await lead.getByTestId('permit-work').fill('二号泵房集水井清淤');
	await addPerson(lead, 'w-sun', 'operator');
	await addPerson(lead, 'w-zhou', 'guardian');
	await gasAndIsolation(lead, '集水井进水闸');
	await lead.getByTestId('permit-submit').click();
	await expect(lead.getByTestId('permit-detail')).toHaveAttribute('data-status', 'pending');
	await expect.poll(() => permitsOf(relay).length, { timeout: 15_000 }).toBe(2);

	// 4. The approver's view flags the clash; the permit is signed through its chain. The chain
	// follows the grade the window really has (raised at night and on holidays), so whoever's
	// step is waiting signs, the director too when the grade asks for one.
	await lead.goto(`${relay.url}/permits?site=S1`);
	const hotRow = lead.locator(`[data-testid=permit-row][data-number="${hot.number}"]`);
	await expect(hotRow).toContainText('待您审批');
	await hotRow.click();
	await lead.keyboard.press('Enter');
	await expect(lead).toHaveURL(hotUrl);
	const clashes = lead.getByTestId('permit-clashes');
	await expect(clashes).toHaveAttribute('data-count', '1');
	await expect(clashes).toContainText('与二号泵房的受限空间作业同时进行，属于不相容作业');
	await shot(lead, 'permit-approver-clash-zh.png');
	for (let round = 0; round < 4; round++) {
		const waiting = lead.locator('[data-testid=approval-step][data-state=waiting]');
		if ((await waiting.count()) === 0) break;
		const step = (await waiting.getAttribute('data-step'))!;
		if (!signers[step])
			signers[step] = await enrolStaff(browser, relay, 'dir1', '赵经理', 'director', {
				landing: '/permits'
			});
		const signer = signers[step]!;
		await signer.goto(hotUrl);
		await expect(
			signer.locator(`[data-testid=approval-step][data-step=${step}][data-state=waiting]`)
		).toBeVisible({ timeout: 20_000 });
		await expect(signer.getByTestId('signing-key')).toBeVisible();
		// Without acknowledging the clash, no signature.
		await signer.getByTestId('decision-approve').click();
		await expect(signer.getByTestId('decision-message')).toContainText('存在作业冲突');
		await signer.getByTestId('clash-ack').check();
		await signer.getByTestId('decision-approve').click();
		await expect(signer.getByTestId('decision-message')).toContainText('已签署');
		await expect(lead.locator(`[data-testid=approval-step][data-step=${step}]`)).toHaveAttribute(
			'data-state',
			'approve',
			{ timeout: 30_000 }
		);
	}
	await expect(lead.getByTestId('permit-detail')).toHaveAttribute('data-status', 'active', {
		timeout: 20_000
	});

	// 5. The live board shows it active in its zone.
	await lead.goto(`${relay.url}/permits?site=S1`);
	const onBoard = lead
		.locator('[data-testid=board-zone][data-zone="一号罐区"]')
		.locator(`[data-testid=board-permit][data-number="${hot.number}"]`);
	await expect(onBoard).toHaveAttribute('data-status', 'active');
	await expect(onBoard).toContainText('刘洋');
	await shot(lead, 'permits-board-zh.png');

	// 6. Suspend (a reason is required) and resume; the board follows.
	await onBoard.click();
	await lead.getByTestId('action-suspend').click();
	await expect(lead.getByTestId('action-message')).toContainText('须填写原因');
	await lead.getByTestId('action-reason').fill('检测到可燃气体浓度上升，暂停动火');
	await lead.getByTestId('action-suspend').click();
	await expect(lead.getByTestId('permit-status')).toHaveText('已暂停');
	await safety.goto(`${relay.url}/permits?site=S1`);
	await expect(
		safety.locator(`[data-testid=board-permit][data-number="${hot.number}"]`)
	).toHaveAttribute('data-status', 'suspended', { timeout: 20_000 });
	// Before resuming, a retest is recorded on the permit (a reading, not a new round).
	await lead.getByTestId('permit-gas-form').getByLabel('氧含量').fill('20.8');
	await lead.getByTestId('permit-gas-form').getByLabel('可燃气').fill('0');
	await lead.getByTestId('permit-gas-record').click();
	await expect(lead.getByRole('status').filter({ hasText: '已记录气体检测结果' })).toBeVisible();
	await expect
		.poll(
			() => relay.relay.read(controlDoc('S1'), (d) => d.getMap('permitReadings').size) as number,
			{ timeout: 15_000 }
		)
		.toBe(1);
	await lead.getByTestId('action-resume').click();
	await expect(lead.getByTestId('permit-status')).toHaveText('有效');
	await expect(
		safety.locator(`[data-testid=board-permit][data-number="${hot.number}"]`)
	).toHaveAttribute('data-status', 'active', { timeout: 20_000 });

	// 7. An extension past the grade's longest validity (8 h from the start) is refused.
	const from = Date.parse(hot.validFrom);
	await lead.getByTestId('extend-until').fill(shanghaiLocal(from + 9 * 3_600_000));
	await lead.getByTestId('action-extend').click();
	await expect(lead.getByTestId('action-message')).toContainText('超过该级别作业票的最长有效期');
	const actions = relay.relay.read(controlDoc('S1'), (d) =>
		[...d.getMap('permitActions').values()].map((a) => (a as { action: string }).action)
	);
	await expect
		.poll(() =>
			relay.relay.read(controlDoc('S1'), (d) =>
				[...d.getMap('permitActions').values()].map((a) => (a as { action: string }).action).sort()
			)
		)
		.toEqual(['resume', 'suspend']);
	expect(actions).not.toContain('extend');

	// 8. The printed QR: signed here, opened at /p#… on this laptop (enrolled: verified) and on a
	// phone that is not enrolled (the content, unproven).
	await lead.getByTestId('permit-print-open').click();
	const qr = lead.getByTestId('permit-qr');
	await expect(qr.locator('svg')).toBeVisible();
	const token = (await qr.getAttribute('data-token'))!;
	expect(token).toMatch(/^SPP1\./);
	// As it comes out of the printer: A4, without the app's frame.
	await lead.emulateMedia({ media: 'print' });
	await lead.setViewportSize({ width: 794, height: 1123 });
	await lead.screenshot({ path: `${SHOTS}/permit-print-zh.png`, fullPage: true });
	await lead.emulateMedia({ media: 'screen' });
	await lead.setViewportSize(LAPTOP);
	await lead.goto(`${relay.url}/p#${token}`);
	await expect(lead.getByTestId('qr-verdict')).toContainText('有效');
	await expect(lead.getByTestId('qr-signature')).toContainText('已核验');
	await expect(lead.getByTestId('qr-live')).toContainText('有效');
	await expect(lead.getByTestId('qr-people')).toContainText('刘*');

	const phone = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
	const p = await phone.newPage();
	await p.goto(`${relay.url}/p#${token}`);
	await expect(p.getByTestId('qr-verdict')).toContainText('有效');
	await expect(p.getByTestId('qr-signature')).toContainText('本机未登记，无法核验签名');
	await expect(p.getByTestId('qr-people')).toContainText('陈*');
	await p.screenshot({ path: `${SHOTS}/permit-qr-phone-zh.png` });

	// Suspended after printing: an enrolled device that holds the site says so.
	await lead.goto(hotUrl);
	await lead.getByTestId('action-reason').fill('收工');
	await lead.getByTestId('action-suspend').click();
	await expect(lead.getByTestId('permit-status')).toHaveText('已暂停');
	const staffPhone = await safety.context().newPage();
	await staffPhone.setViewportSize(PHONE);
	await staffPhone.goto(`${relay.url}/p#${token}`);
	await expect(staffPhone.getByTestId('qr-verdict')).toContainText('已暂停', { timeout: 20_000 });
	await expect(staffPhone.getByTestId('qr-signature')).toContainText('已核验');
	await staffPhone.screenshot({ path: `${SHOTS}/permit-qr-suspended-zh.png` });

	for (const page of [...new Set(Object.values(signers))]) await page.context().close();
	await phone.close();
	await relay.close();
});
