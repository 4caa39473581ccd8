// Messages between the vision worker and its client (plain data, structured-cloned; frames are
// transferred ImageBitmaps).
import type {
	AnalysisMode,
	AnalysisOptions,
	FrameAnalysis,
	ModelFile,
	PpeSiteModel,
	VisionHealth
} from '../types';
import type { ModelName } from './files';

/** One manifest file as the worker checked it. */
export interface FileStatus extends ModelFile {
	model: ModelName;
	state: 'pending' | 'ok' | 'failed';
	/** Fetch plus SHA-256 check, ms. */
	fetchMs?: number;
	error?: string;
}

export type WorkerRequest =
	| { id: number; type: 'load' }
	| {
			id: number;
			type: 'analyze';
			frame: ImageBitmap;
			mode: AnalysisMode;
			capturedAt: number;
			options: AnalysisOptions;
	  }
	/** The site's hard-hat model for later frames (null: the built-in classifier). */
	| { id: number; type: 'ppe-model'; model: PpeSiteModel | null };

export type WorkerMessage =
	/** Sent whenever a model's or a file's state changes. */
	| { type: 'status'; health: VisionHealth; files: FileStatus[] }
	| { id: number; type: 'loaded' }
	| { id: number; type: 'ppe-model-set'; model: string }
	| { id: number; type: 'result'; analysis: FrameAnalysis }
	| { id: number; type: 'error'; message: string };
