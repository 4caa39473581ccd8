// Files packed by emscripten's file packager (`--preload-file`): the legacy MediaPipe solutions
// keep some models only inside such a `.data` file, whose loader script lists each file's byte
// range in a `loadPackage({...})` call.

export interface PackedFile {
	/** Path inside the emscripten file system, e.g. /third_party/.../pose_detection.tflite. */
	filename: string;
	start: number;
	end: number;
}

export interface PackageListing {
	/** The .data file the loader fetches (relative to the loader). */
	dataFile: string;
	files: PackedFile[];
	size: number;
}

/** Reads the listing out of a file packager loader script. */
export function readPackageListing(loaderJs: string): PackageListing {
	const base = /REMOTE_PACKAGE_BASE\s*=\s*['"]([^'"]+)['"]/.exec(loaderJs);
	if (!base) throw new Error('No REMOTE_PACKAGE_BASE in the loader');
	const call = loaderJs.indexOf('loadPackage({');
	if (call < 0) throw new Error('No loadPackage({...}) in the loader');
	const json = balancedObject(loaderJs, call + 'loadPackage('.length);
	const meta = JSON.parse(json) as {
		files?: { filename: string; start: number; end: number }[];
		remote_package_size?: number;
		package_uuid?: string;
	};
	if (!Array.isArray(meta.files)) throw new Error('Loader metadata has no files');
	// Compressed packages (LZ4) list compressed ranges; this reader only handles plain ones.
	if (/\blz4\b/i.test(json)) throw new Error('LZ4-compressed packages are not supported');
	const files = meta.files.map(({ filename, start, end }) => {
		if (typeof filename !== 'string' || !Number.isInteger(start) || !Number.isInteger(end)) {
			throw new Error('Malformed file entry in loader metadata');
		}
		if (start < 0 || end < start) throw new Error(`Bad range for ${filename}`);
		return { filename, start, end };
	});
	return { dataFile: base[1]!, files, size: meta.remote_package_size ?? 0 };
}

/** The JSON object starting at `from` (which must be '{'), respecting strings. */
function balancedObject(text: string, from: number): string {
	if (text[from] !== '{') throw new Error('Expected an object');
	let depth = 0;
	let inString: string | null = null;
	for (let i = from; i < text.length; i++) {
		const c = text[i]!;
		if (inString) {
			if (c === '\\') i++;
			else if (c === inString) inString = null;
			continue;
		}
		if (c === '"' || c === "'") inString = c;
		else if (c === '{') depth++;
		else if (c === '}' && --depth === 0) return text.slice(from, i + 1);
	}
	throw new Error('Unterminated object');
}

/** The bytes of one packed file, found by the end of its path (e.g. '/pose_detection.tflite'). */
export function extractPacked(
	listing: PackageListing,
	data: Uint8Array,
	pathSuffix: string
): Uint8Array {
	const matches = listing.files.filter((f) => f.filename.endsWith(pathSuffix));
	if (matches.length !== 1) {
		throw new Error(`Expected one packed file ending in ${pathSuffix}, found ${matches.length}`);
	}
	const f = matches[0]!;
	if (listing.size && data.length !== listing.size) {
		throw new Error(`Package is ${data.length} bytes, its loader says ${listing.size}`);
	}
	if (f.end > data.length) throw new Error(`${f.filename} runs past the end of the package`);
	return data.slice(f.start, f.end);
}
