// A reactive counter that moves whenever one of the given maps of the given documents changes, so
// a `$derived` that reads it recomputes live as documents sync (ratings, permits, incidents).
import type * as Y from 'yjs';

export class DocWatch {
	version = $state(0);
	#stops: (() => void)[] = [];

	constructor(targets: { doc: Y.Doc; maps: readonly string[] }[]) {
		for (const { doc, maps } of targets)
			for (const name of maps) {
				const map = doc.getMap(name);
				const bump = () => this.version++;
				map.observe(bump);
				this.#stops.push(() => map.unobserve(bump));
			}
	}

	destroy() {
		for (const stop of this.#stops) stop();
		this.#stops = [];
	}
}

/** 'YYYY-MM' of the month before `month`. */
export function previousMonth(month: string): string {
	const [y, m] = month.split('-').map(Number) as [number, number];
	return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}
