// Site learning of the hard-hat check: a safety officer labels this month's gate pictures with the
// keyboard, trains the site's model in the browser, sees the held-out numbers of the builtin
// reading and of the candidate, switches the candidate on, and a gate tablet of the site loads the
// new model from its blob through the relay; rolled back to the builtin, the gate follows. Before
// that, a candidate trained on forty labels is refused for too few held-out labels.
//
// The gate pictures and their readings are seeded (the gate writes them in production, see
// tests/gate-ppe.spec.ts). How they were made, stated plainly: the feature vectors come from a
// seeded generator in the PPE feature space (PPE_FEATURE_NAMES) modelling a site whose hard hats
// are dark green — a colour the builtin classifier does not count as a hard-hat colour — so worn
// hats differ from bare heads in smoothness, uniformity, highlight and dome height, not in
// hat_colour; the machine reading on each event is what `classifyPpe` (builtin) says of that
// vector. The crops are small PNGs drawn to match (a green dome, or dark hair over skin).
import { expect, test } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { eventsDoc, monthOf } from '../src/lib/data/documents';
import { newUlid } from '../src/lib/data/event-commands';
import { classifyPpe, PPE_FEATURE_NAMES } from '../src/lib/vision/ppe';
import { isHeldOut, MIN_HELD_OUT_PER_CLASS } from '../src/lib/vision/ppe-learn';
import { enrolDevice, gateContext } from './gate-world';
import { seedSiteAndContractor, startRelay } from './helpers';
import { mulberry32 } from '../src/lib/testing/seeded';

const SHOTS = process.env.SITEPASS_SCREENSHOTS ? 'docs/screenshots' : 'test-results/screenshots';

const rng = mulberry32;

/** Feature vector of a green hard hat (worn) or a bare head, in PPE_FEATURE_NAMES order. */
function features(r: () => number, worn: boolean): number[] {
	const c = (hat: number, bare: number) =>
		Math.round(Math.max(0, (worn ? hat : bare) + (r() - 0.5) * 0.12) * 1e4) / 1e4;
	return [
		c(0.1, 0.05), // hat_colour
		c(0.8, 0.45), // uniformity
		c(0.45, 0.2), // saturation
		c(0.35, 0.25), // brightness
		c(0.08, 0.3), // texture
		c(0.3, 0.1), // specular
		c(0.55, 0.6), // dark
		c(0.05, 0.3), // skin
		c(1.1, 0.6), // dome_top
		c(1.2, 0.8), // brim_width
		0, // mask_top
		0 // mask_present
	];
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
	let c = n;
	for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
	return c >>> 0;
});
function crc32(bytes: Buffer): number {
	let c = 0xffffffff;
	for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
	return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
	const len = Buffer.alloc(4);
	len.writeUInt32BE(data.length);
	const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
	const crc = Buffer.alloc(4);
	crc.writeUInt32BE(crc32(body));
	return Buffer.concat([len, body, crc]);
}
/** A 64×48 RGB PNG of a head top: a green dome with a brim, or dark hair, over a forehead. */
function crop(worn: boolean, seed: number): Buffer {
	const w = 64;
	const h = 48;
	const r = rng(seed);
	const rows: Buffer[] = [];
	for (let y = 0; y < h; y++) {
		const row = Buffer.alloc(1 + w * 3);
		for (let x = 0; x < w; x++) {
			const dx = (x - 32) / 26;
			const dy = (y - 40) / (worn ? 34 : 26);
			let px = [205, 215, 222]; // wall
			if (y > 34) px = [226, 186, 160]; // forehead
			if (dx * dx + dy * dy < 1 && y <= 36) {
				const n = Math.floor(r() * (worn ? 10 : 40));
				px = worn ? [40 + n, 110 + n, 60 + n] : [38 + n, 30 + n, 26 + n];
				if (worn && dx * dx + dy * dy < 0.05 && y < 20) px = [200, 235, 205]; // highlight
			}
			if (worn && y >= 32 && y <= 35 && x >= 2 && x <= 61) px = [34, 96, 52]; // brim
			row.set(px, 1 + x * 3);
		}
		rows.push(row);
	}
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(w, 0);
	ihdr.writeUInt32BE(h, 4);
	ihdr[8] = 8;
	ihdr[9] = 2;
	return Buffer.concat([
		Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		chunk('IHDR', ihdr),
		chunk('IDAT', deflateSync(Buffer.concat(rows))),
		chunk('IEND', Buffer.alloc(0))
	]);
}

test('safety staff label gate pictures, train, compare and switch on; a gate loads the model', async ({
	browser
}) => {
	test.setTimeout(180_000);
	const relay = await startRelay(mkdtempSync(join(tmpdir(), 'sitepass-ppe-learn-')));
	seedSiteAndContractor(relay);

	// Enough gate passages that the held-out side (fixed by the label ids) holds at least
	// MIN_HELD_OUT_PER_CLASS + 2 of each class, and the training side at least 20.
	const r = rng(11);
	const month = eventsDoc('S1', monthOf(new Date()));
	const gateToken = relay.issueToken({ sub: 'gate-east', role: 'gate', sites: ['S1'] }, 3600);
	const truth = new Map<string, boolean>();
	const events: Record<string, unknown>[] = [];
	const base = Date.now() - 3 * 3600_000;
	const need = { true: { held: 0, trained: 0 }, false: { held: 0, trained: 0 } };
	const short = (worn: boolean) =>
		need[`${worn}`].held < MIN_HELD_OUT_PER_CLASS + 2 || need[`${worn}`].trained < 20;
	while (short(true) || short(false)) {
		// Hard hats and bare heads arrive mixed, as at a gate.
		const worn = short(true) && short(false) ? r() < 0.5 : short(true);
		const at = base + events.length * 60_000;
		const id = newUlid(at);
		const f = features(r, worn);
		const reading = classifyPpe(f, null);
		const png = crop(worn, events.length + 1);
		const hash = createHash('sha256').update(png).digest('hex');
		const put = await fetch(`${relay.url}/blobs/${hash}?doc=${encodeURIComponent(month)}`, {
			method: 'PUT',
			headers: { 'content-type': 'image/png', authorization: `Bearer ${gateToken}` },
			body: new Uint8Array(png)
		});
		expect(put.ok).toBe(true);
		events.push({
			schema: 1,
			id,
			siteId: 'S1',
			workerId: null,
			direction: 'in',
			at: new Date(at).toISOString(),
			deviceId: 'gate-east',
			method: 'qr',
			allow: true,
			reasons: [],
			ppe: { ...reading, features: f, crop: hash }
		});
		truth.set(`gate-${id}`, worn);
		if (isHeldOut(`gate-${id}`)) need[`${worn}`].held++;
		else need[`${worn}`].trained++;
	}
	expect(events[0]!.ppe).toMatchObject({ model: 'builtin-1' });
	relay.relay.write(month, (doc) => {
		for (const e of events) doc.getMap('attendance').set(e.id as string, e);
	});

	const staff = await enrolDevice(browser, relay, {
		role: 'staff',
		staffRole: 'safety',
		sub: 'safe1',
		name: '王安全',
		sites: ['S1']
	});
	await staff.goto(`${relay.url}/safety/ppe`);
	await expect(staff.getByTestId('nav-ppe-learn')).toHaveAttribute('aria-current', 'page');
	const items = staff.getByTestId('ppe-item');
	// A screenful (60) at a time, the rest counted.
	expect(events.length).toBeGreaterThan(60);
	await expect(items).toHaveCount(60, { timeout: 30_000 });
	await expect(staff.getByTestId('ppe-more')).toContainText(`另有 ${events.length - 60} 张`);
	await expect(items.first().getByTestId('blob-image')).toBeVisible({ timeout: 20_000 });

	// Train before there is anything: refused, in Chinese, nothing written.
	await staff.getByTestId('ppe-train').click();
	await expect(staff.getByTestId('ppe-notice')).toContainText('标签不够');

	// Label with the keyboard: 1 hard hat, 2 none; the selected picture is always the first
	// unlabelled one, and it leaves the list once labelled.
	const labelled: string[] = [];
	let versions = 0;
	for (let i = 0; i < events.length; i++) {
		const first = staff.locator('[data-testid="ppe-item"][aria-current="true"]');
		const key = (await first.getAttribute('data-key'))!;
		await staff.keyboard.press(truth.get(key) ? '1' : '2');
		await expect(staff.locator(`[data-key="${key}"]`)).toHaveCount(0);
		labelled.push(key);
		if (i === 39) {
			// Forty labels: enough to train, too few held out to judge — said, and 启用 stays off.
			const side = (worn: boolean, held: boolean) =>
				labelled.filter((k) => truth.get(k) === worn && isHeldOut(k) === held).length;
			await staff.getByTestId('ppe-train').click();
			if (Math.min(side(true, false), side(false, false)) < 5) {
				await expect(staff.getByTestId('ppe-notice')).toContainText('标签不够');
			} else {
				expect(Math.min(side(true, true), side(false, true))).toBeLessThan(MIN_HELD_OUT_PER_CLASS);
				await expect(staff.getByTestId('ppe-why')).toContainText('留出样本不足');
				versions++;
				await expect(staff.getByTestId('ppe-promote')).toBeDisabled();
			}
		}
	}
	await expect(staff.getByTestId('ppe-all-done')).toBeVisible();
	const hardhats = [...truth.values()].filter(Boolean).length;
	await expect(staff.getByTestId('ppe-counts')).toHaveAttribute('data-hardhat', String(hardhats));
	await expect(staff.getByTestId('ppe-counts')).toHaveAttribute(
		'data-none',
		String(events.length - hardhats)
	);

	// Relabel one picture as not a person, then back: the label is replaced, not added.
	await staff.getByTestId('ppe-unlabelled-only').uncheck();
	const one = items.first();
	const oneKey = (await one.getAttribute('data-key'))!;
	await one.getByTestId('ppe-label-not_person').click();
	await expect(staff.locator(`[data-key="${oneKey}"]`)).toHaveAttribute('data-label', 'not_person');
	await staff
		.locator(`[data-key="${oneKey}"]`)
		.getByTestId(truth.get(oneKey) ? 'ppe-label-hardhat' : 'ppe-label-none')
		.click();
	await expect(staff.locator(`[data-key="${oneKey}"]`)).toHaveAttribute(
		'data-label',
		truth.get(oneKey) ? 'hardhat' : 'none'
	);
	await expect
		.poll(() => relay.relay.read('site:S1:control', (d) => d.getMap('ppeLabels').size), {
			timeout: 20_000
		})
		.toBe(events.length);

	// Train: the numbers of the builtin and of the candidate on the held-out labels.
	await staff.getByTestId('ppe-train').click();
	await expect(staff.getByTestId('ppe-notice')).toContainText('已训练候选模型');
	await expect(staff.getByTestId('ppe-version')).toHaveCount(versions + 1);
	const compare = staff.getByTestId('ppe-compare');
	await expect(compare.getByTestId('ppe-current-name')).toContainText('内置识别');
	const acc = compare.getByTestId('ppe-metric-accuracy');
	const pctOf = async (cell: string) =>
		Number.parseFloat((await acc.getByTestId(cell).textContent())!.replace('%', ''));
	await expect(staff.getByTestId('ppe-can-promote')).toBeVisible({ timeout: 20_000 });
	const [builtinAcc, candidateAcc] = [await pctOf('current'), await pctOf('candidate')];
	expect(candidateAcc).toBeGreaterThan(builtinAcc);
	await expect(compare.getByTestId('ppe-metric-n')).toContainText(/\d+ \/ \d+/);

	await staff.setViewportSize({ width: 1280, height: 1400 });
	await staff.evaluate(() => window.scrollTo(0, 0));
	await staff.screenshot({ path: `${SHOTS}/ppe-learning-zh.png` });

	// Switch it on: recorded in the control document, the active pointer moves.
	const version = (await staff.getByTestId('ppe-version').first().getAttribute('data-version'))!;
	await staff.getByTestId('ppe-promote').click();
	await expect(staff.getByTestId('ppe-notice')).toContainText('已启用模型');
	await expect(staff.getByTestId('ppe-active')).toHaveAttribute('data-version', version);
	await expect(staff.getByTestId('device-model')).toHaveAttribute('data-version', version);
	await expect(staff.getByTestId('ppe-promote')).toBeDisabled();
	// Switched on, it keeps the numbers it won with (builtin vs itself at training time).
	await expect(compare.getByTestId('ppe-current-name')).toContainText('内置识别');
	await expect
		.poll(
			() =>
				relay.relay.read(
					'site:S1:control',
					(d) => (d.getMap('settings').get('ppe') as { activeModel?: string })?.activeModel
				),
			{ timeout: 20_000 }
		)
		.toBe(version);

	// A gate tablet of the site: the document by sync, the model by the blob the relay serves it.
	const gate = await gateContext(browser, relay);
	await gate.goto(`${relay.url}/safety/ppe`);
	await expect(gate.getByTestId('ppe-staff-only')).toBeVisible();
	await expect(gate.getByTestId('device-model')).toHaveAttribute('data-version', version, {
		timeout: 30_000
	});

	// What the relay serves the gate: the model as JSON, this app's features.
	const model = (await relay.relay.read('site:S1:control', (d) =>
		d.getMap('ppeModels').get(version)
	)) as { blob: string };
	const got = await fetch(`${relay.url}/blobs/${model.blob}`, {
		headers: { authorization: `Bearer ${gateToken}` }
	});
	expect(got.headers.get('content-type')).toBe('application/json');
	const body = (await got.json()) as { model: { version: string; features: string[] } };
	expect(body.model.version).toBe(version);
	expect(body.model.features).toEqual([...PPE_FEATURE_NAMES]);

	// Back to the builtin reading from the staff laptop: the gate follows.
	staff.once('dialog', (dialog) => void dialog.accept());
	await staff.getByTestId('ppe-rollback-builtin').click();
	await expect(staff.getByTestId('ppe-active')).toHaveAttribute('data-version', 'builtin');
	await expect(gate.getByTestId('device-model')).toHaveAttribute('data-version', 'builtin', {
		timeout: 30_000
	});

	await staff.context().close();
	await gate.context().close();
	await relay.close();
});
