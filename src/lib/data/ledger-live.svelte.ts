// The ledger as a live read model: rebuilt (once per animation frame at most) whenever a
// contractor document or the blacklist the device holds changes.
import type * as Y from 'yjs';
import { ledgerFromDocs, type LedgerRow } from './ledger';

export interface LedgerDoc {
	contractorId: string;
	contractorName: string;
	doc: Y.Doc;
}

export class LiveLedger {
	rows = $state.raw<LedgerRow[]>([]);
	/** Milliseconds the last rebuild took (shown to staff on large sites; measured in bench/). */
	buildMs = $state(0);
	#docs: LedgerDoc[] = [];
	#blacklist: Y.Doc | null;
	#scheduled = false;
	#unobserve: (() => void)[] = [];

	constructor(docs: LedgerDoc[], blacklist: Y.Doc | null) {
		this.#blacklist = blacklist;
		this.setDocs(docs);
		if (blacklist) this.#watch(blacklist, ['entries']);
	}

	/** The set of contractor documents changed (a contractor added or moved). */
	setDocs(docs: LedgerDoc[]) {
		for (const stop of this.#unobserve.splice(0)) stop();
		this.#docs = docs;
		for (const d of docs) this.#watch(d.doc, ['workers', 'certificates']);
		if (this.#blacklist) this.#watch(this.#blacklist, ['entries']);
		this.#rebuild();
	}

	#watch(doc: Y.Doc, maps: string[]) {
		for (const name of maps) {
			const map = doc.getMap(name);
			const onChange = () => this.#schedule();
			map.observe(onChange);
			this.#unobserve.push(() => map.unobserve(onChange));
		}
	}

	#schedule() {
		if (this.#scheduled) return;
		this.#scheduled = true;
		const run = () => {
			this.#scheduled = false;
			this.#rebuild();
		};
		if (typeof requestAnimationFrame === 'function') requestAnimationFrame(run);
		else setTimeout(run, 0);
	}

	#rebuild() {
		const started = performance.now();
		// eslint-disable-next-line svelte/prefer-svelte-reactivity -- statuses as of this rebuild
		this.rows = ledgerFromDocs(this.#docs, this.#blacklist, new Date());
		this.buildMs = performance.now() - started;
	}

	destroy() {
		for (const stop of this.#unobserve.splice(0)) stop();
	}
}
