// The page's side of the vision worker: loads the models, sends frames, and skips a frame while
// the worker is still busy with the previous one (the camera never builds a queue).
import type {
	AnalysisMode,
	AnalysisOptions,
	FrameAnalysis,
	PpeSiteModel,
	VisionHealth
} from '../types';
import { MODEL_NAMES } from './files';
import type { FileStatus, WorkerMessage, WorkerRequest } from './protocol';

export type { FileStatus } from './protocol';

export interface VisionProgress {
	health: VisionHealth;
	files: FileStatus[];
}

const initialHealth = (): VisionHealth => ({
	models: MODEL_NAMES.map((name) => ({ name, state: 'pending' })),
	ready: false,
	backend: null
});

/** Grabs the video's current frame (null when it has none yet). */
export async function grabFrame(video: HTMLVideoElement): Promise<ImageBitmap | null> {
	if (video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA || video.videoWidth === 0) return null;
	return createImageBitmap(video);
}

export class VisionClient {
	private worker: Worker | null = null;
	private nextId = 1;
	private pending = new Map<
		number,
		{ resolve: (m: WorkerMessage) => void; reject: (e: Error) => void }
	>();
	private busy = false;
	private loading: Promise<VisionHealth> | null = null;
	private progress: ((p: VisionProgress) => void) | undefined;
	private state: VisionProgress = { health: initialHealth(), files: [] };

	/** Starts the worker and loads every model (once); resolves with the final health. */
	load(onProgress?: (p: VisionProgress) => void): Promise<VisionHealth> {
		this.progress = onProgress;
		this.loading ??= this.start();
		return this.loading;
	}

	private async start(): Promise<VisionHealth> {
		try {
			const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
			this.worker = worker;
			worker.onmessage = (e: MessageEvent<WorkerMessage>) => this.receive(e.data);
			worker.onerror = (e) => {
				e.preventDefault();
				this.failAll(`视觉线程出错 — worker error: ${e.message || 'failed to start'}`);
			};
			worker.onmessageerror = () => this.failAll('视觉线程消息无法解析 — message error');
			await this.request({ type: 'load' });
		} catch (err) {
			this.failAll(`视觉模型加载失败 — ${err instanceof Error ? err.message : String(err)}`);
		}
		return this.health();
	}

	/** Marks every model not yet ready as failed and ends pending requests. */
	private failAll(error: string): void {
		this.state = {
			...this.state,
			health: {
				...this.state.health,
				ready: false,
				models: this.state.health.models.map((m) =>
					m.state === 'ready' ? m : { ...m, state: 'failed', error }
				)
			}
		};
		this.progress?.(this.state);
		for (const p of this.pending.values()) p.reject(new Error(error));
		this.pending.clear();
	}

	private receive(message: WorkerMessage): void {
		if (message.type === 'status') {
			this.state = { health: message.health, files: message.files };
			this.progress?.(this.state);
			return;
		}
		const p = this.pending.get(message.id);
		if (!p) return;
		this.pending.delete(message.id);
		if (message.type === 'error') p.reject(new Error(message.message));
		else p.resolve(message);
	}

	private request(
		req: WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never,
		transfer: Transferable[] = []
	): Promise<WorkerMessage> {
		const worker = this.worker;
		if (!worker) return Promise.reject(new Error('视觉线程未启动 — worker not started'));
		const id = this.nextId++;
		return new Promise((resolve, reject) => {
			this.pending.set(id, { resolve, reject });
			worker.postMessage({ ...req, id } as WorkerRequest, transfer);
		});
	}

	health(): VisionHealth {
		return this.state.health;
	}

	files(): FileStatus[] {
		return this.state.files;
	}

	/**
	 * Analyses one frame (the bitmap is transferred, so it is unusable afterwards). Returns null at
	 * once, closing the bitmap, when the worker is still on the previous frame or not loaded.
	 * Rejects when the analysis itself fails (a model missing for the mode, a runtime error).
	 * `options.ppe` adds the hard-hat check to each face ('people' mode always runs it).
	 */
	async analyze(
		frame: ImageBitmap,
		mode: AnalysisMode,
		capturedAt = performance.now(),
		options: AnalysisOptions = {}
	): Promise<FrameAnalysis | null> {
		if (this.busy || !this.worker) {
			frame.close();
			return null;
		}
		this.busy = true;
		try {
			const reply = await this.request(
				{ type: 'analyze', frame, mode, capturedAt, options: { ...options } },
				[frame]
			);
			return reply.type === 'result' ? reply.analysis : null;
		} finally {
			this.busy = false;
		}
	}

	/**
	 * The site's hard-hat classifier for the frames analysed after this resolves (null: back to the
	 * built-in one). A model whose feature names are not this app's is ignored by the worker, which
	 * then keeps the built-in classifier; resolves with the model version in use.
	 */
	async setPpeModel(model: PpeSiteModel | null): Promise<string> {
		const reply = await this.request({ type: 'ppe-model', model });
		if (reply.type !== 'ppe-model-set') throw new Error('视觉线程未确认 — unexpected reply');
		return reply.model;
	}

	/** Whether a frame sent now would be analysed rather than skipped. */
	get idle(): boolean {
		return !this.busy && this.worker !== null;
	}

	dispose(): void {
		this.worker?.terminate();
		this.worker = null;
		for (const p of this.pending.values()) p.reject(new Error('视觉线程已关闭 — disposed'));
		this.pending.clear();
		this.busy = false;
	}
}
