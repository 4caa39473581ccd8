// Where the scan engines' files live: copied by vite.config.ts from their npm packages into the
// build under /vendor/ and served by our own origin (never a CDN). One list for the build and the app.

/** Versions of the packages the files come from (vendor.test.ts checks them against node_modules). */
export const ZXING_WASM_VERSION = '3.1.4';
export const TESSERACT_VERSION = '7.0.0';
export const TESSERACT_CORE_VERSION = '7.0.0';
/** @tesseract.js-data/chi_sim: the integer "best" LSTM model, 1.7 MB gzipped. */
export const CHI_SIM_MODEL = '4.0.0_best_int';

const TESSERACT_DIR = `/vendor/tesseract-${TESSERACT_VERSION}`;

/** URL paths the browser asks for. */
export const VENDOR_URLS = {
	zxingReaderWasm: `/vendor/zxing-${ZXING_WASM_VERSION}/zxing_reader.wasm`,
	// The core loads its .wasm from the folder of the worker script, so they must sit together.
	tesseractWorker: `${TESSERACT_DIR}/worker.min.js`,
	tesseractCoreSimd: `${TESSERACT_DIR}/tesseract-core-simd-lstm.js`,
	tesseractCoreNoSimd: `${TESSERACT_DIR}/tesseract-core-lstm.js`,
	tesseractLangPath: `/vendor/tessdata-${CHI_SIM_MODEL}`
} as const;

export interface VendorFile {
	/** Path under node_modules. */
	from: string;
	/** URL path on our origin. */
	to: string;
	/**
	 * Precached by the service worker, so scanning works offline once the app has been opened.
	 * The non-SIMD core is only for old browsers (Safari before 16.4): cached when first used.
	 */
	precache: boolean;
}

export const VENDOR_FILES: readonly VendorFile[] = [
	{
		from: 'zxing-wasm/dist/reader/zxing_reader.wasm',
		to: VENDOR_URLS.zxingReaderWasm,
		precache: true
	},
	{ from: 'tesseract.js/dist/worker.min.js', to: VENDOR_URLS.tesseractWorker, precache: true },
	{
		from: 'tesseract.js-core/tesseract-core-simd-lstm.js',
		to: VENDOR_URLS.tesseractCoreSimd,
		precache: true
	},
	{
		from: 'tesseract.js-core/tesseract-core-simd-lstm.wasm',
		to: `${TESSERACT_DIR}/tesseract-core-simd-lstm.wasm`,
		precache: true
	},
	{
		from: 'tesseract.js-core/tesseract-core-lstm.js',
		to: VENDOR_URLS.tesseractCoreNoSimd,
		precache: false
	},
	{
		from: 'tesseract.js-core/tesseract-core-lstm.wasm',
		to: `${TESSERACT_DIR}/tesseract-core-lstm.wasm`,
		precache: false
	},
	{
		from: `@tesseract.js-data/chi_sim/${CHI_SIM_MODEL}/chi_sim.traineddata.gz`,
		to: `${VENDOR_URLS.tesseractLangPath}/chi_sim.traineddata.gz`,
		precache: true
	}
];
