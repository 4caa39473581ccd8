// The gate kiosk's controller: camera frames to the vision worker, faces to the 1:N index, a
// liveness challenge for the matched person, then the one decision (gateDecision → decideEntry),
// journalled to IndexedDB before the screen or the speaker says anything. QR passes and ID + PIN
// reach the same decision. The page only renders `screen` and forwards taps.
/* eslint-disable svelte/prefer-svelte-reactivity -- the maps, sets and dates here are private
   bookkeeping of the controller, never rendered; only the $state fields are. */
import type * as Y from 'yjs';
import type { EntryDecision } from '$lib/domain';
import type { Claims } from '$lib/data/access';
import { Presence } from '$lib/data/attendance';
import { eventsDoc, monthOf } from '$lib/data/documents';
import { buildAttendance, eventsDocFor, putAttendance } from '$lib/data/event-commands';
import type { AttendanceEvent } from '$lib/data/events';
import { currentConsent } from '$lib/data/consent-commands';
import { FACE_MODEL, FaceTemplate, faceTemplates } from '$lib/data/faces';
import {
	gateDecision,
	gateRequiresPpe,
	type GateContext,
	type GateIdentity,
	type GateOutcome
} from '$lib/data/gate';
import type { PpeRecord } from '$lib/data/events';
import { activePpeModel } from '$lib/data/ppe-learning';
import { ppeVerdict } from '$lib/domain';
import { checkPass, checkPin, PinLockout, readPass } from '$lib/data/gate-credentials';
import { Contractor, orgViewOf, Site } from '$lib/data/org';
import { readRecord } from '$lib/data/records';
import { Worker } from '$lib/data/contractor';
import { GateJournal } from '$lib/sync/gate-journal';
import { sync } from '$lib/sync/sync.svelte';
import { VisionClient } from '$lib/vision/engine/client';
import { FaceIndex } from '$lib/vision/matcher';
import { LivenessCheck, livenessVerdict, newChallenge, type Challenge } from '$lib/vision/liveness';
import type {
	AnalysisMode,
	AnalysisOptions,
	Box,
	FaceObservation,
	FrameAnalysis,
	PpeObservation,
	PpeUnknownReason,
	VisionHealth
} from '$lib/vision/types';
import { MATCH_MARGIN, MATCH_THRESHOLD } from '$lib/vision/recognition';
import { pixelate } from '$lib/ui/pixelate';
import { playTone } from './feedback';

/** How long a decision stays on screen before the next person. */
export const RESULT_MS = 5000;
/** A face must be at least this share of the frame's height before the gate tries to match it. */
const MIN_FACE_SHARE = 0.18;
/** Frames without a confident match before the gate says it does not know the person. */
const UNKNOWN_AFTER = 3;
/**
 * Time to answer the challenge: the reading of the instruction plus the movement (8 s rather than
 * the module's 5 s: a gloved worker at a loaded tablet should not fail for being slow).
 */
const CHALLENGE_MS = 8000;
/** After a decision, the same person standing there is not decided again for this long. */
const COOLDOWN_MS = 12_000;
/**
 * Time a worker gets to put the hard hat on (or step closer) once asked, before the gate decides on
 * what it last saw: long enough to take a hat off a belt hook, short enough not to block the queue.
 */
export const PPE_WAIT_MS = 12_000;
/** Consecutive frames that must see the hard hat with confidence before it counts. */
const PPE_FRAMES = 2;

export type Screen =
	| { kind: 'loading'; detail: string }
	| { kind: 'unavailable'; problem: 'not_gate' | 'no_site' | 'no_camera'; detail?: string }
	| {
			kind: 'idle';
			hint: 'none' | 'closer' | 'one_at_a_time' | 'recorded' | 'looking' | 'load_models';
	  }
	| { kind: 'challenge'; challenge: Challenge; name: string }
	| {
			/** Asked to put the hard hat on (or to come closer / face the camera so it can be seen). */
			kind: 'ppe';
			name: string;
			problem: 'missing' | 'unknown' | 'no_face' | 'checking';
			reason: PpeUnknownReason | null;
	  }
	| { kind: 'qr'; problem: string | null }
	| { kind: 'pin'; step: 'id' | 'pin'; problem: string | null }
	| {
			kind: 'result';
			decision: EntryDecision;
			name: string | null;
			method: GateIdentity['method'];
			eventId: string;
	  }
	| { kind: 'failure'; message: string };

export interface GateHealth {
	vision: VisionHealth | null;
	camera: 'starting' | 'ok' | 'failed' | 'off';
	sync: typeof sync.summary;
	/** Attendance events not yet confirmed by the relay. */
	unconfirmed: number;
	/** Workers with a face template this gate can match. */
	templates: number;
	fps: number;
	lastMs: number | null;
	/** The hard-hat classifier in use: 'builtin-…' or the site model's version. */
	ppeModel: string | null;
	/** Why the site's model is not in use although one is active (the built-in one answers). */
	ppeModelError: string | null;
}

type Phase =
	| { kind: 'idle' }
	| { kind: 'identify'; misses: number; best: number | null }
	| {
			kind: 'challenge';
			key: string;
			score: number;
			check: LivenessCheck;
			antispoof: number[];
			liveness: number[];
			frames: number;
	  }
	| {
			kind: 'ppe';
			identity: GateIdentity;
			/** `contractor/worker` when the person's face is enrolled (each frame must still be them). */
			key: string | null;
			until: number;
			last: PpeObservation | null;
			face: Box | null;
			good: number;
	  }
	| { kind: 'paused' };

export class Kiosk {
	screen = $state<Screen>({ kind: 'loading', detail: '' });
	direction = $state<'in' | 'out'>('in');
	health = $state<GateHealth>({
		vision: null,
		camera: 'off',
		sync: sync.summary,
		unconfirmed: 0,
		templates: 0,
		fps: 0,
		lastMs: null,
		ppeModel: null,
		ppeModelError: null
	});
	/** The last analysis, for the overlay the page draws. */
	overlay = $state<FrameAnalysis | null>(null);
	siteName = $state('');

	readonly vision = new VisionClient();
	readonly index = new FaceIndex();
	readonly lockout = new PinLockout();
	#journal: GateJournal | null = null;
	#presence: Presence;
	#phase: Phase = { kind: 'idle' };
	#running = false;
	#video: HTMLVideoElement | null = null;
	#stream: MediaStream | null = null;
	#timers: ReturnType<typeof setTimeout>[] = [];
	#cooldown = new Map<string, number>();
	#position: { lat: number; lng: number; accuracy?: number; at: number } | null = null;
	#geoWatch: number | null = null;
	#stopObservers: (() => void)[] = [];
	#pinWorker: { contractorId: string; workerId: string } | null = null;
	#frameTimes: number[] = [];
	#ready = false;
	#random: () => number;
	/** The latest hard-hat reading of the person being identified, and where their face was. */
	#ppe: { reading: PpeObservation; face: Box } | null = null;

	constructor(
		readonly siteId: string,
		readonly claims: Claims,
		opts: { random?: () => number } = {}
	) {
		this.#presence = new Presence(siteId);
		this.#random = opts.random ?? Math.random;
	}

	get org(): Y.Doc {
		return sync.doc('org');
	}

	#site() {
		const read = readRecord(Site, this.org.getMap('sites').get(this.siteId));
		return read.ok ? read.record : null;
	}

	/** Contractors working at this site (their documents are what the gate can know people from). */
	#contractorIds(): string[] {
		const out: string[] = [];
		for (const raw of this.org.getMap('contractors').values()) {
			const read = readRecord(Contractor, raw);
			if (read.ok && read.record.sites.includes(this.siteId)) out.push(read.record.id);
		}
		return out;
	}

	#context(site: Site): GateContext {
		return {
			orgId: this.claims.iss,
			org: this.org,
			control: sync.doc(`site:${this.siteId}:control`),
			blacklist: sync.has('blacklist') ? sync.doc('blacklist') : null,
			contractor: (id) => (sync.has(`contractor:${id}`) ? sync.doc(`contractor:${id}`) : null),
			site: { id: site.id, kind: site.kind, timeZone: site.timeZone },
			deviceId: this.claims.sub,
			onSite: (workerId) => this.#presence.onSite(workerId)
		};
	}

	async start(video: HTMLVideoElement): Promise<void> {
		if (this.claims.role !== 'gate') {
			this.screen = { kind: 'unavailable', problem: 'not_gate' };
			return;
		}
		this.#video = video;
		this.#running = true;
		this.screen = { kind: 'loading', detail: 'data' };
		await sync.open('org').whenLoaded;
		const site = this.#site();
		if (!site) {
			this.screen = { kind: 'unavailable', problem: 'no_site' };
			return;
		}
		this.siteName = site.name;
		this.#journal = await GateJournal.open(`sitepass:${this.claims.iss}:~gate-journal`);
		await this.#followEvents(site.timeZone);
		this.#followFaces();
		this.#startGeolocation();
		void this.#reconcile();
		const every = setInterval(() => void this.#reconcile(), 15_000);
		this.#stopObservers.push(() => clearInterval(every));

		// QR and ID + PIN work from here on; the face path joins when the camera and models are ready
		// (loading 28 MB of models must never keep anyone waiting at the gate).
		this.#ready = true;
		this.idle();
		void this.vision
			.load(() => (this.health.vision = this.vision.health()))
			.then(() => {
				// Left the page while the models loaded: nothing more to follow.
				if (!this.#running) return;
				this.health.vision = this.vision.health();
				this.#followPpeModel();
				if (this.screen.kind === 'idle' && this.screen.hint === 'load_models') this.idle();
			});
		void this.#openCamera().then(() => {
			if (this.screen.kind === 'idle' || this.screen.kind === 'unavailable') this.idle();
		});
		void this.#loop();
	}

	async #openCamera(): Promise<void> {
		this.health.camera = 'starting';
		try {
			const stream = await navigator.mediaDevices.getUserMedia({
				video: { width: 640, height: 480, facingMode: 'user' },
				audio: false
			});
			this.#stream = stream;
			const video = this.#video!;
			video.srcObject = stream;
			video.muted = true;
			await video.play();
			this.health.camera = 'ok';
			for (const track of stream.getVideoTracks())
				track.addEventListener('ended', () => (this.health.camera = 'failed'));
		} catch {
			this.health.camera = 'failed';
		}
	}

	async #followEvents(timeZone: string) {
		const now = new Date();
		const current = eventsDoc(this.siteId, monthOf(now, timeZone));
		const previousMonth = new Date(now.getTime() - 32 * 86_400_000);
		const previous = eventsDoc(this.siteId, monthOf(previousMonth, timeZone));
		for (const name of [previous, current]) {
			const replica = sync.open(name);
			await replica.whenLoaded;
			this.#presence.follow(replica.doc);
			const received = replica.doc.getMap('received');
			const onStamp = () => void this.#reconcile();
			received.observe(onStamp);
			this.#stopObservers.push(() => received.unobserve(onStamp));
		}
	}

	/**
	 * The 1:N index follows every contractor document's templates: a full rebuild when the set of
	 * contractors at the site changes (or a document finished loading), otherwise only the
	 * enrolments and withdrawals that changed (a rebuild of 10,000 templates costs ~0.3 s).
	 */
	#followFaces() {
		let timer: ReturnType<typeof setTimeout> | null = null;
		const rebuild = () => {
			timer = null;
			this.index.clear();
			for (const c of this.#contractorIds()) {
				if (!sync.has(`contractor:${c}`)) continue;
				for (const face of faceTemplates(sync.doc(`contractor:${c}`))) {
					this.index.add(`${c}/${face.workerId}`, face.templates);
				}
			}
			this.health.templates = this.index.workers;
		};
		const soon = () => (timer ??= setTimeout(rebuild, 200));
		const watched = new Set<string>();
		const watch = () => {
			for (const c of this.#contractorIds()) {
				const name = `contractor:${c}`;
				if (watched.has(name)) continue;
				watched.add(name);
				const replica = sync.open(name);
				const faces = replica.doc.getMap('faces');
				const changed = (event: Y.YMapEvent<unknown>) => {
					if (timer) return; // a full rebuild is coming anyway
					for (const workerId of event.keysChanged) {
						const read = readRecord(FaceTemplate, faces.get(workerId));
						if (read.ok && read.record.model === FACE_MODEL)
							this.index.set(`${c}/${workerId}`, read.record.templates);
						else this.index.remove(`${c}/${workerId}`);
					}
					this.health.templates = this.index.workers;
				};
				faces.observe(changed);
				this.#stopObservers.push(() => faces.unobserve(changed));
				void replica.whenLoaded.then(soon);
			}
			soon();
		};
		watch();
		const contractors = this.org.getMap('contractors');
		contractors.observe(watch);
		this.#stopObservers.push(() => contractors.unobserve(watch));
	}

	/**
	 * The site's own hard-hat model (trained on its safety staff's labels) replaces the built-in one
	 * once it is active and its blob has arrived; until then, or if it cannot be read, the built-in
	 * one answers and the health panel says why.
	 */
	#followPpeModel() {
		const control = sync.doc(`site:${this.siteId}:control`);
		let loading = false;
		let again = false;
		let retry: ReturnType<typeof setTimeout> | null = null;
		const load = async () => {
			if (!this.#running) return;
			if (loading) return void (again = true);
			loading = true;
			try {
				let model = null;
				try {
					model = await activePpeModel(control, (hash) =>
						sync.blobs ? sync.blobs.get(hash) : Promise.resolve(null)
					);
					this.health.ppeModelError = null;
				} catch (err) {
					this.health.ppeModelError = (err as Error).message;
					// Not synced yet: try again shortly (the blob follows the document).
					retry ??= setTimeout(() => {
						retry = null;
						void load();
					}, 5000);
				}
				this.health.ppeModel = await this.vision.setPpeModel(model);
			} catch (err) {
				this.health.ppeModelError = (err as Error).message;
			} finally {
				loading = false;
				if (again) {
					again = false;
					void load();
				}
			}
		};
		const changed = () => void load();
		const settings = control.getMap('settings');
		const models = control.getMap('ppeModels');
		settings.observe(changed);
		models.observe(changed);
		this.#stopObservers.push(() => {
			settings.unobserve(changed);
			models.unobserve(changed);
			if (retry) clearTimeout(retry);
		});
		void load();
	}

	#startGeolocation() {
		if (typeof navigator === 'undefined' || !navigator.geolocation) return;
		this.#geoWatch = navigator.geolocation.watchPosition(
			(p) =>
				(this.#position = {
					lat: p.coords.latitude,
					lng: p.coords.longitude,
					accuracy: p.coords.accuracy,
					at: Date.now()
				}),
			() => {},
			{ enableHighAccuracy: false, maximumAge: 60_000 }
		);
	}

	/** Journal entries the relay has stamped leave; entries the replica lost are put back. */
	async #reconcile() {
		const journal = this.#journal;
		if (!journal) return;
		try {
			const site = this.#site();
			await journal.reconcile(
				(name) => (sync.has(name) ? sync.doc(name) : null),
				(doc, name, event) => putAttendance(doc, name, this.#actor(), event)
			);
			this.health.unconfirmed = await journal.count();
			if (site) this.health.sync = sync.summary;
		} catch {
			// Retried on the next stamp or tick.
		}
	}

	#actor() {
		return { claims: this.claims, org: orgViewOf(this.org) };
	}

	#later(ms: number, then: () => void) {
		this.#timers.push(setTimeout(then, ms));
	}

	async #loop() {
		while (this.#running) {
			const video = this.#video;
			const mode = this.#mode();
			if (
				!video ||
				!this.#stream ||
				mode === null ||
				video.readyState < 2 ||
				!this.vision.health().ready
			) {
				await new Promise((r) => setTimeout(r, 100));
				continue;
			}
			const capturedAt = performance.now();
			let frame: ImageBitmap;
			try {
				frame = await createImageBitmap(video);
			} catch {
				await new Promise((r) => setTimeout(r, 100));
				continue;
			}
			const analysis = await this.vision
				.analyze(frame, mode, capturedAt, this.#options())
				.catch(() => null);
			if (!analysis) {
				await new Promise((r) => setTimeout(r, 30));
				continue;
			}
			this.#tick(performance.now() - capturedAt);
			this.overlay = analysis;
			try {
				await this.#onFrame(analysis);
			} catch (err) {
				this.screen = { kind: 'failure', message: (err as Error).message };
				this.#phase = { kind: 'paused' };
				this.#later(RESULT_MS, () => this.idle());
			}
		}
	}

	#tick(ms: number) {
		const now = performance.now();
		this.#frameTimes.push(now);
		while (this.#frameTimes.length > 0 && this.#frameTimes[0]! < now - 2000)
			this.#frameTimes.shift();
		this.health.fps = this.#frameTimes.length / 2;
		this.health.lastMs = ms;
	}

	#mode(): AnalysisMode | null {
		switch (this.#phase.kind) {
			case 'idle':
				return 'detect';
			case 'identify':
				return 'full';
			case 'challenge':
				// Landmarks for the challenge; every fourth frame the full model re-checks identity and
				// collects anti-spoof scores.
				return this.#phase.frames % 4 === 3 ? 'full' : 'landmarks';
			case 'ppe':
				// The enrolled are re-identified on every frame (nobody hands a hard hat to a stand-in).
				return this.#phase.key && this.index.has(this.#phase.key) ? 'full' : 'detect';
			case 'paused':
				return null;
		}
	}

	/** The hard-hat check runs on the frames that may end in a decision, where the site asks for it. */
	#options(): AnalysisOptions {
		const kind = this.#phase.kind;
		if (kind !== 'identify' && kind !== 'challenge' && kind !== 'ppe') return {};
		return { ppe: this.#requiresPpe() };
	}

	/** For the health panel: whether this gate requires a hard hat now. */
	get ppeRequired(): boolean {
		return this.#requiresPpe();
	}

	#requiresPpe(): boolean {
		const site = this.#site();
		if (!site || this.direction !== 'in') return false;
		return gateRequiresPpe(sync.doc(`site:${this.siteId}:control`), site.timeZone);
	}

	async #onFrame(a: FrameAnalysis) {
		const phase = this.#phase;
		const face = a.faces[0] ?? null;
		const bigEnough = (f: FaceObservation) => f.box.height >= a.height * MIN_FACE_SHARE;
		if (phase.kind === 'ppe') return this.#onPpeFrame(phase, face, bigEnough);
		if (face?.ppe && (phase.kind === 'identify' || phase.kind === 'challenge'))
			this.#ppe = { reading: face.ppe, face: face.box };
		if (phase.kind === 'idle') {
			if (this.screen.kind !== 'idle') return;
			if (a.faces.length > 1 && a.faces.filter(bigEnough).length > 1) {
				this.screen = { kind: 'idle', hint: 'one_at_a_time' };
			} else if (face && bigEnough(face)) {
				this.#phase = { kind: 'identify', misses: 0, best: null };
				this.screen = { kind: 'idle', hint: 'looking' };
			} else {
				this.screen = { kind: 'idle', hint: face ? 'closer' : 'none' };
			}
			return;
		}
		if (phase.kind === 'identify') {
			if (!face || !face.embedding || !bigEnough(face)) {
				phase.misses += 1;
				if (!face || phase.misses > UNKNOWN_AFTER + 2) this.idle();
				return;
			}
			const found = this.index.search(face.embedding, {
				threshold: MATCH_THRESHOLD,
				margin: MATCH_MARGIN
			});
			phase.best = Math.max(phase.best ?? -1, found.best?.score ?? -1);
			if (found.decision === 'match' && found.best) {
				const key = found.best.workerId;
				this.#ppe = face.ppe ? { reading: face.ppe, face: face.box } : null;
				if ((this.#cooldown.get(key) ?? 0) > Date.now()) {
					this.#phase = { kind: 'idle' };
					this.screen = { kind: 'idle', hint: 'recorded' };
					return;
				}
				const challenge = newChallenge(this.#random);
				this.#phase = {
					kind: 'challenge',
					key,
					score: found.best.score,
					check: new LivenessCheck(challenge, { timeLimitMs: CHALLENGE_MS }),
					antispoof: face.antispoof === null ? [] : [face.antispoof],
					liveness: face.liveness === null ? [] : [face.liveness],
					frames: 0
				};
				this.#phase.check.observe(face, performance.now());
				this.screen = { kind: 'challenge', challenge, name: this.#nameOf(key) ?? '' };
				playTone('attention');
				return;
			}
			phase.misses += 1;
			if (phase.misses >= UNKNOWN_AFTER) {
				await this.#proceed(
					{
						method: 'face',
						worker: null,
						confirmed: false,
						score: phase.best !== null && phase.best >= 0 ? round(phase.best) : null
					},
					null
				);
			}
			return;
		}
		if (phase.kind === 'challenge') {
			phase.frames += 1;
			if (face && a.mode === 'full') {
				if (face.antispoof !== null) phase.antispoof.push(face.antispoof);
				if (face.liveness !== null) phase.liveness.push(face.liveness);
				// The person answering the challenge must still be the one matched.
				if (face.embedding && !this.index.verify(face.embedding, phase.key, MATCH_THRESHOLD)) {
					await this.#finishChallenge(phase, 'failed');
					return;
				}
			}
			const state = phase.check.observe(face, performance.now());
			if (state.state === 'waiting') return;
			const verdict = livenessVerdict({
				challenge: state,
				antispoof: phase.antispoof,
				liveness: phase.liveness
			});
			if (verdict.result === 'failed') console.info(`gate: liveness ${verdict.reasons.join(',')}`);
			await this.#finishChallenge(phase, verdict.result);
		}
	}

	async #finishChallenge(
		phase: Extract<Phase, { kind: 'challenge' }>,
		liveness: 'passed' | 'failed'
	) {
		const [contractorId, workerId] = phase.key.split('/') as [string, string];
		await this.#proceed(
			{
				method: 'face',
				worker: { contractorId, workerId },
				confirmed: true,
				liveness,
				score: round(phase.score)
			},
			phase.key
		);
	}

	// ---- Hard hat ------------------------------------------------------------------------------

	/**
	 * Identity settled; where the site requires a hard hat, the gate must also have seen one. A
	 * person the gate would admit but for the hard hat is asked to put it on and look again; anyone
	 * refused for another reason (or not identified) is decided at once.
	 */
	async #proceed(identity: GateIdentity, key: string | null): Promise<void> {
		const seen = this.#ppe?.reading ?? null;
		if (!this.#requiresPpe() || !identity.confirmed || identity.liveness === 'failed') {
			return this.#decide(identity, seen);
		}
		if (seen && sureWorn(seen)) return this.#decide(identity, seen);
		const site = this.#site();
		if (!site) return;
		// Would anything but the hard hat stop them? Then there is nothing to wait for.
		const assumed = gateDecision(this.#context(site), identity, this.direction, new Date(), {
			ppe: { worn: true, confidence: 1, model: 'assumed' }
		});
		const canSee = !!this.#stream && this.vision.health().ready;
		if (!assumed.decision.allow || !canSee) return this.#decide(identity, seen);
		this.#phase = {
			kind: 'ppe',
			identity,
			key,
			until: performance.now() + PPE_WAIT_MS,
			last: seen,
			face: this.#ppe?.face ?? null,
			good: 0
		};
		this.screen = {
			kind: 'ppe',
			name: identity.worker
				? (this.#nameOf(`${identity.worker.contractorId}/${identity.worker.workerId}`) ?? '')
				: '',
			problem: seen ? (seen.worn === false ? 'missing' : 'unknown') : 'checking',
			reason: seen?.reason ?? null
		};
		playTone('attention');
		// Decided on what was last seen even if frames stop coming (camera unplugged).
		const phase = this.#phase;
		this.#later(PPE_WAIT_MS + 500, () => {
			if (this.#phase === phase) void this.#decide(phase.identity, phase.last);
		});
	}

	async #onPpeFrame(
		phase: Extract<Phase, { kind: 'ppe' }>,
		face: FaceObservation | null,
		bigEnough: (f: FaceObservation) => boolean
	) {
		if (performance.now() > phase.until) return this.#decide(phase.identity, phase.last);
		const reading = face?.ppe ?? null;
		if (!face || !reading) {
			phase.good = 0;
			this.#ppeScreen('no_face', null);
			return;
		}
		// Only the identified person's hard hat counts: an enrolled worker is re-identified on each
		// frame (a face too far away to recognise cannot be, so it cannot count either).
		const verified =
			!phase.key ||
			!this.index.has(phase.key) ||
			(bigEnough(face) &&
				!!face.embedding &&
				this.index.verify(face.embedding, phase.key, MATCH_THRESHOLD));
		if (verified) {
			phase.last = reading;
			phase.face = face.box;
			this.#ppe = { reading, face: face.box };
		}
		if (verified && sureWorn(reading)) {
			phase.good += 1;
			if (phase.good >= PPE_FRAMES) return this.#decide(phase.identity, reading);
			return;
		}
		phase.good = 0;
		// Say what the camera can tell, whoever it is: put it on, or why it cannot see.
		if (reading.worn === false) this.#ppeScreen('missing', null);
		else if (reading.worn === 'unknown') this.#ppeScreen('unknown', reading.reason);
	}

	#ppeScreen(
		problem: Extract<Screen, { kind: 'ppe' }>['problem'],
		reason: PpeUnknownReason | null
	) {
		if (this.screen.kind !== 'ppe') return;
		if (this.screen.problem === problem && this.screen.reason === reason) return;
		this.screen = { ...this.screen, problem, reason };
	}

	#nameOf(key: string): string | null {
		const [c, w] = key.split('/');
		if (!sync.has(`contractor:${c}`)) return null;
		const read = readRecord(Worker, sync.doc(`contractor:${c}`).getMap('workers').get(w!));
		return read.ok ? read.record.name : null;
	}

	/** The decision, journalled before it is shown or spoken. */
	async #decide(identity: GateIdentity, seen: PpeObservation | null = null): Promise<void> {
		this.#phase = { kind: 'paused' };
		const site = this.#site();
		const journal = this.#journal;
		if (!site || !journal) return;
		const at = new Date();
		const fresh = this.#position && Date.now() - this.#position.at < 10 * 60_000;
		const name = eventsDocFor(site.id, at, site.timeZone);
		const ppe =
			this.#requiresPpe() && identity.confirmed ? await this.#ppeRecord(seen, name) : null;
		const outcome: GateOutcome = gateDecision(this.#context(site), identity, this.direction, at, {
			ppe,
			position: fresh
				? {
						lat: this.#position!.lat,
						lng: this.#position!.lng,
						...(this.#position!.accuracy !== undefined
							? { accuracy: this.#position!.accuracy }
							: {})
					}
				: null
		});
		const snapshot = await this.#snapshot(identity, name).catch(() => null);
		const event: AttendanceEvent = buildAttendance({ ...outcome.event, snapshot });
		try {
			await journal.append(name, event);
		} catch (err) {
			// Nothing is said that is not recorded: without the journal, nobody is let through here.
			this.screen = {
				kind: 'failure',
				message: `无法记录通行事件（${(err as Error).message}），请联系管理员人工登记`
			};
			playTone('deny');
			this.#later(RESULT_MS, () => this.idle());
			return;
		}
		putAttendance(sync.doc(name), name, this.#actor(), event);
		// For whoever services the tablet (devtools): the decision as recorded.
		console.info(
			`gate: ${event.direction} ${event.allow ? 'allow' : 'deny'} ${event.method} ${event.workerId ?? '-'} ${event.liveness ?? ''} ${event.reasons.map((r) => r.code).join(',')}`
		);
		this.#presence.note(event);
		this.health.unconfirmed += 1;
		if (identity.worker && event.workerId) {
			this.#cooldown.set(
				`${identity.worker.contractorId}/${identity.worker.workerId}`,
				Date.now() + COOLDOWN_MS
			);
		}
		this.screen = {
			kind: 'result',
			decision: outcome.decision,
			name: outcome.worker && event.workerId ? outcome.worker.name : null,
			method: identity.method,
			eventId: event.id
		};
		this.#announce(outcome.decision, outcome.worker && event.workerId ? outcome.worker.name : null);
		this.#later(RESULT_MS, () => this.idle());
	}

	/**
	 * A picture of the passage, kept only for a face passage of a worker who separately agreed to
	 * photos being kept (face_transfer); stored in the device's blob store (uploaded with the
	 * events document's access rules) and referenced from the event by its hash.
	 */
	async #snapshot(identity: GateIdentity, docName: string): Promise<string | null> {
		const video = this.#video;
		const who = identity.worker;
		if (identity.method !== 'face' || !who || !video || !sync.blobs || video.videoWidth === 0)
			return null;
		const name = `contractor:${who.contractorId}`;
		if (!sync.has(name)) return null;
		if (!currentConsent(sync.doc(name), who.workerId, 'face_transfer')?.granted) return null;
		const canvas = document.createElement('canvas');
		canvas.width = video.videoWidth;
		canvas.height = video.videoHeight;
		canvas.getContext('2d')?.drawImage(video, 0, 0);
		const blob = await new Promise<Blob | null>((r) => canvas.toBlob(r, 'image/jpeg', 0.8));
		return blob ? sync.blobs.put(blob, docName) : null;
	}

	/**
	 * The hard-hat reading as the event keeps it, with a crop of the head-top region (the face
	 * blurred) for safety staff to label when they train the site's model.
	 */
	async #ppeRecord(seen: PpeObservation | null, docName: string): Promise<PpeRecord | null> {
		if (!seen) return null;
		const crop = seen.region ? await this.#ppeCrop(seen.region, docName).catch(() => null) : null;
		return {
			worn: seen.worn,
			confidence: round(seen.confidence),
			reason: seen.reason,
			model: seen.model,
			features: seen.features ? seen.features.map(round) : null,
			crop
		};
	}

	async #ppeCrop(region: Box, docName: string): Promise<string | null> {
		const video = this.#video;
		const face = this.#ppe?.face ?? null;
		// Without knowing where the face is, it could not be hidden: no picture then.
		if (!video || !face || !sync.blobs || video.videoWidth === 0) return null;
		const x = Math.max(0, Math.floor(Math.min(region.x, face.x)));
		const y = Math.max(0, Math.floor(region.y));
		const right = Math.min(
			video.videoWidth,
			Math.ceil(Math.max(region.x + region.width, face.x + face.width))
		);
		const bottom = Math.min(video.videoHeight, Math.ceil(face.y + face.height));
		const w = right - x;
		const h = bottom - y;
		if (w < 8 || h < 8) return null;
		const canvas = document.createElement('canvas');
		canvas.width = w;
		canvas.height = h;
		const ctx = canvas.getContext('2d');
		if (!ctx) return null;
		ctx.drawImage(video, x, y, w, h, 0, 0, w, h);
		// Everything from the brows down is pixelated: the picture is for judging the hard hat. The
		// face box is widened by a quarter each side (the person may have moved since it was seen).
		const pad = face.width * 0.25;
		const top = face.y + face.height * 0.25 - y;
		pixelate(canvas, [
			{ x: face.x - pad - x, y: top, width: face.width + 2 * pad, height: h - top }
		]);
		const blob = await new Promise<Blob | null>((r) => canvas.toBlob(r, 'image/jpeg', 0.8));
		return blob ? sync.blobs.put(blob, docName) : null;
	}

	/** Set by the page: speaks and sounds a decision (kept out of here so tests can watch it). */
	announce: (decision: EntryDecision, name: string | null) => void = () => {};

	#announce(decision: EntryDecision, name: string | null) {
		playTone(decision.allow ? 'allow' : 'deny');
		this.announce(decision, name);
	}

	/** Back to the idle screen for the next person. */
	idle(): void {
		for (const t of this.#timers) clearTimeout(t);
		this.#timers = [];
		this.#phase = { kind: 'idle' };
		this.#pinWorker = null;
		this.#ppe = null;
		if (!this.#ready) return;
		this.screen =
			this.#stream || this.health.camera === 'starting'
				? { kind: 'idle', hint: this.vision.health().ready ? 'none' : 'load_models' }
				: { kind: 'unavailable', problem: 'no_camera', detail: this.health.camera };
	}

	// ---- QR pass -------------------------------------------------------------------------------

	showQr(): void {
		this.#phase = { kind: 'paused' };
		this.screen = { kind: 'qr', problem: null };
	}

	/** A scanned pass (from the camera, or a USB scanner typing into the field). */
	async pass(token: string): Promise<void> {
		const payload = readPass(token);
		const contractor =
			payload && sync.has(`contractor:${payload.c}`) ? sync.doc(`contractor:${payload.c}`) : null;
		const check = checkPass(token, this.claims.iss, this.org, contractor);
		if (!check.ok) {
			if (check.problem === 'MALFORMED') {
				this.screen = { kind: 'qr', problem: 'malformed' };
				return;
			}
			await this.#decide({ method: 'qr', worker: null, confirmed: false });
			return;
		}
		this.#ppe = null;
		await this.#proceed(
			{
				method: 'qr',
				worker: { contractorId: check.contractorId, workerId: check.workerId },
				confirmed: true
			},
			`${check.contractorId}/${check.workerId}`
		);
	}

	// ---- ID number + PIN -----------------------------------------------------------------------

	showPin(): void {
		this.#phase = { kind: 'paused' };
		this.#pinWorker = null;
		this.screen = { kind: 'pin', step: 'id', problem: null };
	}

	/** The worker typed their ID number: find them among the contractors working here. */
	idNumber(value: string): void {
		const wanted = value.trim().toUpperCase();
		for (const c of this.#contractorIds()) {
			if (!sync.has(`contractor:${c}`)) continue;
			for (const raw of sync.doc(`contractor:${c}`).getMap('workers').values()) {
				const read = readRecord(Worker, raw);
				if (read.ok && read.record.docNumber.toUpperCase() === wanted) {
					this.#pinWorker = { contractorId: c, workerId: read.record.id };
					this.screen = { kind: 'pin', step: 'pin', problem: null };
					return;
				}
			}
		}
		this.screen = { kind: 'pin', step: 'id', problem: 'unknown_id' };
	}

	async pin(value: string): Promise<void> {
		const who = this.#pinWorker;
		if (!who) return this.showPin();
		const locked = this.lockout.lockedUntil(who.workerId);
		if (locked) {
			this.screen = { kind: 'pin', step: 'pin', problem: 'locked' };
			return;
		}
		const contractor = sync.doc(`contractor:${who.contractorId}`);
		if (!contractor.getMap('pins').has(who.workerId)) {
			this.screen = { kind: 'pin', step: 'pin', problem: 'no_pin' };
			return;
		}
		const ok = await checkPin(contractor, who.workerId, value);
		if (!ok) {
			this.lockout.fail(who.workerId);
			this.screen = {
				kind: 'pin',
				step: 'pin',
				problem: this.lockout.lockedUntil(who.workerId) ? 'locked' : 'wrong_pin'
			};
			return;
		}
		this.lockout.succeed(who.workerId);
		this.#ppe = null;
		await this.#proceed(
			{ method: 'id_pin', worker: who, confirmed: true },
			`${who.contractorId}/${who.workerId}`
		);
	}

	stop(): void {
		this.#running = false;
		for (const t of this.#timers) clearTimeout(t);
		for (const off of this.#stopObservers) off();
		this.#stopObservers = [];
		this.#presence.stop();
		if (this.#geoWatch !== null) navigator.geolocation.clearWatch(this.#geoWatch);
		for (const track of this.#stream?.getTracks() ?? []) track.stop();
		this.#stream = null;
		this.health.camera = 'off';
		this.vision.dispose();
		this.#journal?.close();
	}
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** The hard hat was seen, surely enough for decideEntry (the domain's own reading of it). */
function sureWorn(reading: PpeObservation): boolean {
	return ppeVerdict(reading) === 'worn';
}
