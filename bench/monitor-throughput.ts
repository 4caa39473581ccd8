// monitor-throughput: the monitor's 'people' analysis (pose landmarker for up to four people, feet,
// head, hard-hat check on each head) on one 640×480 camera, in headless Chromium with the real
// vision worker and models. The frame is OpenCV's basketball1.png (opencv-doc; grayscale, two
// people, the one on the left full body with his feet visible). Two runs: frames one after the
// other (the cost of one analysis), and frames offered at a camera's 30 fps for a while — the
// worker takes what it can, the client skips the rest (never queues), and the analysed frames per
// second are counted in one-second windows.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FrameAnalysis } from '../src/lib/vision/types';
import { decodeGrayPng, PHOTO } from '../tests/fixtures/people/walk';
import type { OfferResult } from './browser/vision-entry';
import { CHROMIUM, CHROMIUM_ARGS } from './lib/chromium';
import { latencyTable } from './lib/report';
import {
	chromiumVersion,
	machineInfo,
	metric,
	type Benchmark,
	type BenchResult
} from './lib/result';
import { fmt } from './lib/stats';
import {
	bundleVision,
	openVision,
	serveVision,
	visionPackages,
	type VisionBrowser
} from './lib/vision-page';

const SEQUENTIAL = 60;
/** A 30 fps camera. */
const OFFER_INTERVAL_MS = 1000 / 30;
const OFFER_SECONDS = 20;
const TARGET_FPS = 10;

/** The photo as a 640×480 RGBA frame (grey → R = G = B). */
export function basketballFrame(): Uint8Array {
	const g = decodeGrayPng(new Uint8Array(readFileSync(PHOTO)));
	if (g.width !== 640 || g.height !== 480) throw new Error(`${PHOTO} is ${g.width}×${g.height}`);
	const rgba = new Uint8Array(640 * 480 * 4);
	for (let i = 0; i < 640 * 480; i++) {
		const v = g.data[i]!;
		rgba[i * 4] = v;
		rgba[i * 4 + 1] = v;
		rgba[i * 4 + 2] = v;
		rgba[i * 4 + 3] = 255;
	}
	return rgba;
}

/** Analyses finished in each whole one-second window of the run. */
function perSecond(doneAt: readonly number[], ms: number): number[] {
	const windows = Math.floor(ms / 1000);
	const out = new Array<number>(windows).fill(0);
	for (const t of doneAt) {
		const w = Math.floor(t / 1000);
		if (w < windows) out[w]!++;
	}
	return out;
}

function loadAverage(): number[] {
	try {
		return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
	} catch {
		return [];
	}
}

async function run(): Promise<BenchResult> {
	const started = performance.now();
	const root = mkdtempSync(join(tmpdir(), 'sitepass-bench-monitor-'));
	let browser: VisionBrowser | null = null;
	try {
		const bundles = await bundleVision(join(root, 'static'));
		const server = await serveVision(bundles);
		server.frames.set('basketball1', basketballFrame());
		browser = await openVision(join(root, 'profile'), server.origin);
		const load = await browser.call('load');
		const pose = load.health.models.find((m) => m.name === 'pose-landmarker');
		if (pose?.state !== 'ready')
			throw new Error(`pose landmarker not ready: ${JSON.stringify(pose)}`);
		const loadBefore = loadAverage();
		await browser.call('analyzeFrames', ['basketball1', 'basketball1', 'basketball1'], 'people');
		const seq = await browser.call(
			'analyzeFrames',
			Array.from({ length: SEQUENTIAL }, () => 'basketball1'),
			'people'
		);
		const offer: OfferResult = await browser.call(
			'offerFrames',
			'basketball1',
			'people',
			OFFER_INTERVAL_MS,
			OFFER_SECONDS
		);
		const loadAfter = loadAverage();
		await browser.call('dispose');
		await server.close();

		const analyses = seq.map((s) => s.analysis).filter((a): a is FrameAnalysis => a !== null);
		const t = (k: keyof FrameAnalysis['timings'], list: FrameAnalysis['timings'][]) =>
			list.map((x) => x[k] ?? NaN);
		const last = analyses[analyses.length - 1] ?? null;
		const person = last?.people?.[0] ?? null;
		const fps = perSecond(offer.doneAt, offer.ms);
		const notes: string[] = [];
		const counts = analyses.map((a) => a.people?.length ?? 0);
		if (counts.some((c) => c !== counts[0])) {
			notes.push(
				`People found varied between frames of the same picture: ${[...new Set(counts)].join(', ')}.`
			);
		}
		return {
			name: 'monitor-throughput',
			title: "Monitor: 'people' frames analysed per second at 640×480 on this CPU",
			measures:
				"In headless Chromium with the real vision worker: `VisionClient.analyze(frame, 'people')` on OpenCV's basketball1.png (640×480) — pose landmarker (up to 4 people), feet, head box and the hard-hat check on each head, no segmentation; first one frame after another, then frames offered at 30 fps for 20 s (each a fresh ImageBitmap, as from a camera), counting analysed and skipped frames and analysed frames per one-second window.",
			machine: machineInfo(chromiumVersion(CHROMIUM)),
			durationSeconds: (performance.now() - started) / 1000,
			params: {
				photo: PHOTO,
				sequential: SEQUENTIAL,
				offerIntervalMs: OFFER_INTERVAL_MS,
				offerSeconds: OFFER_SECONDS,
				targetFps: TARGET_FPS,
				loadAverage: { before: loadBefore, after: loadAfter },
				packages: visionPackages(),
				browser: `${CHROMIUM} ${CHROMIUM_ARGS.join(' ')}`
			},
			metrics: {
				roundTrip: metric(
					'analyze(frame, people) round trip',
					'ms',
					seq.map((s) => s.ms)
				),
				pose: metric(
					'… in the worker: pose landmarker',
					'ms',
					t(
						'pose',
						analyses.map((a) => a.timings)
					)
				),
				ppe: metric(
					'… in the worker: hard-hat check, all heads',
					'ms',
					t(
						'ppe',
						analyses.map((a) => a.timings)
					)
				),
				total: metric(
					'… in the worker: total',
					'ms',
					t(
						'total',
						analyses.map((a) => a.timings)
					)
				),
				fps: metric('analysed frames per second (1-s windows, 30 fps offered)', 'fps', fps),
				latency: metric('offer → analysis back, under 30 fps offered', 'ms', offer.latency),
				workerUnderLoad: metric(
					'in the worker per analysed frame, under 30 fps offered',
					'ms',
					t('total', offer.timings)
				)
			},
			extra: {
				offered: offer.offered,
				analysed: offer.analysed,
				skipped: offer.skipped,
				maxInFlight: offer.maxInFlight,
				seconds: offer.ms / 1000,
				perSecond: fps,
				people: counts,
				person: person
					? {
							box: person.box,
							feet: person.feet,
							feetVisible: person.feetVisible,
							head: person.head,
							ppe: { worn: person.ppe.worn, reason: person.ppe.reason },
							score: person.score
						}
					: null,
				everyone: last?.people?.map((p) => ({
					box: p.box,
					feet: p.feet,
					feetVisible: p.feetVisible,
					ppe: p.ppe.worn,
					reason: p.ppe.reason
				}))
			},
			notes
		};
	} finally {
		await browser?.close().catch(() => {});
		rmSync(root, { recursive: true, force: true });
	}
}

function render(r: BenchResult): string {
	const x = r.extra as {
		offered: number;
		analysed: number;
		skipped: number;
		maxInFlight: number;
		seconds: number;
		perSecond: number[];
		people: number[];
		everyone?: {
			box: { x: number; y: number; width: number; height: number };
			feet: { x: number; y: number };
			feetVisible: boolean;
			ppe: unknown;
			reason: string | null;
		}[];
	};
	const p = r.params as { loadAverage: { before: number[]; after: number[] } };
	const fps = r.metrics.fps!.summary;
	const lat = r.metrics.latency!.summary;
	const box = (b: { x: number; y: number; width: number; height: number }) =>
		`(${fmt(b.x)}, ${fmt(b.y)}) ${fmt(b.width)}×${fmt(b.height)}`;
	return [
		latencyTable(r, ['roundTrip', 'pose', 'ppe', 'total', 'latency', 'workerUnderLoad']),
		'',
		`Frames offered at 30 fps for ${fmt(x.seconds)} s: **${x.offered} offered, ${x.analysed} analysed, ${x.skipped} skipped** (the client refused them at once while the worker was busy; nothing was queued — at most ${x.maxInFlight} calls were outstanding in the page, the one in the worker and the one being refused, and offer → result stayed at ${fmt(lat.median)} ms median, p95 ${fmt(lat.p95)} ms, instead of growing).`,
		'',
		`Analysed frames per second, one-second windows: median **${fmt(fps.median)}**, min ${fmt(fps.min)}, max ${fmt(fps.max)} (${x.perSecond.join(', ')}). Target ${TARGET_FPS} fps: ${fps.median >= TARGET_FPS ? 'met' : '**not met**'} in this run. Load average (1/5/15 min) before ${p.loadAverage.before.join(' / ')}, after ${p.loadAverage.after.join(' / ')} on 2 cores — other agents’ work shares the CPU, so these are pessimistic.`,
		'',
		`People found per frame: ${[...new Set(x.people)].join(', ')}. ` +
			(x.everyone ?? [])
				.map(
					(e, i) =>
						`Person ${i + 1}: box ${box(e.box)}, feet (${fmt(e.feet.x)}, ${fmt(e.feet.y)}) ${e.feetVisible ? 'between the ankles' : 'bottom of the visible body'}, hard hat ${String(e.ppe)}${e.reason ? ` (${e.reason})` : ''}.`
				)
				.join(' ')
	].join('\n');
}

export const monitorThroughput: Benchmark = {
	name: 'monitor-throughput',
	title: "Monitor: 'people' frames analysed per second at 640×480 on this CPU",
	run,
	render,
	headline(r) {
		const f = r.metrics.fps!.summary;
		const x = r.extra as { analysed: number; skipped: number };
		return `**${fmt(f.median)} fps** analysed (min ${fmt(f.min)}, max ${fmt(f.max)}); ${x.skipped} of ${x.analysed + x.skipped} offered frames skipped, none queued; worker ${fmt(r.metrics.total!.summary.median)} ms/frame`;
	}
};
