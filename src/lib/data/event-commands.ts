// Appending to a site's monthly events document. Keys are ULIDs: unique across devices with no
// coordination and sortable by time, so offline logs merge in order.
import type * as Y from 'yjs';
import { monotonicFactory } from 'ulid';
import { putRecord, type Actor } from './commands';
import { eventsDoc, monthOf } from './documents';
import { AttendanceEvent } from './events';
import { checkRecord } from './records';

const nextUlid = monotonicFactory();

export function newUlid(at = Date.now()): string {
	return nextUlid(at);
}

export type NewAttendance = Omit<AttendanceEvent, 'schema' | 'id'>;

/** The events document an event at `at` belongs to. */
export function eventsDocFor(siteId: string, at: Date, timeZone = 'Asia/Shanghai'): string {
	return eventsDoc(siteId, monthOf(at, timeZone));
}

export function appendAttendance(
	doc: Y.Doc,
	docName: string,
	actor: Actor,
	event: NewAttendance
): AttendanceEvent {
	const id = newUlid(Date.parse(event.at));
	return putRecord(doc, docName, actor, 'attendance', id, AttendanceEvent, {
		...event,
		schema: 1,
		id
	});
}

/** An attendance record with its id, validated, not yet written anywhere (the gate journals it first). */
export function buildAttendance(event: NewAttendance): AttendanceEvent {
	return checkRecord(AttendanceEvent, {
		...event,
		schema: 1,
		id: newUlid(Date.parse(event.at))
	});
}

/** Writes a built attendance record (again, harmlessly: the same id holds the same value). */
export function putAttendance(
	doc: Y.Doc,
	docName: string,
	actor: Actor,
	event: AttendanceEvent
): void {
	if (doc.getMap('attendance').has(event.id)) return;
	putRecord(doc, docName, actor, 'attendance', event.id, AttendanceEvent, event);
}
