// The monitor's loop: grab a frame from the camera or stream (at most ~10 per second, none while
// the vision worker is still busy: frames are skipped, never queued), find people ('people' mode:
// pose landmarks, feet, head, hard-hat reading), follow them across frames, apply the zone rule,
// and hand each alert to the page with a snapshot of the analysed frame.
import {
	gateForInterval,
	PersonTracker,
	ZoneAlertRule,
	type NBox,
	type NPoint,
	type RuleAlert,
	type RuleObservation,
	type Zone,
	type ZoneState
} from '$lib/domain/zones';
import { VisionClient, type VisionProgress } from '$lib/vision/engine/client';
import type { PersonObservation, PpeObservation, PpeSiteModel } from '$lib/vision/types';
import { alertSnapshot } from './snapshot';

/** At most this many frames are sent per second. */
export const MAX_FPS = 10;
/** Frames are scaled to at most this width before analysis (the worker's design size). */
const MAX_WIDTH = 640;

export interface OverlayPerson {
	trackId: number;
	box: NBox;
	feet: NPoint;
	feetVisible: boolean;
	ppe: PpeObservation;
	/** The person's state in each zone they stand in. */
	zones: { zoneId: string; state: ZoneState }[];
}

export interface RaisedAlert {
	rule: RuleAlert;
	person: PersonObservation;
	/** The person's box, normalised. */
	box: NBox;
	snapshot: Blob | null;
}

export type RunnerState = 'idle' | 'loading' | 'running' | 'error';

export class MonitorRunner {
	state = $state<RunnerState>('idle');
	/** A message key and its reason, when something stops the monitor. */
	error = $state<{
		key: 'monitor.err.models' | 'monitor.err.cors' | 'monitor.err.analysis';
		reason: string;
	} | null>(null);
	progress = $state.raw<VisionProgress | null>(null);
	/** Analysed frames per second over the last seconds. */
	fps = $state(0);
	/** Frames skipped because the worker was busy. */
	skipped = $state(0);
	analysed = $state(0);
	people = $state.raw<OverlayPerson[]>([]);
	frameMs = $state<number | null>(null);
	/** The hard-hat classifier in use: 'builtin-…' or the site model's version. */
	ppeModel = $state<string | null>(null);
	/** Why the site's model is not in use although one is active (the builtin one answers). */
	ppeModelError = $state<string | null>(null);

	#client: VisionClient | null = null;
	#tracker = new PersonTracker<{ feet: NPoint; box: NBox; person: PersonObservation }>();
	// Lazily: the dependencies are assigned after the fields are initialised.
	#rule = new ZoneAlertRule({}, { covers: (zone, o) => this.deps.covers?.(zone, o) ?? false });
	#canvas: HTMLCanvasElement | null = null;
	#running = false;
	/** The current run (start … stop); a loop or an analysis of an earlier run stops at once. */
	#run = 0;
	#times: number[] = [];

	constructor(
		private readonly deps: {
			source: () => HTMLVideoElement | HTMLImageElement | null;
			zones: () => readonly Zone[];
			blurFaces: () => boolean;
			/** The site's hard-hat model (null: builtin); throws when it cannot be loaded. */
			ppeModel?: () => Promise<PpeSiteModel | null>;
			onAlert: (alert: RaisedAlert) => Promise<void> | void;
			/** Whether a permit covers a person in a danger zone (default: nothing is covered). */
			covers?: (zone: Zone, observation: RuleObservation) => boolean;
		}
	) {}

	async start(): Promise<void> {
		if (this.#running || this.state === 'loading') return;
		// Each start is one run; a stop (or a later start) ends it, whatever it is awaiting.
		const run = ++this.#run;
		this.error = null;
		this.state = 'loading';
		this.#client ??= new VisionClient();
		const health = await this.#client.load((p) => (this.progress = p));
		if (run !== this.#run) return;
		if (!health.ready) {
			const failed = health.models.filter((m) => m.state === 'failed');
			this.error = {
				key: 'monitor.err.models',
				reason: failed.map((m) => `${m.name}: ${m.error ?? ''}`).join('; ')
			};
			this.state = 'error';
			return;
		}
		await this.useSiteModel();
		if (run !== this.#run) return;
		this.#tracker.reset();
		this.#rule.reset();
		this.#times = [];
		this.#running = true;
		this.state = 'running';
		void this.#loop(run);
	}

	/** Loads the site's hard-hat model into the worker (again: after the site promotes a new one). */
	async useSiteModel(): Promise<void> {
		const client = this.#client;
		if (!client || !this.deps.ppeModel) return;
		let model: PpeSiteModel | null = null;
		try {
			model = await this.deps.ppeModel();
			this.ppeModelError = null;
		} catch (err) {
			this.ppeModelError = err instanceof Error ? err.message : String(err);
			// Most often the model's blob has not synced yet: try again while this run lasts.
			const run = this.#run;
			setTimeout(() => {
				if (run === this.#run && this.state !== 'idle') void this.useSiteModel();
			}, 5000);
		}
		try {
			this.ppeModel = await client.setPpeModel(model);
		} catch (err) {
			this.ppeModelError = err instanceof Error ? err.message : String(err);
		}
	}

	stop(): void {
		this.#run++;
		this.#running = false;
		if (this.state === 'running' || this.state === 'loading') this.state = 'idle';
		this.people = [];
		this.fps = 0;
	}

	dispose(): void {
		this.stop();
		this.#client?.dispose();
		this.#client = null;
	}

	/** Draws the source's current frame into the analysis canvas; null when there is none yet. */
	#grab(): HTMLCanvasElement | null {
		const el = this.deps.source();
		if (!el) return null;
		const w = el instanceof HTMLVideoElement ? el.videoWidth : el.naturalWidth;
		const h = el instanceof HTMLVideoElement ? el.videoHeight : el.naturalHeight;
		if (!w || !h) return null;
		if (el instanceof HTMLVideoElement && el.readyState < HTMLMediaElement.HAVE_CURRENT_DATA)
			return null;
		const scale = Math.min(1, MAX_WIDTH / w);
		const canvas = (this.#canvas ??= document.createElement('canvas'));
		canvas.width = Math.round(w * scale);
		canvas.height = Math.round(h * scale);
		const ctx = canvas.getContext('2d', { willReadFrequently: true });
		if (!ctx) return null;
		ctx.drawImage(el, 0, 0, canvas.width, canvas.height);
		return canvas;
	}

	async #loop(run: number): Promise<void> {
		while (this.#running && run === this.#run) {
			const started = performance.now();
			const client = this.#client;
			if (!client) break;
			if (!client.idle) {
				this.skipped++;
			} else {
				try {
					const canvas = this.#grab();
					if (canvas) await this.#analyse(client, canvas, run);
				} catch (err) {
					const reason = err instanceof Error ? err.message : String(err);
					const cors = err instanceof DOMException && err.name === 'SecurityError';
					this.error = { key: cors ? 'monitor.err.cors' : 'monitor.err.analysis', reason };
					this.state = 'error';
					this.#running = false;
					this.people = [];
					break;
				}
			}
			const wait = 1000 / MAX_FPS - (performance.now() - started);
			await new Promise((r) => setTimeout(r, Math.max(0, wait)));
		}
	}

	async #analyse(client: VisionClient, canvas: HTMLCanvasElement, run: number): Promise<void> {
		// A cross-origin stream without CORS taints the canvas: reading it throws SecurityError.
		canvas.getContext('2d')!.getImageData(0, 0, 1, 1);
		const captured = performance.now();
		const bitmap = await createImageBitmap(canvas);
		const analysis = await client.analyze(bitmap, 'people', captured);
		if (!analysis || !this.#running || run !== this.#run) return;
		const w = analysis.width;
		const h = analysis.height;
		const people = analysis.people ?? [];
		const inputs = people.map((person) => ({
			person,
			feet: { x: person.feet.x / w, y: person.feet.y / h },
			box: {
				x: person.box.x / w,
				y: person.box.y / h,
				width: person.box.width / w,
				height: person.box.height / h
			}
		}));
		const sincePrevious = this.#times.length ? Date.now() - this.#times.at(-1)! : 0;
		const { seen, lost } = this.#tracker.update(inputs, gateForInterval(sincePrevious));
		const zones = this.deps.zones();
		const now = Date.now();
		const { alerts, states } = this.#rule.step(
			zones,
			seen.map((t) => ({
				trackId: t.id,
				feet: t.last.feet,
				feetVisible: t.last.person.feetVisible,
				ppe: t.last.person.ppe
			})),
			lost,
			now
		);
		this.people = seen.map((t) => ({
			trackId: t.id,
			box: t.last.box,
			feet: t.last.feet,
			feetVisible: t.last.person.feetVisible,
			ppe: t.last.person.ppe,
			zones: states
				.filter((s) => s.trackId === t.id)
				.map((s) => ({ zoneId: s.zoneId, state: s.state }))
		}));
		this.analysed++;
		this.frameMs = analysis.timings.total;
		// Over the last ten analysed frames (however slow they are).
		this.#times.push(now);
		if (this.#times.length > 10) this.#times.shift();
		this.fps =
			this.#times.length > 1 ? ((this.#times.length - 1) * 1000) / (now - this.#times[0]!) : 0;
		for (const rule of alerts) {
			const track = seen.find((t) => t.id === rule.trackId)!;
			const snapshot = await alertSnapshot(canvas, people, this.deps.blurFaces()).catch(() => null);
			await this.deps.onAlert({ rule, person: track.last.person, box: track.last.box, snapshot });
		}
	}
}
