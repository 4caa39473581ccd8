// Webhooks (issue 9): the relay tells an integration what happened at a site — gate decisions,
// alerts, permit changes — by POSTing JSON to the URLs it registered. Receivers and their secrets
// live in the relay's SQLite, never in a Yjs document (the secret must not reach devices). Every
// delivery is a row of an outbox written in the same synchronous step as the commit that caused
// it (unique per receiver and event, so a resync or replay never enqueues twice), sent with an
// HMAC signature, retried with exponential backoff and jitter until the receiver answers 2xx —
// its acknowledgement, after which the row is never sent again — and resumed after a restart.
import { createHmac, randomBytes } from 'node:crypto';
import { parseDocName } from '../../src/lib/data/documents';
import { Alert, AttendanceEvent } from '../../src/lib/data/events';
import { permitClashes, siteZones, sitePermits, type PermitView } from '../../src/lib/data/permits';
import { Site } from '../../src/lib/data/org';
import { readRecord } from '../../src/lib/data/records';
import { newUlid } from '../../src/lib/data/event-commands';
import type { Relay } from '../relay';
import { changedKeys } from '../update-keys';

const PERMIT_MAPS = ['permits', 'permitActions', 'permitReadings', 'decisions', 'settings'];

export const WEBHOOK_EVENTS = ['entry.decision', 'alert.raised', 'permit.changed'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface OutboxOptions {
	/** Clock (ms); tests move it by hand. */
	now?: () => number;
	/** Jitter source in [0, 1); tests fix it. */
	random?: () => number;
	/** Send due deliveries on a timer (default true; tests call `tick()` themselves). */
	autoStart?: boolean;
	/** First retry after about this long, doubling each time up to `maxDelayMs`. */
	baseDelayMs?: number;
	maxDelayMs?: number;
	/** Attempts before a delivery is given up (kept, status 'failed'). */
	maxAttempts?: number;
	/** Per request. */
	timeoutMs?: number;
	/** Deliveries in flight at once. */
	concurrency?: number;
	fetch?: typeof fetch;
	log?: (line: string) => void;
}

export interface Receiver {
	id: string;
	url: string;
	site: string;
	events: WebhookEvent[];
	createdAt: string;
	createdBy: string;
}

export interface DeliveryRow {
	id: string;
	webhook: string;
	event: WebhookEvent;
	eventKey: string;
	site: string;
	status: 'pending' | 'delivered' | 'failed' | 'cancelled';
	attempts: number;
	nextAt: string | null;
	lastError: string | null;
	lastStatus: number | null;
	createdAt: string;
	deliveredAt: string | null;
}

/** What a receiver gets (the body; `x-sitepass-signature` signs exactly these bytes). */
export interface WebhookPayload {
	id: string;
	event: WebhookEvent;
	site: string;
	at: string;
	data: Record<string, unknown>;
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
	const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
	return `t=${unixSeconds},v1=${mac}`;
}

/** A receiver's URL: http(s), no credentials in it, at most 2048 characters. */
export function urlProblem(url: string): string | null {
	if (url.length > 2048) return 'url: at most 2048 characters';
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		return 'url: not a URL';
	}
	if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'url: http or https only';
	if (parsed.username || parsed.password) return 'url: no credentials in the URL';
	return null;
}

const DEFAULTS = {
	baseDelayMs: 2_000,
	maxDelayMs: 3_600_000,
	maxAttempts: 20,
	timeoutMs: 10_000,
	concurrency: 4
};

interface Candidate {
	event: WebhookEvent;
	key: string;
	/** When it happened (ISO): receivers registered later do not get it. */
	at: string;
	data: Record<string, unknown>;
}

interface DocSeen {
	/** Per permit, the state last enqueued (record, actions and decisions about it). */
	permits: Map<string, string>;
	sizes: string;
}

export class Outbox {
	private readonly now: () => number;
	private readonly random: () => number;
	private readonly opts: Required<
		Pick<OutboxOptions, 'baseDelayMs' | 'maxDelayMs' | 'maxAttempts' | 'timeoutMs' | 'concurrency'>
	>;
	private readonly seen = new Map<string, DocSeen>();
	private readonly inFlight = new Set<string>();
	private readonly unlisten: () => void;
	private timer: NodeJS.Timeout | null = null;
	private running = false;
	private stopped = false;
	private ticking: Promise<number> | null = null;

	constructor(
		private readonly relay: Relay,
		private readonly options: OutboxOptions = {}
	) {
		this.now = options.now ?? Date.now;
		this.random = options.random ?? Math.random;
		this.opts = { ...DEFAULTS, ...stripUndefined(options) };
		relay.storage.db.exec(`
			CREATE TABLE IF NOT EXISTS webhooks (
				id TEXT PRIMARY KEY, url TEXT NOT NULL, site TEXT NOT NULL, events TEXT NOT NULL,
				secret TEXT NOT NULL, created_at INTEGER NOT NULL, created_by TEXT NOT NULL,
				deleted_at INTEGER);
			CREATE TABLE IF NOT EXISTS webhook_deliveries (
				id TEXT PRIMARY KEY, webhook TEXT NOT NULL, event TEXT NOT NULL, event_key TEXT NOT NULL,
				site TEXT NOT NULL, payload TEXT NOT NULL, created_at INTEGER NOT NULL,
				status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER,
				last_error TEXT, last_status INTEGER, delivered_at INTEGER,
				UNIQUE (webhook, event_key));
			CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (status, next_at);
		`);
		this.unlisten = relay.onCommit((name, _byRelay, update) => {
			try {
				this.enqueueFrom(name, update);
			} catch (err) {
				this.log(`webhooks: enqueueing from ${name} failed: ${String(err)}`);
			}
		});
	}

	private log(line: string): void {
		this.options.log?.(line);
	}

	// -------------------------------------------------------------------------------------------
	// Receivers

	create(input: { url: string; site: string; events: WebhookEvent[]; by: string }): {
		receiver: Receiver;
		secret: string;
	} {
		const id = `wh_${randomBytes(9).toString('base64url')}`;
		const secret = `whsec_${randomBytes(32).toString('base64url')}`;
		const createdAt = this.now();
		this.relay.storage.db
			.prepare(
				'INSERT INTO webhooks (id, url, site, events, secret, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)'
			)
			.run(id, input.url, input.site, JSON.stringify(input.events), secret, createdAt, input.by);
		return {
			receiver: {
				id,
				url: input.url,
				site: input.site,
				events: input.events,
				createdAt: new Date(createdAt).toISOString(),
				createdBy: input.by
			},
			secret
		};
	}

	/** Receivers (without secrets), of the given sites or all. */
	list(sites?: readonly string[]): Receiver[] {
		const rows = this.relay.storage.db
			.prepare('SELECT * FROM webhooks WHERE deleted_at IS NULL ORDER BY created_at, id')
			.all() as WebhookRow[];
		return rows.filter((r) => !sites || sites.includes(r.site)).map(receiverOf);
	}

	get(id: string): Receiver | null {
		const row = this.relay.storage.db
			.prepare('SELECT * FROM webhooks WHERE id = ? AND deleted_at IS NULL')
			.get(id) as WebhookRow | undefined;
		return row ? receiverOf(row) : null;
	}

	/** Removes a receiver; its undelivered rows are cancelled (kept, never sent). */
	remove(id: string): boolean {
		const db = this.relay.storage.db;
		return db.transaction(() => {
			const changed = db
				.prepare('UPDATE webhooks SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL')
				.run(this.now(), id).changes;
			db.prepare(
				"UPDATE webhook_deliveries SET status = 'cancelled', next_at = NULL WHERE webhook = ? AND status = 'pending'"
			).run(id);
			return changed > 0;
		})();
	}

	deliveries(webhook: string, limit = 100): DeliveryRow[] {
		const rows = this.relay.storage.db
			.prepare(
				'SELECT * FROM webhook_deliveries WHERE webhook = ? ORDER BY created_at DESC, id DESC LIMIT ?'
			)
			.all(webhook, limit) as DeliveryDbRow[];
		return rows.map(deliveryOf);
	}

	// -------------------------------------------------------------------------------------------
	// Enqueueing: synchronously in the relay's commit, so a stored change and its deliveries are
	// both in SQLite before the relay does anything else.

	private receiversOf(site: string): (WebhookRow & { eventList: WebhookEvent[] })[] {
		const rows = this.relay.storage.db
			.prepare('SELECT * FROM webhooks WHERE site = ? AND deleted_at IS NULL')
			.all(site) as WebhookRow[];
		return rows.map((r) => ({ ...r, eventList: JSON.parse(r.events) as WebhookEvent[] }));
	}

	private enqueueFrom(name: string, update: Uint8Array): void {
		const ref = parseDocName(name);
		if (ref?.kind !== 'events' && ref?.kind !== 'control') return;
		const receivers = this.receiversOf(ref.siteId);
		if (receivers.length === 0) return;
		const wanted = new Set(receivers.flatMap((r) => r.eventList));
		const candidates =
			ref.kind === 'events'
				? this.eventsCandidates(name, ref.siteId, wanted, update)
				: wanted.has('permit.changed')
					? this.permitCandidates(name, ref.siteId, update)
					: [];
		if (candidates.length === 0) return;
		const db = this.relay.storage.db;
		const insert = db.prepare(
			`INSERT OR IGNORE INTO webhook_deliveries
				(id, webhook, event, event_key, site, payload, created_at, status, attempts, next_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?)`
		);
		const now = this.now();
		let added = 0;
		db.transaction(() => {
			for (const r of receivers) {
				for (const c of candidates) {
					if (!r.eventList.includes(c.event) || Date.parse(c.at) < r.created_at) continue;
					const id = newUlid(now);
					const payload: WebhookPayload = {
						id,
						event: c.event,
						site: ref.siteId,
						at: c.at,
						data: c.data
					};
					added += insert.run(
						id,
						r.id,
						c.event,
						c.key,
						ref.siteId,
						JSON.stringify(payload),
						now,
						now
					).changes;
				}
			}
		})();
		if (added > 0) this.schedule(0);
	}

	private seenOf(name: string): { state: DocSeen; fresh: boolean } {
		let state = this.seen.get(name);
		const fresh = !state;
		if (!state) {
			state = { permits: new Map(), sizes: '' };
			this.seen.set(name, state);
		}
		return { state, fresh };
	}

	/**
	 * New attendance and alert records: the ones the committed update wrote (read from the update,
	 * not by walking the month's log after every gate's commit). The first look at a document after
	 * a start sees everything: the UNIQUE (receiver, event) key drops what was enqueued before the
	 * restart, and `at` before a receiver existed drops what predates it.
	 */
	private eventsCandidates(
		name: string,
		site: string,
		wanted: Set<WebhookEvent>,
		update: Uint8Array
	): Candidate[] {
		const { fresh } = this.seenOf(name);
		const changed = fresh ? null : changedKeys(update, ['attendance', 'alerts']);
		return this.relay.read(name, (doc) => {
			const out: Candidate[] = [];
			const entries = (mapName: 'attendance' | 'alerts'): Iterable<[string, unknown]> => {
				const map = doc.getMap(mapName);
				if (!changed) return map.entries();
				return [...changed.get(mapName)!].map((key): [string, unknown] => [key, map.get(key)]);
			};
			if (wanted.has('entry.decision')) {
				for (const [key, raw] of entries('attendance')) {
					const read = readRecord(AttendanceEvent, raw);
					if (!read.ok || read.record.siteId !== site) continue;
					const e = read.record;
					out.push({
						event: 'entry.decision',
						key: `attendance:${key}`,
						at: e.at,
						data: {
							eventId: e.id,
							workerId: e.workerId,
							contractorId: e.contractorId ?? null,
							direction: e.direction,
							at: e.at,
							method: e.method,
							allow: e.allow,
							reasons: e.reasons,
							deviceId: e.deviceId
						}
					});
				}
			}
			if (wanted.has('alert.raised')) {
				for (const [key, raw] of entries('alerts')) {
					const read = readRecord(Alert, raw);
					if (!read.ok || read.record.siteId !== site) continue;
					const a = read.record;
					out.push({
						event: 'alert.raised',
						key: `alert:${key}`,
						at: a.at,
						data: {
							alertId: a.id,
							kind: a.kind,
							at: a.at,
							workerId: a.workerId ?? null,
							zoneId: a.zoneId ?? null,
							zoneName: a.zoneName ?? null,
							zoneKind: a.zoneKind ?? null,
							cameraId: a.cameraId ?? null,
							deviceId: a.deviceId,
							message: a.message ?? null
						}
					});
				}
			}
			return out;
		});
	}

	/**
	 * Permits whose record, actions or approval decisions changed since the last look; each state
	 * is one event (keyed by its hash), with the permit as it stands now and its clashes.
	 */
	private permitCandidates(name: string, site: string, update: Uint8Array): Candidate[] {
		const { state, fresh } = this.seenOf(name);
		// The relay's own writes to a control document (registry answers, warnings) are frequent:
		// nothing about permits changed unless the update touched one of these.
		if (!fresh) {
			const touched = changedKeys(update, PERMIT_MAPS);
			if (PERMIT_MAPS.every((m) => touched.get(m)!.size === 0)) return [];
		}
		return this.relay.read(name, (doc) => {
			const permits = doc.getMap('permits');
			const actions = doc.getMap('permitActions');
			const decisions = doc.getMap('decisions');
			// The relay's own writes to a control document (registry answers, warnings) are frequent:
			// nothing about permits changed unless one of these did.
			const sizes = `${actions.size}/${decisions.size}/${JSON.stringify(permits.toJSON())}`;
			if (sizes === state.sizes) return [];
			state.sizes = sizes;
			const org = this.relay.orgDoc();
			const siteRead = readRecord(Site, org.getMap('sites').get(site));
			const timeZone = siteRead.ok ? siteRead.record.timeZone : 'Asia/Shanghai';
			const at = new Date(this.now());
			const views = sitePermits({ control: doc, org, timeZone, cache: this.relay.verdicts }, at);
			const zones = siteZones(doc);
			const out: Candidate[] = [];
			for (const view of views) {
				const decided = view.approval.steps
					.map((s) => s.decided?.hash ?? '')
					.filter(Boolean)
					.join(',');
				const signature = JSON.stringify([
					view.permit,
					view.facts,
					view.actions.map((a) => a.id),
					decided,
					view.approval.status
				]);
				if (state.permits.get(view.permit.id) === signature) continue;
				state.permits.set(view.permit.id, signature);
				const changedAt = latest([
					view.permit.updatedAt,
					...view.actions.map((a) => a.at),
					...view.approval.steps.map((s) => s.decided?.record.at ?? '')
				]);
				out.push({
					event: 'permit.changed',
					key: `permit:${view.permit.id}:${hashOf(signature)}`,
					at: changedAt,
					data: permitData(view, views, zones)
				});
			}
			return out;
		});
	}

	// -------------------------------------------------------------------------------------------
	// Delivery

	start(): void {
		this.running = true;
		this.stopped = false;
		this.schedule(0);
	}

	/** Waits for deliveries in flight; nothing more is sent (pending rows wait for the next start). */
	async stop(): Promise<void> {
		this.stopped = true;
		this.running = false;
		this.unlisten();
		if (this.timer) clearTimeout(this.timer);
		this.timer = null;
		await this.ticking;
	}

	private schedule(delayMs: number): void {
		if (!this.running || this.stopped) return;
		if (this.timer) clearTimeout(this.timer);
		this.timer = setTimeout(
			() => {
				this.timer = null;
				void this.tick().then(() => this.scheduleNext());
			},
			Math.max(0, delayMs)
		);
		this.timer.unref();
	}

	private scheduleNext(): void {
		const row = this.relay.storage.db
			.prepare("SELECT MIN(next_at) AS next FROM webhook_deliveries WHERE status = 'pending'")
			.get() as { next: number | null };
		if (row.next !== null) this.schedule(Math.min(row.next - this.now(), 60_000));
	}

	/** Sends every due delivery once; resolves with how many were acknowledged. */
	tick(): Promise<number> {
		if (this.ticking) return this.ticking.then(() => this.tick());
		this.ticking = this.sendDue().finally(() => {
			this.ticking = null;
		});
		return this.ticking;
	}

	private async sendDue(): Promise<number> {
		if (this.stopped) return 0;
		const db = this.relay.storage.db;
		const due = db
			.prepare(
				`SELECT d.*, w.url, w.secret FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook
					WHERE d.status = 'pending' AND d.next_at <= ? AND w.deleted_at IS NULL
					ORDER BY d.next_at, d.id LIMIT 500`
			)
			.all(this.now()) as (DeliveryDbRow & { url: string; secret: string })[];
		let acked = 0;
		let index = 0;
		const worker = async () => {
			while (index < due.length && !this.stopped) {
				const row = due[index++]!;
				if (this.inFlight.has(row.id)) continue;
				this.inFlight.add(row.id);
				try {
					if (await this.deliver(row)) acked++;
				} finally {
					this.inFlight.delete(row.id);
				}
			}
		};
		await Promise.all(Array.from({ length: this.opts.concurrency }, worker));
		return acked;
	}

	private async deliver(row: DeliveryDbRow & { url: string; secret: string }): Promise<boolean> {
		const db = this.relay.storage.db;
		const body = row.payload;
		let status: number | null = null;
		let error: string | null = null;
		try {
			const res = await (this.options.fetch ?? fetch)(row.url, {
				method: 'POST',
				headers: {
					'content-type': 'application/json',
					'user-agent': 'SitePass-Webhooks/1',
					'x-sitepass-event': row.event,
					'x-sitepass-delivery': row.id,
					'x-sitepass-signature': signatureHeader(row.secret, body, Math.floor(this.now() / 1000))
				},
				body,
				redirect: 'manual',
				signal: AbortSignal.timeout(this.opts.timeoutMs)
			});
			status = res.status;
			// The receiver's answer is not needed; reading it frees the connection.
			await res.arrayBuffer().catch(() => undefined);
			if (res.status < 200 || res.status > 299) error = `HTTP ${res.status}`;
		} catch (err) {
			error = describeFetchError(err);
		}
		const now = this.now();
		if (!error) {
			db.prepare(
				`UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, next_at = NULL,
					last_status = ?, last_error = NULL, delivered_at = ? WHERE id = ? AND status = 'pending'`
			).run(status, now, row.id);
			return true;
		}
		const attempts = row.attempts + 1;
		const giveUp = attempts >= this.opts.maxAttempts;
		db.prepare(
			`UPDATE webhook_deliveries SET status = ?, attempts = ?, next_at = ?, last_status = ?,
				last_error = ? WHERE id = ? AND status = 'pending'`
		).run(
			giveUp ? 'failed' : 'pending',
			attempts,
			giveUp ? null : now + this.backoff(attempts),
			status,
			error.slice(0, 300),
			row.id
		);
		if (giveUp)
			this.log(`webhooks: gave up delivery ${row.id} after ${attempts} attempts: ${error}`);
		return false;
	}

	/** Delay after the n-th failed attempt: base·2^(n−1), capped, times a jitter in [0.5, 1). */
	backoff(attempts: number): number {
		const raw = Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** (attempts - 1));
		return Math.round(raw * (0.5 + this.random() / 2));
	}
}

function permitData(
	view: PermitView,
	all: readonly PermitView[],
	zones: ReturnType<typeof siteZones>
): Record<string, unknown> {
	return {
		permitId: view.permit.id,
		number: view.permit.number,
		kind: view.permit.kind,
		grade: view.grade,
		zone: view.permit.zone,
		lifecycle: view.permit.lifecycle,
		approval: view.approval.status,
		status: view.timeline.status,
		validFrom: view.permit.validFrom,
		until: view.timeline.until,
		people: view.permit.people.map((p) => ({
			workerId: p.workerId,
			contractorId: p.contractorId,
			role: p.role
		})),
		actions: view.actions.map((a) => ({
			id: a.id,
			action: a.action,
			at: a.at,
			until: a.until ?? null
		})),
		clashes: permitClashes(view, all, zones)
	};
}

function latest(times: string[]): string {
	return times.filter(Boolean).reduce((a, b) => (a > b ? a : b), '');
}

function hashOf(text: string): string {
	return createHmac('sha256', 'permit-state').update(text).digest('hex').slice(0, 24);
}

function describeFetchError(err: unknown): string {
	const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
	if (e?.name === 'TimeoutError') return 'timed out';
	return (
		[e?.message, e?.cause?.code ?? e?.cause?.message].filter(Boolean).join(': ') || String(err)
	);
}

interface WebhookRow {
	id: string;
	url: string;
	site: string;
	events: string;
	secret: string;
	created_at: number;
	created_by: string;
	deleted_at: number | null;
}

interface DeliveryDbRow {
	id: string;
	webhook: string;
	event: WebhookEvent;
	event_key: string;
	site: string;
	payload: string;
	created_at: number;
	status: DeliveryRow['status'];
	attempts: number;
	next_at: number | null;
	last_error: string | null;
	last_status: number | null;
	delivered_at: number | null;
}

function receiverOf(r: WebhookRow): Receiver {
	return {
		id: r.id,
		url: r.url,
		site: r.site,
		events: JSON.parse(r.events) as WebhookEvent[],
		createdAt: new Date(r.created_at).toISOString(),
		createdBy: r.created_by
	};
}

function deliveryOf(r: DeliveryDbRow): DeliveryRow {
	const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
	return {
		id: r.id,
		webhook: r.webhook,
		event: r.event,
		eventKey: r.event_key,
		site: r.site,
		status: r.status,
		attempts: r.attempts,
		nextAt: iso(r.next_at),
		lastError: r.last_error,
		lastStatus: r.last_status,
		createdAt: new Date(r.created_at).toISOString(),
		deliveredAt: iso(r.delivered_at)
	};
}

function stripUndefined<T extends object>(o: T): Partial<T> {
	return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
