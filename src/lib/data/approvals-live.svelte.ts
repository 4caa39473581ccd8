// The approval state of every entry application this device holds, as a live read model for the
// review and application screens: recomputed (at most once per frame) when decisions, the chain
// setting, applications or signing keys change. Signature checks are cached across recomputes.
import type * as Y from 'yjs';
import { siteApprovals, type ApplicationApprovals, type Forgery } from './approvals';
import { keyBindings, type KeyBinding } from './signing';

export interface ApprovalSources {
	org: Y.Doc;
	/** `site:<S>:control` documents held, with their site. */
	controls: { siteId: string; doc: Y.Doc }[];
	/** `contractor:<C>` documents held. */
	contractors: Y.Doc[];
}

export class LiveApprovals {
	/** Every application of every site held, with each worker's way through the chain. */
	items = $state.raw<ApplicationApprovals[]>([]);
	/** Signing keys as `org.keys` binds them now. */
	keys = $state.raw<Map<string, KeyBinding>>(new Map());
	#sources: ApprovalSources | null = null;
	#cache = new Map<string, true | Forgery>();
	#stops: (() => void)[] = [];
	#scheduled = false;

	constructor(sources?: ApprovalSources) {
		if (sources) this.set(sources);
	}

	set(sources: ApprovalSources) {
		for (const stop of this.#stops.splice(0)) stop();
		this.#sources = sources;
		const watch = (map: Y.Map<unknown>) => {
			const observer = () => this.#schedule();
			map.observe(observer);
			this.#stops.push(() => map.unobserve(observer));
		};
		watch(sources.org.getMap('keys'));
		for (const { doc } of sources.controls) {
			watch(doc.getMap('decisions'));
			watch(doc.getMap('settings'));
		}
		for (const doc of sources.contractors) watch(doc.getMap('applications'));
		this.#compute();
	}

	#compute() {
		const s = this.#sources;
		if (!s) return;
		const keys = keyBindings(s.org.getMap('keys'));
		this.keys = keys;
		this.items = s.controls.flatMap(({ siteId, doc }) =>
			siteApprovals(siteId, doc, s.contractors, keys, this.#cache)
		);
	}

	#schedule() {
		if (this.#scheduled) return;
		this.#scheduled = true;
		const run = () => {
			this.#scheduled = false;
			this.#compute();
		};
		if (typeof requestAnimationFrame === 'function') requestAnimationFrame(run);
		else setTimeout(run, 0);
	}

	destroy() {
		for (const stop of this.#stops.splice(0)) stop();
	}
}
