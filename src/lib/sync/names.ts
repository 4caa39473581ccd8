// Names for ids, from whatever this device holds (a worker's name lives in its contractor's
// document, which only some roles read; otherwise the id is shown).
import { contractorDoc } from '$lib/data/documents';
import { Worker } from '$lib/data/contractor';
import { readRecord } from '$lib/data/records';
import { sync } from './sync.svelte';

export function workerName(ref: { contractorId: string; workerId: string }): string {
	if (!sync.has(contractorDoc(ref.contractorId))) return ref.workerId;
	const read = readRecord(
		Worker,
		sync.doc(contractorDoc(ref.contractorId)).getMap('workers').get(ref.workerId)
	);
	return read.ok ? read.record.name : ref.workerId;
}
