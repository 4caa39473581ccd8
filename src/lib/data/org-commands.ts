// Commands on the org directory (admin): sites and contractors and where contractors work.
import type * as Y from 'yjs';
import { putRecord, type Actor } from './commands';
import { Contractor, Site, SITE_KINDS } from './org';
import { readRecord } from './records';
import { ID_PATTERN } from './documents';

export interface NewSite {
	id: string;
	name: string;
	kind: (typeof SITE_KINDS)[number];
	timeZone?: string;
	address?: string;
}

export function createSite(doc: Y.Doc, actor: Actor, input: NewSite, now = new Date()): Site {
	if (doc.getMap('sites').has(input.id)) throw new DuplicateError('site', input.id);
	return putRecord(doc, 'org', actor, 'sites', input.id, Site, {
		schema: 1,
		id: input.id,
		name: input.name.trim(),
		kind: input.kind,
		timeZone: input.timeZone ?? 'Asia/Shanghai',
		...(input.address ? { address: input.address.trim() } : {}),
		createdAt: now.toISOString()
	});
}

export interface NewContractor {
	id: string;
	name: string;
	creditCode?: string;
	contactName?: string;
	contactPhone?: string;
	sites: string[];
}

export function createContractor(
	doc: Y.Doc,
	actor: Actor,
	input: NewContractor,
	now = new Date()
): Contractor {
	if (doc.getMap('contractors').has(input.id)) throw new DuplicateError('contractor', input.id);
	return putRecord(doc, 'org', actor, 'contractors', input.id, Contractor, {
		schema: 1,
		id: input.id,
		name: input.name.trim(),
		...(input.creditCode ? { creditCode: input.creditCode.trim().toUpperCase() } : {}),
		...(input.contactName ? { contactName: input.contactName.trim() } : {}),
		...(input.contactPhone ? { contactPhone: input.contactPhone.trim() } : {}),
		sites: [...new Set(input.sites)],
		createdAt: now.toISOString()
	});
}

/** Where a contractor works; this decides which sites' staff and gates read its workers. */
export function setContractorSites(
	doc: Y.Doc,
	actor: Actor,
	contractorId: string,
	sites: string[]
) {
	const current = readRecord(Contractor, doc.getMap('contractors').get(contractorId));
	if (!current.ok) throw new Error(`unknown contractor ${contractorId}`);
	return putRecord(doc, 'org', actor, 'contractors', contractorId, Contractor, {
		...current.record,
		sites: [...new Set(sites)]
	});
}

/** A readable, unique id from a name, for forms that do not ask for one. */
export function newId(prefix: string): string {
	const random = crypto.getRandomValues(new Uint8Array(6));
	const id =
		prefix +
		Array.from(random, (b) => b.toString(36).padStart(2, '0'))
			.join('')
			.slice(0, 8);
	if (!ID_PATTERN.test(id)) throw new Error('bad id prefix');
	return id;
}

export class DuplicateError extends Error {
	readonly code = 'DUPLICATE';
	constructor(
		readonly what: string,
		readonly id: string
	) {
		super(`${what} ${id} already exists`);
	}
}
