// The ledger as a live read model. The first build reads everything; after that only the
// workers whose records changed are re-read (a remote edit costs one row, not 20,000), at most
// once per animation frame. Duplicate flags follow a running count of identity numbers.
import type * as Y from 'yjs';
import { CertificateRecord, Worker } from './contractor';
import { barredNumbersOf, judgedCertificate, ledgerRow, type LedgerRow } from './ledger';
import { readRecord } from './records';
import { verificationIndexOf, type VerificationIndex } from './verification';

export interface LedgerDoc {
	contractorId: string;
	contractorName: string;
	doc: Y.Doc;
}

interface ContractorIndex {
	source: LedgerDoc;
	/** certificate id → worker id, to find whose row a removed certificate belonged to. */
	certWorker: Map<string, string>;
	/** worker id → its certificate ids. */
	workerCerts: Map<string, Set<string>>;
}

export class LiveLedger {
	rows = $state.raw<LedgerRow[]>([]);
	/** Milliseconds the last (re)build took. */
	buildMs = $state(0);
	#indexes = new Map<string, ContractorIndex>();
	#rows = new Map<string, LedgerRow>();
	#docCount = new Map<string, number>();
	#barred = new Set<string>();
	#blacklist: Y.Doc | null;
	#controls: Y.Doc[] = [];
	#verifications: VerificationIndex = verificationIndexOf([]);
	#indexStale = false;
	#dirty = new Set<string>();
	#fullRebuild = false;
	#scheduled = false;
	#unobserve: (() => void)[] = [];

	constructor(docs: LedgerDoc[], blacklist: Y.Doc | null, controls: Y.Doc[] = []) {
		this.#blacklist = blacklist;
		this.setDocs(docs, controls);
	}

	/**
	 * The set of contractor documents (or of site control documents, which hold the registry's
	 * answers) changed: build afresh.
	 */
	setDocs(docs: LedgerDoc[], controls: Y.Doc[] = this.#controls) {
		for (const stop of this.#unobserve.splice(0)) stop();
		this.#controls = controls;
		for (const control of controls) {
			for (const map of ['verifications', 'checks']) {
				this.#watch(control.getMap(map), (keys) => {
					this.#indexStale = true;
					for (const k of keys) {
						const value = control.getMap(map).get(k) as
							{ contractorId?: unknown; workerId?: unknown; certificateId?: unknown } | undefined;
						const c = String(value?.contractorId ?? '');
						const w =
							typeof value?.workerId === 'string'
								? value.workerId
								: this.#indexes.get(c)?.certWorker.get(String(value?.certificateId ?? ''));
						if (w) this.#dirty.add(`${c}/${w}`);
					}
				});
			}
		}
		this.#indexes = new Map(
			docs.map((d) => [
				d.contractorId,
				{ source: d, certWorker: new Map(), workerCerts: new Map() }
			])
		);
		for (const d of docs) {
			this.#watch(d.doc.getMap('workers'), (keys) => {
				for (const k of keys) this.#dirty.add(`${d.contractorId}/${k}`);
			});
			this.#watch(d.doc.getMap('certificates'), (keys) => {
				const index = this.#indexes.get(d.contractorId)!;
				for (const certId of keys) {
					const before = index.certWorker.get(certId);
					const now = readRecord(CertificateRecord, d.doc.getMap('certificates').get(certId));
					if (before) {
						index.workerCerts.get(before)?.delete(certId);
						this.#dirty.add(`${d.contractorId}/${before}`);
					}
					if (now.ok) {
						index.certWorker.set(certId, now.record.workerId);
						this.#certsOf(index, now.record.workerId).add(certId);
						this.#dirty.add(`${d.contractorId}/${now.record.workerId}`);
					} else index.certWorker.delete(certId);
				}
			});
		}
		if (this.#blacklist) {
			this.#watch(this.#blacklist.getMap('entries'), () => {
				this.#fullRebuild = true;
			});
		}
		this.#rebuildAll();
	}

	#certsOf(index: ContractorIndex, workerId: string): Set<string> {
		let set = index.workerCerts.get(workerId);
		if (!set) index.workerCerts.set(workerId, (set = new Set()));
		return set;
	}

	#watch(map: Y.Map<unknown>, onKeys: (keys: Set<string>) => void) {
		const observer = (event: Y.YMapEvent<unknown>) => {
			onKeys(event.keysChanged);
			this.#schedule();
		};
		map.observe(observer);
		this.#unobserve.push(() => map.unobserve(observer));
	}

	#schedule() {
		if (this.#scheduled) return;
		this.#scheduled = true;
		const run = () => {
			this.#scheduled = false;
			if (this.#fullRebuild) this.#rebuildAll();
			else this.#applyDirty();
		};
		if (typeof requestAnimationFrame === 'function') requestAnimationFrame(run);
		else setTimeout(run, 0);
	}

	#count(docNumber: string, delta: number) {
		const n = (this.#docCount.get(docNumber) ?? 0) + delta;
		if (n > 0) this.#docCount.set(docNumber, n);
		else this.#docCount.delete(docNumber);
	}

	#readRow(index: ContractorIndex, workerId: string, at: Date): LedgerRow | null {
		const worker = readRecord(Worker, index.source.doc.getMap('workers').get(workerId));
		if (!worker.ok) return null;
		const certs = index.source.doc.getMap('certificates');
		const certificates = [...(index.workerCerts.get(workerId) ?? [])].flatMap((id) => {
			const read = readRecord(CertificateRecord, certs.get(id));
			return read.ok
				? [judgedCertificate(read.record, worker.record, this.#verifications, at)]
				: [];
		});
		return ledgerRow(
			index.source,
			worker.record,
			certificates,
			this.#barred.has(worker.record.docNumber)
		);
	}

	#rebuildAll() {
		const started = performance.now();
		this.#fullRebuild = false;
		this.#dirty.clear();
		this.#verifications = verificationIndexOf(this.#controls);
		this.#indexStale = false;
		this.#barred = this.#blacklist
			? barredNumbersOf(this.#blacklist.getMap('entries').values())
			: new Set();
		this.#rows.clear();
		this.#docCount.clear();
		const at = new Date();
		for (const index of this.#indexes.values()) {
			index.certWorker.clear();
			index.workerCerts.clear();
			for (const [certId, raw] of index.source.doc.getMap('certificates').entries()) {
				const read = readRecord(CertificateRecord, raw);
				if (!read.ok) continue;
				index.certWorker.set(certId, read.record.workerId);
				this.#certsOf(index, read.record.workerId).add(certId);
			}
			for (const workerId of index.source.doc.getMap('workers').keys()) {
				const row = this.#readRow(index, workerId, at);
				if (!row) continue;
				this.#rows.set(row.key, row);
				this.#count(row.worker.docNumber, 1);
			}
		}
		this.#publish(null);
		this.buildMs = performance.now() - started;
	}

	#applyDirty() {
		const started = performance.now();
		if (this.#indexStale) {
			this.#verifications = verificationIndexOf(this.#controls);
			this.#indexStale = false;
		}
		const at = new Date();
		const touched = new Set<string>();
		for (const key of this.#dirty) {
			const [contractorId, workerId] = key.split('/') as [string, string];
			const index = this.#indexes.get(contractorId);
			const old = this.#rows.get(key);
			if (old) {
				this.#count(old.worker.docNumber, -1);
				touched.add(old.worker.docNumber);
			}
			const row = index ? this.#readRow(index, workerId, at) : null;
			if (row) {
				this.#rows.set(key, row);
				this.#count(row.worker.docNumber, 1);
				touched.add(row.worker.docNumber);
			} else this.#rows.delete(key);
		}
		this.#dirty.clear();
		this.#publish(touched);
		this.buildMs = performance.now() - started;
	}

	/** New array; rows whose duplicate flag changed become new objects so the list re-renders them. */
	#publish(touchedNumbers: Set<string> | null) {
		for (const [key, row] of this.#rows) {
			if (touchedNumbers && !touchedNumbers.has(row.worker.docNumber)) continue;
			const duplicate = (this.#docCount.get(row.worker.docNumber) ?? 0) > 1;
			if (row.duplicate !== duplicate) this.#rows.set(key, { ...row, duplicate });
		}
		this.rows = [...this.#rows.values()];
	}

	destroy() {
		for (const stop of this.#unobserve.splice(0)) stop();
	}
}
