// The verification index as a live read model for screens: rebuilt (at most once per frame) when
// the registry's answers or checks change in any of the control documents this device holds.
import type * as Y from 'yjs';
import { verificationIndexOf, type VerificationIndex } from './verification';

export class LiveVerifications {
	index = $state.raw<VerificationIndex>(verificationIndexOf([]));
	#docs: Y.Doc[] = [];
	#stops: (() => void)[] = [];
	#scheduled = false;

	constructor(docs: Y.Doc[] = []) {
		this.setDocs(docs);
	}

	setDocs(docs: Y.Doc[]) {
		for (const stop of this.#stops.splice(0)) stop();
		this.#docs = docs;
		for (const doc of docs) {
			for (const name of ['verifications', 'checks']) {
				const map = doc.getMap(name);
				const observer = () => this.#schedule();
				map.observe(observer);
				this.#stops.push(() => map.unobserve(observer));
			}
		}
		this.index = verificationIndexOf(docs);
	}

	#schedule() {
		if (this.#scheduled) return;
		this.#scheduled = true;
		const run = () => {
			this.#scheduled = false;
			this.index = verificationIndexOf(this.#docs);
		};
		if (typeof requestAnimationFrame === 'function') requestAnimationFrame(run);
		else setTimeout(run, 0);
	}

	destroy() {
		for (const stop of this.#stops.splice(0)) stop();
	}
}
