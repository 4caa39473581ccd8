// Browser side of face-identification and gate-latency: the app's own VisionClient (with the real
// vision worker and models), FaceIndex, gateDecision and GateJournal, driven frame by frame.
// Bundled by esbuild (bench/lib/vision-page.ts); the worker is bundled separately and served where
// the client's `new URL('./worker.ts', import.meta.url)` points.
import * as Y from 'yjs';
import { DEFAULT_ENTRY_CHAIN, signDecision } from '../../src/lib/data/approvals';
import { buildAttendance, eventsDocFor, putAttendance } from '../../src/lib/data/event-commands';
import { FACE_MODEL, faceTemplates } from '../../src/lib/data/faces';
import { gateDecision, type GateContext, type GateIdentity } from '../../src/lib/data/gate';
import { newSecretKey, softwareSigner } from '../../src/lib/data/signing';
import { certificateFingerprint } from '../../src/lib/data/verification';
import { GateJournal } from '../../src/lib/sync/gate-journal';
import { VisionClient, type FileStatus } from '../../src/lib/vision/engine/client';
import { encodeTemplate, FaceIndex, type SearchResult } from '../../src/lib/vision/matcher';
import type {
	AnalysisMode,
	AnalysisOptions,
	FrameAnalysis,
	VisionHealth
} from '../../src/lib/vision/types';
import { generateLedger, prng } from '../lib/ledger';

export interface LoadResult {
	/** From `client.load()` to its promise resolving (every model fetched, checked, loaded). */
	ms: number;
	health: VisionHealth;
	files: FileStatus[];
}

export interface FrameResult {
	name: string;
	/** analyze() round trip as the page sees it (transfer, worker, reply). */
	ms: number;
	analysis: FrameAnalysis | null;
	error?: string;
}

export interface GateSetup {
	/** Fixture workers' enrolment embeddings (each becomes one stored template). */
	fixture: number[][][];
	/** Templates in the index in all, the rest random unit vectors. */
	totalTemplates: number;
	/** Templates per random worker. */
	perWorker: number;
	/** Workers per entry application. */
	perApplication: number;
	seed: number;
	threshold: number;
	margin: number;
}

export interface GateSetupResult {
	workers: number;
	templates: number;
	fixtureWorkers: string[];
	applications: number;
	signedDecisions: number;
	/** Building the FaceIndex from the stored FaceTemplate records (faceTemplates + add). */
	indexBuildMs: number;
	kernel: string;
	/** Y.encodeStateAsUpdate sizes of the documents the gate holds. */
	bytes: { org: number; contractor: number; control: number };
	setupMs: number;
}

export interface DecisionSample {
	/** createImageBitmap(video) of the camera's current frame. */
	captureMs: number;
	/** client.analyze(frame, 'full') round trip. */
	analyzeMs: number;
	worker: FrameAnalysis['timings'] | null;
	/** FaceIndex.search over every template. */
	searchMs: number;
	/** gateDecision (entryInputFor + decideEntry, signatures checked). */
	decisionMs: number;
	/** buildAttendance (record id, validation). */
	buildMs: number;
	/** GateJournal.append, committed with durability 'strict'. */
	journalMs: number;
	/** putAttendance into the (in-memory) events document, after the journal. */
	docMs: number;
	/** Captured frame → journal committed. */
	totalMs: number;
	search: SearchResult['decision'] | 'no_face';
	score: number | null;
	second: number | null;
	workerId: string | null;
	allow: boolean | null;
	reasons: string[];
}

export interface OfferResult {
	offered: number;
	/** analyze() returned null at once: the worker was busy, the frame was closed. */
	skipped: number;
	analysed: number;
	/** When each analysis came back, ms from the start. */
	doneAt: number[];
	/** Offer → analysis back, per analysed frame (grows without bound if frames were queued). */
	latency: number[];
	timings: FrameAnalysis['timings'][];
	/** The largest person's feet and head, and the PPE reading, of the last analysis. */
	last: FrameAnalysis | null;
	/** Most analyses waiting in the page at once (1 = nothing queued). */
	maxInFlight: number;
	ms: number;
}

export interface CameraFrame {
	captureMs: number;
	analyzeMs: number;
	worker: FrameAnalysis['timings'] | null;
	faces: number;
	/** Captured frame → analysis back in the page. */
	totalMs: number;
}

export interface VisionBenchApi {
	load(): Promise<LoadResult>;
	analyzeFrames(
		names: string[],
		mode: AnalysisMode,
		options?: AnalysisOptions
	): Promise<FrameResult[]>;
	/**
	 * Offers frame `name` to the worker every `intervalMs` for `seconds` (a camera faster than the
	 * worker): analyses come back as they finish, frames offered while it is busy are skipped.
	 */
	offerFrames(
		name: string,
		mode: AnalysisMode,
		intervalMs: number,
		seconds: number
	): Promise<OfferResult>;
	setupGate(o: GateSetup): Promise<GateSetupResult>;
	openCamera(): Promise<{ width: number; height: number }>;
	decisions(n: number): Promise<DecisionSample[]>;
	cameraFrames(mode: AnalysisMode, n: number): Promise<CameraFrame[]>;
	dispose(): void;
}

const W = 640;
const H = 480;
const SITE = { id: 'S1', kind: 'construction' as const, timeZone: 'Asia/Shanghai' };
const CONTRACTOR = 'C1';

let client: VisionClient | null = null;
let video: HTMLVideoElement | null = null;
let gate: {
	ctx: GateContext;
	index: FaceIndex;
	journal: GateJournal;
	events: Map<string, Y.Doc>;
	threshold: number;
	margin: number;
} | null = null;

async function frameBitmap(name: string): Promise<ImageBitmap> {
	const res = await fetch(`/frames/${encodeURIComponent(name)}`);
	if (!res.ok) throw new Error(`frame ${name}: HTTP ${res.status}`);
	const rgba = new Uint8ClampedArray(await res.arrayBuffer());
	return createImageBitmap(new ImageData(rgba, W, H));
}

function isoDay(t: number): string {
	return new Date(t).toISOString().slice(0, 10);
}

function randomUnit(rand: () => number, dim: number): number[] {
	const v: number[] = [];
	let s = 0;
	for (let i = 0; i < dim; i++) {
		const g = Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
		v.push(g);
		s += g * g;
	}
	const inv = 1 / Math.sqrt(s);
	return v.map((x) => x * inv);
}

/**
 * The documents a gate tablet holds for one site, as gate.test.ts's setup() builds them, at site
 * scale: every worker with a certificate (genuine per the registry), site induction, a medical,
 * an entry application (`perApplication` workers each) approved by all three signers.
 */
async function setupGate(o: GateSetup): Promise<GateSetupResult> {
	const started = performance.now();
	const rand = prng(o.seed);
	const randomWorkers = Math.ceil(
		Math.max(0, o.totalTemplates - o.fixture.flat().length) / o.perWorker
	);
	const total = o.fixture.length + randomWorkers;
	const ledger = generateLedger(total, CONTRACTOR, o.seed);
	const now = Date.now();
	const T0 = new Date(now - 3 * 86_400_000).toISOString();
	const org = new Y.Doc();
	const contractor = new Y.Doc();
	const control = new Y.Doc();
	const people = (['project_lead', 'safety', 'director'] as const).map((staffRole, i) => {
		const signer = softwareSigner(newSecretKey());
		org.getMap('keys').set(signer.keyId, {
			schema: 1,
			id: signer.keyId,
			principal: `p${i}`,
			publicKey: signer.publicKey,
			role: 'staff',
			staffRole,
			sites: [SITE.id],
			validFrom: '2026-01-01T00:00:00.000Z',
			registeredBy: 'admin'
		});
		return { signer, principal: `p${i}` };
	});
	const workers = contractor.getMap('workers');
	const certificates = contractor.getMap('certificates');
	const training = contractor.getMap('training');
	const medical = contractor.getMap('medical');
	const faces = contractor.getMap('faces');
	const applications = contractor.getMap('applications');
	const verifications = control.getMap('verifications');
	const ids: string[] = [];
	let remaining = o.totalTemplates;
	for (const [i, w] of ledger.workers.entries()) {
		const worker = { ...w, createdAt: T0, updatedAt: T0 };
		workers.set(worker.id, worker);
		ids.push(worker.id);
		const cert = {
			schema: 1,
			id: `K${i}`,
			workerId: worker.id,
			regime: 'special_operation',
			catalogueVersion: 'order30',
			code: 'SO-ELEC-HV',
			number: `T${worker.docNumber}`,
			issuedOn: '2024-03-01',
			expiresOn: '2030-03-01',
			nextReviewOn: isoDay(now + 200 * 86_400_000),
			createdAt: T0,
			updatedAt: T0
		} as const;
		certificates.set(cert.id, cert);
		const vid = `01JZ${String(i).padStart(22, '0')}`;
		verifications.set(vid, {
			schema: 1,
			id: vid,
			certificateId: cert.id,
			contractorId: CONTRACTOR,
			workerId: worker.id,
			fingerprint: certificateFingerprint(cert, worker),
			outcome: 'genuine',
			checkedAt: T0,
			source: 'http:sim',
			trigger: 'registration',
			evidence: { attempts: 1 },
			by: 'relay',
			recordedAt: T0
		});
		training.set(`T${i}`, {
			schema: 1,
			id: `T${i}`,
			workerId: worker.id,
			kind: 'site_induction',
			siteId: SITE.id,
			date: isoDay(now - 5 * 86_400_000),
			hours: 8,
			createdAt: T0
		});
		medical.set(`M${i}`, {
			schema: 1,
			id: `M${i}`,
			workerId: worker.id,
			examDate: isoDay(now - 30 * 86_400_000),
			result: 'fit',
			validUntil: isoDay(now + 300 * 86_400_000),
			createdAt: T0
		});
		const vectors =
			i < o.fixture.length
				? o.fixture[i]!
				: Array.from({ length: Math.min(o.perWorker, remaining) }, () => randomUnit(rand, 1024));
		remaining -= vectors.length;
		if (vectors.length === 0) continue;
		const templates = vectors.map((v) => encodeTemplate(v));
		faces.set(worker.id, {
			schema: 1,
			workerId: worker.id,
			model: FACE_MODEL,
			templates,
			quality: { frames: templates.length, consistency: 0.9 },
			consentId: `N${i}`,
			enrolledAt: T0,
			enrolledBy: 'bench'
		});
	}
	let signed = 0;
	let apps = 0;
	for (let a = 0; a * o.perApplication < ids.length; a++) {
		const members = ids.slice(a * o.perApplication, (a + 1) * o.perApplication);
		const appId = `A${a}`;
		apps++;
		applications.set(appId, {
			schema: 1,
			id: appId,
			contractorId: CONTRACTOR,
			siteId: SITE.id,
			workers: members.map((workerId) => ({ workerId, workType: 'hv_electrical' })),
			validFrom: isoDay(now - 2 * 86_400_000),
			validUntil: isoDay(now + 60 * 86_400_000),
			status: 'submitted',
			submittedAt: T0,
			createdAt: T0,
			updatedAt: T0
		});
		for (const workerId of members) {
			for (const [step, p] of people.entries()) {
				const { hash, record } = await signDecision(p.signer, {
					site: SITE.id,
					application: `${CONTRACTOR}/${appId}`,
					worker: workerId,
					round: T0,
					step,
					stepId: DEFAULT_ENTRY_CHAIN.steps[step]!.id,
					decision: 'approve',
					comment: '',
					conditions: [],
					signer: p.principal,
					prev: null,
					at: new Date(Date.parse(T0) + (step + 1) * 600_000).toISOString()
				});
				control.getMap('decisions').set(hash, record);
				signed++;
			}
		}
	}
	// The kiosk's index: every stored template of the current model, keyed contractor/worker.
	const t0 = performance.now();
	const index = new FaceIndex();
	for (const t of faceTemplates(contractor)) index.add(`${CONTRACTOR}/${t.workerId}`, t.templates);
	const indexBuildMs = performance.now() - t0;
	const journal = await GateJournal.open('sitepass:bench:~gate-journal');
	gate = {
		ctx: {
			orgId: 'org1',
			org,
			control,
			blacklist: null,
			contractor: (id) => (id === CONTRACTOR ? contractor : null),
			site: SITE,
			deviceId: 'gate-1',
			// Every decision is a first entry (the same face walks up again and again here).
			onSite: () => false
		},
		index,
		journal,
		events: new Map(),
		threshold: o.threshold,
		margin: o.margin
	};
	return {
		workers: ids.length,
		templates: index.size,
		fixtureWorkers: ids.slice(0, o.fixture.length),
		applications: apps,
		signedDecisions: signed,
		indexBuildMs,
		kernel: index.kernel,
		bytes: {
			org: Y.encodeStateAsUpdate(org).length,
			contractor: Y.encodeStateAsUpdate(contractor).length,
			control: Y.encodeStateAsUpdate(control).length
		},
		setupMs: performance.now() - started
	};
}

const actor = {
	claims: {
		iss: 'org1',
		sub: 'gate-1',
		jti: 'j',
		iat: 0,
		exp: 4_102_444_800,
		role: 'gate' as const,
		sites: [SITE.id]
	},
	org: { contractorSites: (c: string) => (c === CONTRACTOR ? [SITE.id] : undefined) }
};

function ready(v: HTMLVideoElement): Promise<void> {
	if (v.readyState >= 2 && v.videoWidth > 0) return Promise.resolve();
	return new Promise((resolve) =>
		v.addEventListener('loadeddata', () => resolve(), { once: true })
	);
}

async function capture(): Promise<{ frame: ImageBitmap; capturedAt: number; captureMs: number }> {
	if (!video) throw new Error('camera not open');
	const capturedAt = performance.now();
	const frame = await createImageBitmap(video);
	return { frame, capturedAt, captureMs: performance.now() - capturedAt };
}

/** One decision as the kiosk makes it, minus the liveness challenge (taken as passed). */
async function decide(): Promise<DecisionSample> {
	if (!client || !gate) throw new Error('load() and setupGate() first');
	const { frame, capturedAt, captureMs } = await capture();
	const analysis = await client.analyze(frame, 'full', capturedAt);
	const t1 = performance.now();
	const face = analysis?.faces[0] ?? null;
	const base = {
		captureMs,
		analyzeMs: t1 - capturedAt - captureMs,
		worker: analysis?.timings ?? null
	};
	if (!face?.embedding) {
		return {
			...base,
			searchMs: 0,
			decisionMs: 0,
			buildMs: 0,
			journalMs: 0,
			docMs: 0,
			totalMs: t1 - capturedAt,
			search: 'no_face',
			score: null,
			second: null,
			workerId: null,
			allow: null,
			reasons: []
		};
	}
	const found = gate.index.search(face.embedding, {
		threshold: gate.threshold,
		margin: gate.margin
	});
	const t2 = performance.now();
	const matched = found.decision === 'match' && found.best;
	const [contractorId, workerId] = matched ? found.best!.workerId.split('/') : [];
	const identity: GateIdentity = matched
		? {
				method: 'face',
				worker: { contractorId: contractorId!, workerId: workerId! },
				confirmed: true,
				liveness: 'passed',
				score: Math.round(found.best!.score * 1e4) / 1e4
			}
		: { method: 'face', worker: null, confirmed: false, score: found.best?.score ?? null };
	const at = new Date();
	const outcome = gateDecision(gate.ctx, identity, 'in', at, { position: null });
	const t3 = performance.now();
	const event = buildAttendance(outcome.event);
	const name = eventsDocFor(SITE.id, at, SITE.timeZone);
	const t4 = performance.now();
	await gate.journal.append(name, event);
	const t5 = performance.now();
	let doc = gate.events.get(name);
	if (!doc) gate.events.set(name, (doc = new Y.Doc()));
	putAttendance(doc, name, actor, event);
	const t6 = performance.now();
	return {
		...base,
		searchMs: t2 - t1,
		decisionMs: t3 - t2,
		buildMs: t4 - t3,
		journalMs: t5 - t4,
		docMs: t6 - t5,
		totalMs: t5 - capturedAt,
		search: found.decision,
		score: found.best?.score ?? null,
		second: found.second?.score ?? null,
		workerId: found.best?.workerId ?? null,
		allow: outcome.decision.allow,
		reasons: outcome.decision.reasons.map((r) => r.code)
	};
}

const api: VisionBenchApi = {
	async load() {
		client?.dispose();
		client = new VisionClient();
		const t0 = performance.now();
		const health = await client.load();
		return { ms: performance.now() - t0, health, files: client.files() };
	},
	async analyzeFrames(names, mode, options = {}) {
		if (!client) throw new Error('load() first');
		const out: FrameResult[] = [];
		for (const name of names) {
			const frame = await frameBitmap(name);
			const t0 = performance.now();
			try {
				const analysis = await client.analyze(frame, mode, t0, options);
				out.push({ name, ms: performance.now() - t0, analysis });
			} catch (err) {
				out.push({ name, ms: performance.now() - t0, analysis: null, error: String(err) });
			}
		}
		return out;
	},
	async offerFrames(name, mode, intervalMs, seconds) {
		if (!client) throw new Error('load() first');
		const c = client;
		const res = await fetch(`/frames/${encodeURIComponent(name)}`);
		if (!res.ok) throw new Error(`frame ${name}: HTTP ${res.status}`);
		const image = await createImageBitmap(
			new ImageData(new Uint8ClampedArray(await res.arrayBuffer()), W, H)
		);
		const out: OfferResult = {
			offered: 0,
			skipped: 0,
			analysed: 0,
			doneAt: [],
			latency: [],
			timings: [],
			last: null,
			maxInFlight: 0,
			ms: 0
		};
		let inFlight = 0;
		const pending: Promise<void>[] = [];
		const t0 = performance.now();
		while (performance.now() - t0 < seconds * 1000) {
			const tick = performance.now();
			// A new bitmap per offer, as a camera gives (createImageBitmap(video) in the app); the
			// client closes the ones it skips.
			const frame = await createImageBitmap(image);
			out.offered++;
			inFlight++;
			out.maxInFlight = Math.max(out.maxInFlight, inFlight);
			pending.push(
				c.analyze(frame, mode, tick).then(
					(a) => {
						inFlight--;
						if (!a) {
							out.skipped++;
							return;
						}
						out.analysed++;
						out.doneAt.push(performance.now() - t0);
						out.latency.push(performance.now() - tick);
						out.timings.push(a.timings);
						out.last = a;
					},
					() => {
						inFlight--;
					}
				)
			);
			const wait = intervalMs - (performance.now() - tick);
			if (wait > 0) await new Promise((r) => setTimeout(r, wait));
		}
		await Promise.all(pending);
		image.close();
		out.ms = performance.now() - t0;
		return out;
	},
	setupGate,
	async openCamera() {
		const stream = await navigator.mediaDevices.getUserMedia({
			video: { width: W, height: H },
			audio: false
		});
		video = document.createElement('video');
		video.muted = true;
		video.playsInline = true;
		video.srcObject = stream;
		document.body.append(video);
		await video.play();
		await ready(video);
		return { width: video.videoWidth, height: video.videoHeight };
	},
	async decisions(n) {
		const out: DecisionSample[] = [];
		for (let i = 0; i < n; i++) out.push(await decide());
		return out;
	},
	async cameraFrames(mode, n) {
		if (!client) throw new Error('load() first');
		const out: CameraFrame[] = [];
		for (let i = 0; i < n; i++) {
			const { frame, capturedAt, captureMs } = await capture();
			const analysis = await client.analyze(frame, mode, capturedAt);
			const t1 = performance.now();
			out.push({
				captureMs,
				analyzeMs: t1 - capturedAt - captureMs,
				worker: analysis?.timings ?? null,
				faces: analysis?.faces.length ?? 0,
				totalMs: t1 - capturedAt
			});
		}
		return out;
	},
	dispose() {
		client?.dispose();
		client = null;
		gate?.journal.close();
		gate = null;
	}
};

(window as unknown as { sitepassVision: VisionBenchApi }).sitepassVision = api;
