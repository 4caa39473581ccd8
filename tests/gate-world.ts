// The site the gate tests start from, written the way it would be by the time a worker walks up:
// registered workers with certificates, the registry's answers, training and medical records, an
// entry application signed through the whole chain by three bound staff keys, and a blacklist.
// (Playwright specs cannot import sync-server/testing.ts, which imports vitest.)
import { expect, type Browser, type BrowserContextOptions, type Page } from '@playwright/test';
import { localDate } from '../src/lib/domain';
import { DEFAULT_ENTRY_CHAIN, signDecision } from '../src/lib/data/approvals';
import { contractorDoc, controlDoc } from '../src/lib/data/documents';
import { newUlid } from '../src/lib/data/event-commands';
import {
	newSecretKey,
	softwareSigner,
	type KeyBinding,
	type Signer
} from '../src/lib/data/signing';
import { certificateFingerprint } from '../src/lib/data/verification';
import type { RunningServer } from '../sync-server/server';
import { seedSiteAndContractor } from './helpers';

export interface GatePerson {
	id: string;
	name: string;
	docNumber: string;
	/** The certificate's expiry (a past date makes CERT_EXPIRED). */
	expiresOn: string;
	blacklisted?: boolean;
}

const day = (offset: number) => localDate(new Date(Date.now() + offset * 86_400_000));

export const PEOPLE = {
	admitted: {
		id: 'w-li',
		name: '李强',
		docNumber: '110105198005151238',
		expiresOn: '2030-03-01'
	},
	blacklisted: {
		id: 'w-chen',
		name: '陈刚',
		docNumber: '11010519491231002X',
		expiresOn: '2030-03-01',
		blacklisted: true
	},
	expired: {
		id: 'w-zhao',
		name: '赵敏',
		docNumber: '110105195001010039',
		expiresOn: '2026-01-31'
	}
} satisfies Record<string, GatePerson>;

export function bindKey(
	relay: RunningServer,
	principal: string,
	staffRole: KeyBinding['staffRole']
) {
	const signer = softwareSigner(newSecretKey());
	relay.relay.write('org', (doc) => {
		doc.getMap('keys').set(signer.keyId, {
			schema: 1,
			id: signer.keyId,
			principal,
			publicKey: signer.publicKey,
			role: 'staff',
			staffRole,
			sites: ['S1'],
			validFrom: '2026-01-01T00:00:00.000Z',
			registeredBy: 'admin'
		} satisfies KeyBinding);
	});
	return signer;
}

/** Writes the site, the people and their signed approvals. */
export async function seedGateWorld(
	relay: RunningServer,
	people: GatePerson[] = Object.values(PEOPLE)
): Promise<void> {
	seedSiteAndContractor(relay);
	const now = new Date().toISOString();
	const signers: [Signer, string][] = [
		[bindKey(relay, 'lead1', 'project_lead'), 'lead1'],
		[bindKey(relay, 'safe1', 'safety'), 'safe1'],
		[bindKey(relay, 'dir1', 'director'), 'dir1']
	];
	relay.relay.write(contractorDoc('C1'), (doc) => {
		for (const p of people) {
			const worker = {
				schema: 2,
				id: p.id,
				contractorId: 'C1',
				name: p.name,
				docType: 'resident_id',
				docNumber: p.docNumber,
				trade: '电工',
				createdAt: now,
				updatedAt: now
			};
			doc.getMap('workers').set(p.id, worker);
			doc.getMap('certificates').set(`c-${p.id}`, {
				schema: 1,
				id: `c-${p.id}`,
				workerId: p.id,
				regime: 'special_operation',
				catalogueVersion: 'order30',
				code: 'SO-ELEC-HV',
				number: `T${p.docNumber}`,
				issuedOn: '2020-02-01',
				expiresOn: p.expiresOn,
				nextReviewOn: p.expiresOn < '2027-06-01' ? p.expiresOn : '2027-06-01',
				createdAt: now,
				updatedAt: now
			});
			doc.getMap('training').set(`t-${p.id}`, {
				schema: 1,
				id: `t-${p.id}`,
				workerId: p.id,
				kind: 'site_induction',
				siteId: 'S1',
				date: day(-3),
				hours: 8,
				createdAt: now
			});
			doc.getMap('medical').set(`m-${p.id}`, {
				schema: 1,
				id: `m-${p.id}`,
				workerId: p.id,
				examDate: day(-30),
				result: 'fit',
				validUntil: day(330),
				createdAt: now
			});
		}
		doc.getMap('applications').set('A1', {
			schema: 1,
			id: 'A1',
			contractorId: 'C1',
			siteId: 'S1',
			workers: people.map((p) => ({ workerId: p.id, workType: 'hv_electrical' })),
			validFrom: day(-1),
			validUntil: day(30),
			status: 'submitted',
			submittedAt: now,
			submittedBy: 'c1-admin',
			createdAt: now,
			updatedAt: now
		});
	});
	const signed: { hash: string; record: unknown }[] = [];
	for (const p of people) {
		for (const [step, [signer, principal]] of signers.entries()) {
			signed.push(
				await signDecision(signer, {
					site: 'S1',
					application: 'C1/A1',
					worker: p.id,
					round: now,
					step,
					stepId: DEFAULT_ENTRY_CHAIN.steps[step]!.id,
					decision: 'approve',
					comment: '',
					conditions: [],
					signer: principal,
					prev: null,
					at: new Date(Date.now() + (step + 1) * 1000).toISOString()
				})
			);
		}
	}
	relay.relay.write(controlDoc('S1'), (doc) => {
		for (const { hash, record } of signed) doc.getMap('decisions').set(hash, record);
		for (const p of people) {
			const id = newUlid();
			const cert = { id: `c-${p.id}`, code: 'SO-ELEC-HV', number: `T${p.docNumber}` };
			doc.getMap('verifications').set(id, {
				schema: 1,
				id,
				certificateId: cert.id,
				contractorId: 'C1',
				workerId: p.id,
				fingerprint: certificateFingerprint(cert, { name: p.name, docNumber: p.docNumber }),
				outcome: 'genuine',
				checkedAt: now,
				source: 'http:省级查询代理',
				trigger: 'registration',
				evidence: { attempts: 1, reference: `SIM-${p.id}` },
				by: 'relay',
				recordedAt: now
			});
		}
	});
	relay.relay.write('blacklist', (doc) => {
		for (const p of people.filter((x) => x.blacklisted)) {
			doc.getMap('entries').set(`bl-${p.id}`, {
				schema: 1,
				id: `bl-${p.id}`,
				docNumber: p.docNumber,
				name: p.name,
				reason: '伪造特种作业操作证',
				since: day(-100),
				by: 'safe1',
				at: now
			});
		}
	});
}

/** A device enrolled through the enrol page with a code the admin made (its key gets bound). */
export async function enrolDevice(
	browser: Browser,
	relay: RunningServer,
	request: Record<string, unknown> & { sub: string; name: string },
	contextOptions: BrowserContextOptions = {}
): Promise<Page> {
	const admin = relay.issueToken({ sub: 'admin-e2e', role: 'admin' });
	const res = await fetch(`${relay.url}/api/enrolments`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
		body: JSON.stringify(request)
	});
	expect(res.status).toBe(201);
	const { link } = await res.json();
	const context = await browser.newContext({
		viewport: { width: 1280, height: 860 },
		...contextOptions
	});
	const page = await context.newPage();
	await page.goto(link);
	await page.getByLabel('设备名称').fill(`${request.name}的设备`);
	await page.getByRole('button', { name: '登记' }).click();
	await expect(page.getByTestId('enrol-done')).toBeVisible();
	return page;
}

/** A gate tablet: a gate token for S1, signed by the relay, put where the app keeps it. */
export async function gateContext(
	browser: Browser,
	relay: RunningServer,
	contextOptions: BrowserContextOptions = {}
): Promise<Page> {
	const token = relay.issueToken({ sub: 'gate-east', role: 'gate', sites: ['S1'] }, 86_400);
	const context = await browser.newContext({
		viewport: { width: 1280, height: 800 },
		...contextOptions
	});
	await context.addInitScript((t) => {
		if (!localStorage.getItem('sitepass.token')) localStorage.setItem('sitepass.token', t);
	}, token);
	return context.newPage();
}

/** Starts kiosk mode on a gate page (admin PIN 246810, entry direction). */
export async function startKiosk(page: Page, url: string): Promise<void> {
	await page.goto(`${url}/gate`);
	await page.getByTestId('setup-pin').fill('246810');
	await page.getByTestId('setup-pin-again').fill('246810');
	await page.getByTestId('start-kiosk').click();
	await expect(page.getByTestId('kiosk')).toBeVisible();
}
