// The vision Web Worker: owns every model, so inference never blocks the page.
// - 'detect': MediaPipe Tasks FaceDetector (CPU, the converted short-range model).
// - 'landmarks': + human's face mesh (tfjs on its wasm backend): head pose, eye aspect ratio.
// - 'full': + human's faceres embedding, anti-spoof and liveness models.
// - { ppe: true } in those modes: + the selfie segmenter and the hard-hat check on each face.
// - 'people' (the monitor): the pose landmarker (up to four people) and the hard-hat check on
//   each head, without face detection or segmentation (cheaper: the monitor needs ≥ 10 fps).
// Every model file is fetched from our origin and its SHA-256 checked against the manifest
// before its bytes reach a runtime; a file that fails marks its model failed.
/// <reference lib="webworker" />
import { FaceDetector, ImageSegmenter, PoseLandmarker } from '@mediapipe/tasks-vision';
import { Human, type Config, type FaceResult } from '@vladmandic/human';
import type {
	AnalysisMode,
	AnalysisOptions,
	Box,
	FaceObservation,
	FrameAnalysis,
	ModelStatus,
	PersonObservation,
	Point,
	PpeSiteModel,
	VisionHealth
} from '../types';
import type { ModelFile } from '../types';
import { assessPpe, PPE_BUILTIN_MODEL, siteModelApplies, type PpeHead, type PpeMask } from '../ppe';
import {
	fileOf,
	GATE_MODELS,
	HUMAN_DIR,
	MANIFEST_URL,
	MODEL_NAMES,
	SOURCE_FILES,
	TFJS_WASM_DIR,
	type ModelName
} from './files';
import { cropStats, degrees, eyeAspectRatio, l2normalise, matchBoxes } from './metrics';
import type { FileStatus, WorkerMessage, WorkerRequest } from './protocol';
import { describeError, verifyBytes, VisionFileError } from './verify';

declare const self: DedicatedWorkerGlobalScope;

const CACHE_NAME = 'sitepass-models';
const realFetch = self.fetch.bind(self);

const models = new Map<ModelName, ModelStatus>(
	MODEL_NAMES.map((name) => [name, { name, state: 'pending' }])
);
let files: FileStatus[] = [];
/** Verified bytes by URL path, handed to human/tfjs through fetch() until loading is done. */
const verified = new Map<string, Uint8Array<ArrayBuffer>>();
/** Every URL path the manifest lists: fetch() answers these only from `verified`. */
const guarded = new Set<string>(SOURCE_FILES.map((f) => f.url));

let runtime: { factory: (module: object) => Promise<unknown>; wasm: WebAssembly.Module } | null =
	null;
let detector: FaceDetector | null = null;
let pose: PoseLandmarker | null = null;
let segmenter: ImageSegmenter | null = null;
/** The site's hard-hat model (setPpeModel); null: the built-in classifier. */
let ppeModel: PpeSiteModel | null = null;
let human: Human | null = null;
let backend: string | null = null;

function post(message: WorkerMessage, transfer: Transferable[] = []): void {
	self.postMessage(message, transfer);
}

function health(): VisionHealth {
	const list = MODEL_NAMES.map((n) => ({ ...models.get(n)! }));
	return {
		models: list,
		ready: GATE_MODELS.every((n) => models.get(n)!.state === 'ready'),
		backend
	};
}

function publish(): void {
	post({ type: 'status', health: health(), files: files.map((f) => ({ ...f })) });
}

function setModel(name: ModelName, patch: Partial<ModelStatus>): void {
	models.set(name, { ...models.get(name)!, ...patch, name });
	publish();
}

// human and tfjs fetch their model JSON, weights and wasm by URL; answer those from the verified
// bytes, and refuse any manifest file that was not verified (it must never load unchecked).
self.fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
	const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
	const url = new URL(href, self.location.href);
	if (url.origin === self.location.origin && guarded.has(url.pathname)) {
		const bytes = verified.get(url.pathname);
		if (!bytes) return new Response(null, { status: 403, statusText: 'Not verified' });
		const type = url.pathname.endsWith('.wasm')
			? 'application/wasm'
			: url.pathname.endsWith('.json')
				? 'application/json'
				: 'application/octet-stream';
		return new Response(bytes.slice(), { status: 200, headers: { 'content-type': type } });
	}
	return realFetch(input, init);
};

async function fetchManifest(): Promise<ModelFile[]> {
	const res = await realFetch(MANIFEST_URL, { cache: 'no-cache' });
	if (!res.ok) throw new Error(`manifest: HTTP ${res.status}`);
	const list = (await res.json()) as ModelFile[];
	if (!Array.isArray(list)) throw new Error('manifest: not a list');
	return list;
}

/** Fetches one file and checks it; a cached copy that fails is dropped and fetched once more. */
async function fetchVerified(file: FileStatus): Promise<Uint8Array<ArrayBuffer>> {
	const started = performance.now();
	const once = async () => {
		const res = await realFetch(file.url);
		if (!res.ok) throw new VisionFileError('fetch', file.url, `HTTP ${res.status}`);
		return verifyBytes(file, new Uint8Array(await res.arrayBuffer()));
	};
	try {
		try {
			return await once();
		} catch (err) {
			if (!(err instanceof VisionFileError) || err.kind === 'fetch') throw err;
			const cache = await self.caches?.open(CACHE_NAME).catch(() => undefined);
			if (!(await cache?.delete(file.url))) throw err;
			return await once();
		}
	} finally {
		file.fetchMs = Math.round(performance.now() - started);
	}
}

/** Fetches and verifies every file of `model`; returns them by URL, or null (model failed). */
async function verifyModel(model: ModelName): Promise<Map<string, Uint8Array<ArrayBuffer>> | null> {
	const mine = files.filter((f) => f.model === model);
	if (mine.length === 0) {
		setModel(model, { state: 'failed', error: '清单中缺少该模型的文件 — missing from manifest' });
		return null;
	}
	const out = new Map<string, Uint8Array<ArrayBuffer>>();
	let error: string | undefined;
	await Promise.all(
		mine.map(async (f) => {
			try {
				out.set(f.url, await fetchVerified(f));
				f.state = 'ok';
			} catch (err) {
				f.state = 'failed';
				f.error = describeError(err);
				error ??= f.error;
			}
		})
	);
	if (error) {
		setModel(model, { state: 'failed', error });
		return null;
	}
	publish();
	return out;
}

/** Runs `step` for a model, recording its state and time (fetch + check + instantiate). */
async function loadModel(
	model: ModelName,
	step: (bytes: Map<string, Uint8Array<ArrayBuffer>>) => Promise<void>,
	needs: ModelName[] = []
): Promise<boolean> {
	const started = performance.now();
	setModel(model, { state: 'loading' });
	const missing = needs.find((n) => models.get(n)!.state !== 'ready');
	if (missing) {
		// Still fetch and check the files so the tablet caches them for the next start.
		await verifyModel(model);
		setModel(model, { state: 'failed', error: `依赖的 ${missing} 未就绪 — needs ${missing}` });
		return false;
	}
	const bytes = await verifyModel(model);
	if (!bytes) return false;
	try {
		await step(bytes);
		setModel(model, { state: 'ready', loadMs: Math.round(performance.now() - started) });
		return true;
	} catch (err) {
		setModel(model, { state: 'failed', error: `模型加载失败 — ${describeError(err)}` });
		return false;
	}
}

type WasmFileset = Parameters<typeof FaceDetector.createFromOptions>[0];
type MediaPipeGlobals = { ModuleFactory?: unknown; Module?: unknown };

/** A fileset whose loader is already imported: tasks-vision then uses globalThis.ModuleFactory. */
function mediapipeFileset(): WasmFileset {
	if (!runtime) throw new Error('MediaPipe runtime not loaded');
	const g = self as unknown as MediaPipeGlobals;
	const { wasm } = runtime;
	g.ModuleFactory = runtime.factory;
	// The compiled module is shared by every task, so each instance skips the 11 MB compile.
	g.Module = {
		instantiateWasm(
			imports: WebAssembly.Imports,
			done: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void
		) {
			WebAssembly.instantiate(wasm, imports).then((instance) => done(instance, wasm));
			return {};
		}
	};
	return {
		wasmLoaderPath: '',
		wasmBinaryPath: fileOf('mediapipe-runtime', '.wasm').url
	};
}

const HUMAN_FLAGS = {
	'human-blazeface': {},
	'human-facemesh': { mesh: { enabled: true } },
	'human-faceres': { description: { enabled: true } },
	'human-antispoof': { antispoof: { enabled: true } },
	'human-liveness': { liveness: { enabled: true } }
} as const;
const HUMAN_STATS_NAME: Record<keyof typeof HUMAN_FLAGS, string> = {
	'human-blazeface': 'blazeface',
	'human-facemesh': 'facemesh',
	'human-faceres': 'faceres',
	'human-antispoof': 'antispoof',
	'human-liveness': 'liveness'
};

function humanConfig(): Partial<Config> {
	const base = new URL(`${HUMAN_DIR}/`, self.location.href).href;
	const off = { enabled: false };
	return {
		backend: 'wasm',
		wasmPath: new URL(`${TFJS_WASM_DIR}/`, self.location.href).href,
		wasmPlatformFetch: false,
		modelBasePath: base,
		// IndexedDB copies would skip the checksum; the service worker cache holds the files.
		cacheModels: false,
		validateModels: false,
		debug: false,
		async: false,
		warmup: 'none',
		// Each frame is analysed afresh: no reuse of an earlier frame's results.
		cacheSensitivity: 0,
		skipAllowed: false,
		filter: { enabled: false },
		gesture: off,
		body: off,
		hand: off,
		object: off,
		segmentation: off,
		face: {
			enabled: true,
			detector: {
				modelPath: 'blazeface.json',
				rotation: false,
				maxDetected: 5,
				minConfidence: 0.3,
				return: false
			},
			// Loaded one by one below (each load times one model); enabled per frame by mode.
			mesh: { enabled: false, modelPath: 'facemesh.json' },
			iris: off,
			attention: off,
			emotion: off,
			description: { enabled: false, modelPath: 'faceres.json' },
			antispoof: { enabled: false, modelPath: 'antispoof.json' },
			liveness: { enabled: false, modelPath: 'liveness.json' },
			gear: off
		} as Config['face']
	};
}

async function load(): Promise<void> {
	let manifest: ModelFile[];
	try {
		manifest = await fetchManifest();
	} catch (err) {
		const error = `无法读取模型清单 — ${describeError(err)}`;
		for (const name of MODEL_NAMES) models.set(name, { name, state: 'failed', error });
		publish();
		return;
	}
	files = SOURCE_FILES.map((s): FileStatus => {
		const m = manifest.find((f) => f.url === s.url);
		return m
			? { ...m, model: s.model, state: 'pending' }
			: {
					url: s.url,
					bytes: 0,
					sha256: '',
					source: { package: s.package, version: s.version, path: s.path },
					transform: s.transform,
					model: s.model,
					state: 'failed',
					error: '清单中没有此文件 — not in manifest'
				};
	});
	publish();

	await loadModel('mediapipe-runtime', async (bytes) => {
		const js = fileOf('mediapipe-runtime', '.js').url;
		// The loader is imported by URL (a blob: import would need blob: in script-src); the bytes
		// just checked are what the same URL answers from the cache.
		const mod = (await import(/* @vite-ignore */ js)) as {
			default: (module: object) => Promise<unknown>;
		};
		const wasm = await WebAssembly.compile(bytes.get(fileOf('mediapipe-runtime', '.wasm').url)!);
		runtime = { factory: mod.default, wasm };
	});

	await loadModel(
		'face-detector',
		async (bytes) => {
			detector = await FaceDetector.createFromOptions(mediapipeFileset(), {
				baseOptions: {
					modelAssetBuffer: bytes.get(fileOf('face-detector', '.tflite').url)!,
					delegate: 'CPU'
				},
				runningMode: 'IMAGE',
				minDetectionConfidence: 0.5
			});
		},
		['mediapipe-runtime']
	);

	await loadModel('tfjs-wasm', async (bytes) => {
		for (const [url, data] of bytes) verified.set(url, data);
		const h = new Human(humanConfig());
		await h.init();
		backend = h.tf.getBackend() ?? null;
		if (backend !== 'wasm') throw new Error(`tfjs backend is ${backend}, not wasm`);
		human = h;
	});

	for (const name of Object.keys(HUMAN_FLAGS) as (keyof typeof HUMAN_FLAGS)[]) {
		await loadModel(
			name,
			async (bytes) => {
				for (const [url, data] of bytes) verified.set(url, data);
				await human!.load({ face: HUMAN_FLAGS[name] } as Partial<Config>);
				const stats = human!.models
					.stats()
					.modelStats.find((m) => m.name === HUMAN_STATS_NAME[name]);
				if (!stats?.loaded) throw new Error(`human did not load ${HUMAN_STATS_NAME[name]}`);
			},
			name === 'human-blazeface' ? ['tfjs-wasm'] : ['tfjs-wasm', 'human-blazeface']
		);
	}

	// Pose and segmentation serve the hard-hat check and the monitor's person detection.
	await loadModel(
		'pose-landmarker',
		async (bytes) => {
			pose = await PoseLandmarker.createFromOptions(mediapipeFileset(), {
				baseOptions: {
					modelAssetBuffer: bytes.get(fileOf('pose-landmarker', '.task').url)!,
					delegate: 'CPU'
				},
				runningMode: 'IMAGE',
				numPoses: 4
			});
		},
		['mediapipe-runtime']
	);
	await loadModel(
		'selfie-segmenter',
		async (bytes) => {
			segmenter = await ImageSegmenter.createFromOptions(mediapipeFileset(), {
				baseOptions: {
					modelAssetBuffer: bytes.get(fileOf('selfie-segmenter', '.tflite').url)!,
					delegate: 'CPU'
				},
				runningMode: 'IMAGE',
				outputConfidenceMasks: true,
				outputCategoryMask: false
			});
		},
		['mediapipe-runtime']
	);

	// The runtimes hold what they need; keep the guard (never load an unchecked copy later).
	verified.clear();
	publish();
	await pruneCache(manifest);
}

/** Drops cached model files the manifest no longer lists (an upgrade's old versions). */
async function pruneCache(manifest: ModelFile[]): Promise<void> {
	try {
		const cache = await self.caches?.open(CACHE_NAME);
		if (!cache) return;
		const keep = new Set([MANIFEST_URL, ...manifest.map((f) => f.url)]);
		for (const request of await cache.keys()) {
			if (!keep.has(new URL(request.url).pathname)) await cache.delete(request);
		}
	} catch (err) {
		console.warn('vision worker: could not prune the model cache', err);
	}
}

const ready = (name: ModelName) => models.get(name)!.state === 'ready';

/** One canvas for reading frames' pixels, kept while the frame size stays the same. */
let scratch: OffscreenCanvasRenderingContext2D | null = null;

function framePixels(frame: ImageBitmap): ImageData {
	if (scratch?.canvas.width !== frame.width || scratch.canvas.height !== frame.height) {
		scratch = new OffscreenCanvas(frame.width, frame.height).getContext('2d', {
			willReadFrequently: true
		});
	}
	const ctx = scratch;
	if (!ctx) throw new Error('No 2D context in the worker');
	ctx.clearRect(0, 0, frame.width, frame.height);
	ctx.drawImage(frame, 0, 0);
	return ctx.getImageData(0, 0, frame.width, frame.height);
}

/** The selfie segmenter's person confidence for the frame (null when it is not loaded). */
function personMask(image: ImageData): PpeMask | null {
	if (!segmenter) return null;
	const result = segmenter.segment(image);
	try {
		const masks = result.confidenceMasks ?? [];
		// One mask (person) for the selfie model; with two, the second is the person.
		const m = masks[masks.length - 1];
		if (!m) return null;
		return { data: m.getAsFloat32Array().slice(), width: m.width, height: m.height };
	} finally {
		result.close();
	}
}

/** Pose landmarks with visibility above this count as seen. */
const VISIBLE = 0.5;

function boundsOf(points: Point[], width: number, height: number): Box {
	const x0 = Math.max(0, Math.min(...points.map((p) => p.x)));
	const y0 = Math.max(0, Math.min(...points.map((p) => p.y)));
	const x1 = Math.min(width, Math.max(...points.map((p) => p.x)));
	const y1 = Math.min(height, Math.max(...points.map((p) => p.y)));
	return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

/** 'people' mode: everyone the pose model finds, their feet, head and hard-hat reading. */
function people(image: ImageData, timings: FrameAnalysis['timings']): PersonObservation[] {
	if (!pose) throw new Error('姿态模型未就绪 — pose landmarker not ready');
	const { width, height } = image;
	const t0 = performance.now();
	const result = pose.detect(image);
	const poses = result.landmarks.map((lm) =>
		lm.map((l) => ({ x: l.x * width, y: l.y * height, v: l.visibility ?? 1 }))
	);
	result.close();
	const t1 = performance.now();
	timings.pose = t1 - t0;
	const inFrame = (p: Point) => p.x >= 0 && p.y >= 0 && p.x < width && p.y < height;
	const out: PersonObservation[] = poses.map((lm) => {
		const seen = lm.filter((p) => p.v > VISIBLE && inFrame(p));
		const body = seen.length >= 2 ? seen : lm;
		const box = boundsOf(body, width, height);
		const score = lm.reduce((s, p) => s + p.v, 0) / (lm.length || 1);
		// Ankles 27 and 28.
		const [la, ra] = [lm[27], lm[28]];
		const feetVisible =
			!!la && !!ra && la.v > VISIBLE && ra.v > VISIBLE && inFrame(la) && inFrame(ra);
		const feet = feetVisible
			? { x: (la.x + ra.x) / 2, y: (la.y + ra.y) / 2 }
			: { x: box.x + box.width / 2, y: box.y + box.height };
		// Face landmarks 0–10: nose, eyes (inner, centre, outer), ears, mouth.
		const face = lm.slice(0, 11).filter((p) => p.v > VISIBLE);
		const head = face.length >= 3 ? boundsOf(face, width, height) : null;
		let ppeHead: PpeHead | null = null;
		if (head) {
			const [le, re, lear, rear] = [lm[2]!, lm[5]!, lm[7]!, lm[8]!];
			const eyesSeen = le.v > VISIBLE && re.v > VISIBLE;
			// Face width ≈ 0.9 × ear to ear (the face detector's box is cheek to cheek); else the
			// landmarks' spread, at least 2.2 eye distances.
			const eyeGap = eyesSeen ? Math.hypot(re.x - le.x, re.y - le.y) : 0;
			const ears =
				lear.v > VISIBLE && rear.v > VISIBLE ? Math.hypot(rear.x - lear.x, rear.y - lear.y) : 0;
			const w = Math.max(ears * 0.9, head.width, eyeGap * 2.2);
			const cx = eyesSeen ? (le.x + re.x) / 2 : head.x + head.width / 2;
			ppeHead = {
				source: 'pose',
				box: { x: cx - w / 2, y: head.y - 0.3 * w, width: w, height: 1.25 * w },
				eyes: eyesSeen
					? [
							{ x: le.x, y: le.y },
							{ x: re.x, y: re.y }
						]
					: null
			};
		}
		return {
			box,
			score,
			feet,
			feetVisible,
			head,
			ppe: assessPpe(image.data, width, height, ppeHead, { model: ppeModel })
		};
	});
	timings.ppe = performance.now() - t1;
	return out.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
}

async function analyze(
	frame: ImageBitmap,
	mode: AnalysisMode,
	capturedAt: number,
	options: AnalysisOptions = {}
): Promise<FrameAnalysis> {
	const t0 = performance.now();
	if (mode === 'people') {
		const image = framePixels(frame);
		const timings: FrameAnalysis['timings'] = { detect: 0, total: 0 };
		const found = people(image, timings);
		timings.total = performance.now() - t0;
		const { width, height } = image;
		return { mode, width, height, faces: [], people: found, timings, capturedAt };
	}
	if (!detector) throw new Error('人脸检测模型未就绪 — face detector not ready');
	const image = framePixels(frame);
	const { width, height } = image;
	const found = detector.detect(image).detections;
	/** The detector's eye keypoints per face box (0: the person's right eye, 1: their left). */
	const eyesOf = new Map<Box, [Point, Point]>();
	let faces: FaceObservation[] = found
		.filter((d) => d.boundingBox)
		.map((d) => {
			const b = d.boundingBox!;
			const box = { x: b.originX, y: b.originY, width: b.width, height: b.height };
			const [e0, e1] = d.keypoints ?? [];
			if (e0 && e1) {
				eyesOf.set(box, [
					{ x: e0.x * width, y: e0.y * height },
					{ x: e1.x * width, y: e1.y * height }
				]);
			}
			return {
				box,
				score: d.categories[0]?.score ?? 0,
				yaw: null,
				pitch: null,
				roll: null,
				eyes: null,
				ppe: null,
				embedding: null,
				antispoof: null,
				liveness: null,
				...cropStats(image.data, width, height, box)
			};
		})
		.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
	const t1 = performance.now();
	const timings: FrameAnalysis['timings'] = { detect: t1 - t0, total: 0 };

	if (mode !== 'detect' && faces.length > 0) {
		if (!human || !ready('human-facemesh')) {
			throw new Error('人脸网格模型未就绪 — face mesh not ready');
		}
		const full = mode === 'full';
		const use = {
			description: full && ready('human-faceres'),
			antispoof: full && ready('human-antispoof'),
			liveness: full && ready('human-liveness')
		};
		// A tensor straight from the pixels: human's own input path would redraw them on a canvas.
		const tf = human.tf;
		const input = tf.tidy(() => tf.expandDims(tf.browser.fromPixels(image), 0));
		let result: Awaited<ReturnType<Human['detect']>>;
		try {
			result = await human.detect(input, {
				face: {
					mesh: { enabled: true },
					description: { enabled: use.description },
					antispoof: { enabled: use.antispoof },
					liveness: { enabled: use.liveness }
				}
			} as Partial<Config>);
		} finally {
			tf.dispose(input);
		}
		const t2 = performance.now();
		// human times each model after the mesh (for the last face when there are several); the
		// rest of its run (input, blazeface, mesh) counts as the mesh stage.
		const p = human.performance;
		const embedMs =
			(use.description ? (p.description ?? 0) : 0) +
			(use.antispoof ? (p.antispoof ?? 0) : 0) +
			(use.liveness ? (p.liveness ?? 0) : 0);
		timings.mesh = Math.max(0, t2 - t1 - embedMs);
		if (full) timings.embed = embedMs;
		const theirs: FaceResult[] = result.face;
		const match = matchBoxes(
			faces.map((f) => f.box),
			theirs.map((f) => ({ x: f.box[0], y: f.box[1], width: f.box[2], height: f.box[3] }))
		);
		faces = faces.map((face, i) => {
			const m = theirs[match[i]!];
			if (!m) return face;
			const angle = m.rotation?.angle;
			const left = m.mesh.length >= 468 ? eyeAspectRatio(m.mesh, 'left') : null;
			const right = m.mesh.length >= 468 ? eyeAspectRatio(m.mesh, 'right') : null;
			return {
				...face,
				// human's yaw is positive when the head turns to the image left; ours (types.ts) is
				// positive to the image right. Pitch > 0: chin down; roll > 0: the face's image-right
				// side higher (counter-clockwise in the picture) — human's conventions, kept.
				yaw: angle ? -degrees(angle.yaw) : null,
				pitch: angle ? degrees(angle.pitch) : null,
				roll: angle ? degrees(angle.roll) : null,
				eyes: left !== null && right !== null ? { left, right } : null,
				embedding:
					use.description && m.embedding && m.embedding.length > 0
						? l2normalise(m.embedding)
						: null,
				antispoof: use.antispoof ? (m.real ?? 0) : null,
				liveness: use.liveness ? (m.live ?? 0) : null
			};
		});
	}
	if (options.ppe && faces.length > 0) {
		const t3 = performance.now();
		const mask = personMask(image);
		const t4 = performance.now();
		timings.segment = t4 - t3;
		faces = faces.map((face) => ({
			...face,
			ppe: assessPpe(
				image.data,
				width,
				height,
				{ box: face.box, eyes: eyesOf.get(face.box) },
				{
					mask,
					model: ppeModel
				}
			)
		}));
		timings.ppe = performance.now() - t4;
	}
	timings.total = performance.now() - t0;
	return { mode, width, height, faces, timings, capturedAt };
}

self.onmessage = async (event: MessageEvent<WorkerRequest>) => {
	const req = event.data;
	try {
		if (req.type === 'load') {
			await load();
			post({ id: req.id, type: 'loaded' });
		} else if (req.type === 'analyze') {
			try {
				const analysis = await analyze(req.frame, req.mode, req.capturedAt, req.options);
				post({ id: req.id, type: 'result', analysis });
			} finally {
				req.frame.close();
			}
		} else if (req.type === 'ppe-model') {
			ppeModel = siteModelApplies(req.model) ? req.model : null;
			post({ id: req.id, type: 'ppe-model-set', model: ppeModel?.version ?? PPE_BUILTIN_MODEL });
		}
	} catch (err) {
		post({ id: req.id, type: 'error', message: describeError(err) });
	}
};

self.addEventListener('unhandledrejection', (event) => {
	event.preventDefault();
	console.warn('vision worker: unhandled rejection', event.reason);
});
