// The relay's certificate watch (issue 5): asks the registry about every certificate on
// registration, when it changes and on a schedule (weekly; daily within 60 days of expiry or
// review), records the answers in `site:<S>:control`, and turns the domain's statuses into
// warnings — once each — plus one digest per site and day for staff.
//
// The schedule is a table in the relay's database (one row per certificate, with when it is next
// due), so it survives restarts and catches up after downtime: anything due while the relay was
// off is due at the first tick. Time comes from `now()` so tests drive days and weeks in
// milliseconds.
import type { Role } from '../../src/lib/data/access';
import { CertificateRecord, Worker } from '../../src/lib/data/contractor';
import { controlDoc, contractorDoc, parseDocName } from '../../src/lib/data/documents';
import { newUlid } from '../../src/lib/data/event-commands';
import { Contractor, Site } from '../../src/lib/data/org';
import { checkRecord, readRecord } from '../../src/lib/data/records';
import {
	CertificateCheck,
	VerificationRecord,
	certificateFingerprint,
	verifiedCertificate,
	VerificationIndex,
	type VerificationTrigger
} from '../../src/lib/data/verification';
import {
	CertificateWarning,
	URGENT_WARNINGS,
	WarningDigest,
	certificateWarnings,
	siteDay,
	warningDaysOf,
	type WarningKind
} from '../../src/lib/data/warnings';
import { certificateStatus } from '../../src/lib/domain';
import type { CertificateRegistry, VerifyResult } from '../registry/types';
import type { Relay } from '../relay';

const DAY = 86_400_000;

export interface PushAudience {
	site?: string;
	roles?: Role[];
	contractor?: string;
	sub?: string;
}
export interface PushPayload {
	title: string;
	body: string;
	url: string;
	tag: string;
}
/** Sends a Web Push notification; failures are the sender's to log, never the scheduler's. */
export type PushSender = (audience: PushAudience, payload: PushPayload) => Promise<unknown>;

export interface SchedulerOptions {
	relay: Relay;
	/** Null when no registry is configured: only manual checks, warnings still run. */
	registry: CertificateRegistry | null;
	now?: () => number;
	/** Re-check interval (default 7 days). */
	everyMs?: number;
	/** Re-check interval near expiry or review (default 1 day). */
	nearMs?: number;
	/** "Near": within this many days of expiry or review (default 60). */
	nearDays?: number;
	/** First retry after the registry could not answer (default 15 min), doubling up to… */
	retryBaseMs?: number;
	/** …this (default 6 h). */
	retryMaxMs?: number;
	/** Site-local hour from which the day's digest is made (default 7). */
	digestHour?: number;
	/** Registry requests in flight at once (the registry adapter enforces its rate limit). */
	concurrency?: number;
	/**
	 * Results written to the control documents in one transaction (default 500), or more when the
	 * previous write was slow (see runDue).
	 */
	flushEvery?: number;
	/** Timer period when started (default 60 s). */
	tickMs?: number;
	push?: PushSender;
	log?: (line: string) => void;
	/**
	 * Sites this relay leaves alone: at headquarters, the sites whose own relay federates to it
	 * (that relay writes their checks, warnings and digests; HQ writing them too would count twice).
	 */
	skipSite?: (siteId: string) => boolean;
}

export interface TickReport {
	reconciled: number;
	verified: number;
	outcomes: Partial<Record<VerifyResult['outcome'], number>>;
	recorded: number;
	warnings: number;
	digests: number;
}

interface Row {
	contractor: string;
	cert: string;
	fingerprint: string;
	next_due: number;
	reason: VerificationTrigger;
	failures: number;
	rec_fp: string | null;
	rec_outcome: string | null;
	rec_expiry: string | null;
	rec_review: string | null;
}

interface CertEntry {
	cert: CertificateRecord;
	worker: Worker;
	fp: string;
}

interface OrgInfo {
	sites: Map<string, { timeZone: string; name: string }>;
	contractors: Map<string, { sites: string[]; name: string }>;
}

interface Pending {
	row: Row;
	entry: CertEntry;
	result: VerifyResult;
	log: boolean;
	nextDue: number;
	failures: number;
}

export class VerificationScheduler {
	private readonly relay: Relay;
	private readonly now: () => number;
	private readonly o: Required<
		Omit<SchedulerOptions, 'relay' | 'registry' | 'push' | 'now' | 'skipSite'>
	>;
	private running: Promise<TickReport> | null = null;
	private again = false;
	private timer: NodeJS.Timeout | null = null;
	private debounce: NodeJS.Timeout | null = null;
	private unlisten: (() => void) | null = null;
	private fullReconcile = true;
	private readonly dirty = new Set<string>();
	private readonly scanDirty = new Set<string>();
	private stopped = false;
	private started = false;

	constructor(private readonly opts: SchedulerOptions) {
		this.relay = opts.relay;
		this.now = opts.now ?? Date.now;
		this.o = {
			everyMs: opts.everyMs ?? 7 * DAY,
			nearMs: opts.nearMs ?? DAY,
			nearDays: opts.nearDays ?? 60,
			retryBaseMs: opts.retryBaseMs ?? 15 * 60_000,
			retryMaxMs: opts.retryMaxMs ?? 6 * 3600_000,
			digestHour: opts.digestHour ?? 7,
			concurrency: opts.concurrency ?? 8,
			flushEvery: opts.flushEvery ?? 500,
			tickMs: opts.tickMs ?? 60_000,
			log: opts.log ?? (() => {})
		};
		this.relay.storage.db.exec(`
			CREATE TABLE IF NOT EXISTS cert_schedule (
				contractor TEXT NOT NULL, cert TEXT NOT NULL, fingerprint TEXT NOT NULL,
				next_due INTEGER NOT NULL, reason TEXT NOT NULL, failures INTEGER NOT NULL DEFAULT 0,
				last_checked INTEGER, last_outcome TEXT,
				rec_fp TEXT, rec_outcome TEXT, rec_expiry TEXT, rec_review TEXT,
				PRIMARY KEY (contractor, cert)) WITHOUT ROWID;
			CREATE INDEX IF NOT EXISTS cert_schedule_due ON cert_schedule (next_due);
			CREATE TABLE IF NOT EXISTS digest_days (
				site TEXT NOT NULL, day TEXT NOT NULL, at INTEGER NOT NULL,
				PRIMARY KEY (site, day)) WITHOUT ROWID;
		`);
		this.listen();
	}

	/** Runs on a timer, and soon after every change to a contractor or a site's settings. */
	start(): void {
		this.started = true;
		this.timer = setInterval(() => void this.tick(), this.o.tickMs);
		this.timer.unref();
		this.soon();
	}

	/** Changes are noted from construction on, so a pass run by hand (tests) sees them too. */
	private listen(): void {
		this.unlisten = this.relay.onCommit((name, byRelay) => {
			const ref = parseDocName(name);
			if (!ref) return;
			if (ref.kind === 'contractor') this.dirty.add(ref.contractorId);
			else if (ref.kind === 'org') this.fullReconcile = true;
			else if (ref.kind === 'control' && !byRelay) {
				// A manual check or new settings: warnings for everyone at that site may change.
				for (const [c, info] of this.org().contractors)
					if (info.sites.includes(ref.siteId)) this.scanDirty.add(c);
			} else return;
			this.soon();
		});
	}

	async stop(): Promise<void> {
		this.stopped = true;
		this.unlisten?.();
		if (this.timer) clearInterval(this.timer);
		if (this.debounce) clearTimeout(this.debounce);
		await this.running?.catch(() => {});
	}

	private soon(): void {
		if (this.debounce || this.stopped || !this.started) return;
		this.debounce = setTimeout(() => {
			this.debounce = null;
			void this.tick();
		}, 300);
		this.debounce.unref();
	}

	/** One pass: reconcile, verify what is due, warn, digest. Overlapping calls share a pass. */
	tick(): Promise<TickReport> {
		if (this.running) {
			this.again = true;
			return this.running;
		}
		this.running = this.pass()
			.catch((err: unknown) => {
				this.o.log(`verification: a pass failed: ${String(err)}`);
				throw err;
			})
			.finally(() => {
				this.running = null;
				if (this.again && !this.stopped) {
					this.again = false;
					this.soon();
				}
			});
		return this.running;
	}

	/** What the schedule holds for one certificate (tests, diagnostics). */
	scheduleOf(contractorId: string, certificateId: string): Row | undefined {
		return this.relay.storage.db
			.prepare('SELECT * FROM cert_schedule WHERE contractor = ? AND cert = ?')
			.get(contractorId, certificateId) as Row | undefined;
	}

	private async pass(): Promise<TickReport> {
		const report: TickReport = {
			reconciled: 0,
			verified: 0,
			outcomes: {},
			recorded: 0,
			warnings: 0,
			digests: 0
		};
		const org = this.org();
		// Each site's control document stays loaded for the pass: written and read many times.
		const releases = [...org.sites.keys()].map((s) => this.relay.hold(controlDoc(s)));
		try {
			return await this.passWith(org, report);
		} finally {
			for (const release of releases) release();
		}
	}

	private async passWith(org: OrgInfo, report: TickReport): Promise<TickReport> {
		const cache = new Map<string, Map<string, CertEntry>>();
		const entriesOf = (c: string) => {
			let e = cache.get(c);
			if (!e) cache.set(c, (e = this.readContractor(c)));
			return e;
		};

		// 1. The schedule follows the certificates: new ones and changed ones are due now.
		let targets: string[];
		if (this.fullReconcile) {
			this.fullReconcile = false;
			this.dirty.clear();
			targets = this.relay
				.docNames()
				.map(parseDocName)
				.flatMap((r) => (r?.kind === 'contractor' ? [r.contractorId] : []));
			for (const c of org.contractors.keys()) if (!targets.includes(c)) targets.push(c);
			this.dropVanishedContractors(targets);
		} else {
			targets = [...this.dirty];
			this.dirty.clear();
		}
		for (const c of targets) {
			report.reconciled += this.reconcile(c, entriesOf(c));
			this.scanDirty.add(c);
		}

		// 2. Ask the registry about everything due.
		if (this.opts.registry) {
			const touched = await this.runDue(org, entriesOf, report);
			for (const c of touched) this.scanDirty.add(c);
		}

		// 3. Warnings for what changed; 4. the day's digest (with a full scan) per site.
		const scanNow = [...this.scanDirty];
		this.scanDirty.clear();
		const now = this.now();
		const digestSites: string[] = [];
		for (const [siteId, site] of org.sites) {
			const day = siteDay(new Date(now), site.timeZone);
			if (localHour(now, site.timeZone) < this.o.digestHour) continue;
			const done = this.relay.storage.db
				.prepare('SELECT 1 FROM digest_days WHERE site = ? AND day = ?')
				.get(siteId, day);
			if (!done) digestSites.push(siteId);
		}
		const siteScan = new Map<string, Set<string>>();
		for (const c of scanNow)
			for (const s of org.contractors.get(c)?.sites ?? [])
				if (org.sites.has(s)) (siteScan.get(s) ?? siteScan.set(s, new Set()).get(s)!).add(c);
		for (const s of digestSites) {
			const all = siteScan.get(s) ?? siteScan.set(s, new Set()).get(s)!;
			for (const [c, info] of org.contractors) if (info.sites.includes(s)) all.add(c);
		}
		for (const [siteId, contractors] of siteScan) {
			report.warnings += await this.scanSite(siteId, [...contractors], org, entriesOf, now);
		}
		for (const siteId of digestSites) {
			if (await this.digest(siteId, org, now)) report.digests++;
		}
		return report;
	}

	private org(): OrgInfo {
		const doc = this.relay.orgDoc();
		const sites = new Map<string, { timeZone: string; name: string }>();
		for (const raw of doc.getMap('sites').values()) {
			const read = readRecord(Site, raw);
			if (read.ok && !this.opts.skipSite?.(read.record.id))
				sites.set(read.record.id, { timeZone: read.record.timeZone, name: read.record.name });
		}
		const contractors = new Map<string, { sites: string[]; name: string }>();
		for (const raw of doc.getMap('contractors').values()) {
			const read = readRecord(Contractor, raw);
			if (read.ok)
				contractors.set(read.record.id, { sites: read.record.sites, name: read.record.name });
		}
		return { sites, contractors };
	}

	private readContractor(contractorId: string): Map<string, CertEntry> {
		return this.relay.read(contractorDoc(contractorId), (doc) => {
			const workers = doc.getMap('workers');
			const out = new Map<string, CertEntry>();
			for (const raw of doc.getMap('certificates').values()) {
				const cert = readRecord(CertificateRecord, raw);
				if (!cert.ok) continue;
				const worker = readRecord(Worker, workers.get(cert.record.workerId));
				if (!worker.ok) continue;
				out.set(cert.record.id, {
					cert: cert.record,
					worker: worker.record,
					fp: certificateFingerprint(cert.record, worker.record)
				});
			}
			return out;
		});
	}

	private dropVanishedContractors(present: string[]): void {
		const db = this.relay.storage.db;
		const known = db.prepare('SELECT DISTINCT contractor FROM cert_schedule').all() as {
			contractor: string;
		}[];
		const keep = new Set(present);
		for (const { contractor } of known)
			if (!keep.has(contractor))
				db.prepare('DELETE FROM cert_schedule WHERE contractor = ?').run(contractor);
	}

	/** New certificates are due now ('registration'); a changed one too ('change'). */
	private reconcile(contractorId: string, entries: Map<string, CertEntry>): number {
		const db = this.relay.storage.db;
		const now = this.now();
		const rows = new Map(
			(
				db.prepare('SELECT * FROM cert_schedule WHERE contractor = ?').all(contractorId) as Row[]
			).map((r) => [r.cert, r])
		);
		let changed = 0;
		const insert = db.prepare(
			`INSERT INTO cert_schedule (contractor, cert, fingerprint, next_due, reason, failures)
			 VALUES (?, ?, ?, ?, ?, 0)`
		);
		const update = db.prepare(
			`UPDATE cert_schedule SET fingerprint = ?, next_due = ?, reason = 'change', failures = 0
			 WHERE contractor = ? AND cert = ?`
		);
		const remove = db.prepare('DELETE FROM cert_schedule WHERE contractor = ? AND cert = ?');
		this.relay.storage.transaction(() => {
			for (const [id, entry] of entries) {
				const row = rows.get(id);
				if (!row) {
					insert.run(contractorId, id, entry.fp, now, 'registration');
					changed++;
				} else if (row.fingerprint !== entry.fp) {
					update.run(entry.fp, now, contractorId, id);
					changed++;
				}
			}
			for (const id of rows.keys()) {
				if (!entries.has(id)) {
					remove.run(contractorId, id);
					changed++;
				}
			}
		});
		return changed;
	}

	private async runDue(
		org: OrgInfo,
		entriesOf: (c: string) => Map<string, CertEntry>,
		report: TickReport
	): Promise<Set<string>> {
		const registry = this.opts.registry!;
		const db = this.relay.storage.db;
		const touched = new Set<string>();
		const due = db
			.prepare(
				'SELECT * FROM cert_schedule WHERE next_due <= ? ORDER BY next_due, contractor, cert'
			)
			.all(this.now()) as Row[];
		if (due.length === 0) return touched;
		let pending: Pending[] = [];
		let next = 0;
		// A write to a control document nobody holds open loads it and stores a new snapshot of it,
		// a cost that grows with the document, not the batch. Mid-pass writes wait until the last
		// one's cost is repaid ~20 times over (at most a minute), so at high registry rates writing
		// takes no more than ~5 % of the pass, instead of most of it.
		let flushAfter = 0;
		const worker = async () => {
			while (next < due.length && !this.stopped) {
				const row = due[next++]!;
				const entry = entriesOf(row.contractor).get(row.cert);
				if (!entry || entry.fp !== row.fingerprint) continue; // changed meanwhile: next pass
				const answer = await registry.verify({
					regime: entry.cert.regime,
					category: entry.cert.code,
					number: entry.cert.number,
					holderName: entry.worker.name,
					holderId: entry.worker.docNumber,
					...(entry.cert.verifyUrl ? { verifyUrl: entry.cert.verifyUrl } : {})
				});
				// Stamped by the schedule's clock (the same as the adapter's, except under test).
				const result = { ...answer, checkedAt: new Date(this.now()).toISOString() };
				report.verified++;
				report.outcomes[result.outcome] = (report.outcomes[result.outcome] ?? 0) + 1;
				pending.push(this.settle(row, entry, result));
				touched.add(row.contractor);
				if (pending.length >= this.o.flushEvery && performance.now() >= flushAfter) {
					const batch = pending;
					pending = [];
					const started = performance.now();
					report.recorded += this.flush(batch, org);
					const took = performance.now() - started;
					flushAfter = performance.now() + Math.min(19 * took, 60_000);
				}
			}
		};
		await Promise.all(Array.from({ length: Math.max(1, this.o.concurrency) }, worker));
		report.recorded += this.flush(pending, org);
		return touched;
	}

	/** What to do with one answer: when to ask next, and whether it goes into the log. */
	private settle(row: Row, entry: CertEntry, result: VerifyResult): Pending {
		const now = this.now();
		if (result.outcome === 'unavailable') {
			const failures = row.failures + 1;
			const wait = Math.min(this.o.retryBaseMs * 2 ** (failures - 1), this.o.retryMaxMs);
			// Logged once per certificate version, as the trace of an attempt; retries go to `checks`.
			return { row, entry, result, log: row.rec_fp !== entry.fp, nextDue: now + wait, failures };
		}
		const same =
			row.rec_fp === entry.fp &&
			row.rec_outcome === result.outcome &&
			(row.rec_expiry ?? null) === (result.registryExpiry ?? null) &&
			(row.rec_review ?? null) === (result.registryReviewDate ?? null);
		const judged = certificateStatus(
			{
				...entry.cert,
				verification: {
					outcome: result.outcome,
					checkedAt: result.checkedAt,
					source: result.source,
					registryExpiry: result.registryExpiry ?? null,
					registryReviewDate: result.registryReviewDate ?? null
				}
			},
			new Date(now)
		);
		const near =
			(judged.daysToExpiry !== null && judged.daysToExpiry <= this.o.nearDays) ||
			(judged.daysToReview !== null && judged.daysToReview <= this.o.nearDays);
		return {
			row,
			entry,
			result,
			log: !same,
			nextDue: now + (near ? this.o.nearMs : this.o.everyMs),
			failures: 0
		};
	}

	/** Writes a batch of answers: the schedule, then `checks` and the log in every site's control. */
	private flush(batch: Pending[], org: OrgInfo): number {
		if (batch.length === 0) return 0;
		const db = this.relay.storage.db;
		const update = db.prepare(
			`UPDATE cert_schedule SET next_due = ?, failures = ?, last_checked = ?, last_outcome = ?,
			 reason = ?, rec_fp = ?, rec_outcome = ?, rec_expiry = ?, rec_review = ?
			 WHERE contractor = ? AND cert = ? AND fingerprint = ?`
		);
		const bySite = new Map<string, { checks: CertificateCheck[]; logs: VerificationRecord[] }>();
		const recordedAt = new Date(this.now()).toISOString();
		let logged = 0;
		for (const p of batch) {
			const { row, entry, result } = p;
			const check = checkRecord(CertificateCheck, {
				schema: 1,
				certificateId: entry.cert.id,
				contractorId: row.contractor,
				fingerprint: entry.fp,
				checkedAt: result.checkedAt,
				outcome: result.outcome,
				source: result.source,
				nextCheckAt: new Date(p.nextDue).toISOString(),
				...(p.failures > 0 ? { failures: p.failures } : {})
			});
			const log = p.log
				? checkRecord(VerificationRecord, {
						schema: 1 as const,
						id: newUlid(),
						certificateId: entry.cert.id,
						contractorId: row.contractor,
						workerId: entry.worker.id,
						fingerprint: entry.fp,
						outcome: result.outcome,
						checkedAt: result.checkedAt,
						source: result.source,
						...(result.registryExpiry ? { registryExpiry: result.registryExpiry } : {}),
						...(result.registryReviewDate ? { registryReviewDate: result.registryReviewDate } : {}),
						trigger: row.failures > 0 ? 'retry' : row.reason,
						evidence: evidenceOf(result),
						by: 'relay',
						recordedAt
					})
				: null;
			if (log) logged++;
			for (const site of org.contractors.get(row.contractor)?.sites ?? []) {
				if (!org.sites.has(site)) continue;
				const out = bySite.get(site) ?? bySite.set(site, { checks: [], logs: [] }).get(site)!;
				out.checks.push(check);
				if (log) out.logs.push(log);
			}
		}
		// Control documents first: if the relay dies between the two, the answers are asked again.
		for (const [site, { checks, logs }] of bySite) {
			this.relay.write(controlDoc(site), (doc) => {
				const checkMap = doc.getMap('checks');
				const logMap = doc.getMap('verifications');
				for (const c of checks) checkMap.set(c.certificateId, c);
				for (const l of logs) logMap.set(l.id, l);
			});
		}
		this.relay.storage.transaction(() => {
			for (const p of batch) {
				const { row, entry, result } = p;
				const conclusive = result.outcome !== 'unavailable';
				const logged = p.log;
				update.run(
					p.nextDue,
					p.failures,
					Date.parse(result.checkedAt),
					result.outcome,
					p.failures > 0 ? 'retry' : 'schedule',
					logged || conclusive ? entry.fp : row.rec_fp,
					logged || conclusive ? result.outcome : row.rec_outcome,
					logged || conclusive ? (result.registryExpiry ?? null) : row.rec_expiry,
					logged || conclusive ? (result.registryReviewDate ?? null) : row.rec_review,
					row.contractor,
					row.cert,
					entry.fp
				);
			}
		});
		return logged;
	}

	/**
	 * Warnings at one site for some contractors: each certificate judged with what every control
	 * document the contractor's sites hold says about it (manual checks recorded at another site
	 * are copied here too), with this site's warning period and time zone.
	 */
	private async scanSite(
		siteId: string,
		contractors: string[],
		org: OrgInfo,
		entriesOf: (c: string) => Map<string, CertEntry>,
		now: number
	): Promise<number> {
		const site = org.sites.get(siteId)!;
		const wanted = new Set(contractors);
		// Everything known about these contractors' certificates, from all their sites.
		const otherSites = new Set<string>();
		for (const c of contractors)
			for (const s of org.contractors.get(c)?.sites ?? []) if (s !== siteId) otherSites.add(s);
		const index = new VerificationIndex();
		const foreign: VerificationRecord[] = [];
		for (const s of otherSites) {
			if (!org.sites.has(s)) continue;
			this.relay.read(controlDoc(s), (doc) => {
				for (const raw of doc.getMap('verifications').values()) {
					const read = readRecord(VerificationRecord, raw);
					if (read.ok && wanted.has(read.record.contractorId)) foreign.push(read.record);
				}
			});
		}
		const here = this.relay.read(controlDoc(siteId), (doc) => ({
			records: new Set(doc.getMap('verifications').keys()),
			verifications: [...doc.getMap('verifications').values()],
			checks: [...doc.getMap('checks').values()],
			warnings: new Set(doc.getMap('warnings').keys()),
			warningDays: warningDaysOf(doc.getMap('settings'))
		}));
		index.addRecords(here.verifications).addChecks(here.checks).addRecords(foreign);
		const copy = foreign.filter((r) => !here.records.has(r.id));

		const day = siteDay(new Date(now), site.timeZone);
		const created = new Date(now).toISOString();
		const fresh: CertificateWarning[] = [];
		for (const c of contractors) {
			for (const entry of entriesOf(c).values()) {
				const cert = verifiedCertificate(entry.cert, entry.worker, index);
				const status = certificateStatus(cert, new Date(now), {
					warningDays: here.warningDays,
					timeZone: site.timeZone
				});
				for (const spec of certificateWarnings(cert, status, entry.fp, here.warningDays)) {
					if (here.warnings.has(spec.id)) continue;
					here.warnings.add(spec.id);
					fresh.push(
						checkRecord(CertificateWarning, {
							schema: 1,
							id: spec.id,
							siteId,
							contractorId: c,
							workerId: entry.worker.id,
							certificateId: entry.cert.id,
							code: entry.cert.code,
							kind: spec.kind,
							...(spec.dueOn ? { dueOn: spec.dueOn } : {}),
							...(spec.daysLeft !== undefined ? { daysLeft: spec.daysLeft } : {}),
							createdAt: created,
							day
						})
					);
				}
			}
		}
		if (fresh.length === 0 && copy.length === 0) return 0;
		this.relay.write(controlDoc(siteId), (doc) => {
			const warnings = doc.getMap('warnings');
			const log = doc.getMap('verifications');
			for (const w of fresh) if (!warnings.has(w.id)) warnings.set(w.id, w);
			for (const r of copy) if (!log.has(r.id)) log.set(r.id, r);
		});
		await this.pushUrgent(siteId, fresh, org);
		return fresh.length;
	}

	private async pushUrgent(siteId: string, fresh: CertificateWarning[], org: OrgInfo) {
		const push = this.opts.push;
		if (!push) return;
		const urgent = fresh.filter((w) => URGENT_WARNINGS.includes(w.kind));
		if (urgent.length === 0) return;
		const siteName = org.sites.get(siteId)?.name ?? siteId;
		const byContractor = countBy(urgent, (w) => w.contractorId);
		const body = `${siteName}：${describeCounts(countBy(urgent, (w) => w.kind))}，请立即核查。`;
		await this.send(
			{ site: siteId, roles: ['staff'] },
			{ title: '证书核验异常', body, url: '/notifications', tag: `urgent-${siteId}` }
		);
		for (const [c, n] of Object.entries(byContractor)) {
			await this.send(
				{ contractor: c, roles: ['contractor'] },
				{
					title: '证书核验异常',
					body: `${siteName}：贵单位 ${n} 张证书核验异常，请立即处理。`,
					url: '/notifications',
					tag: `urgent-${siteId}-${c}`
				}
			);
		}
	}

	/** The day's digest for staff: warnings made since the previous digest, counted. */
	private async digest(siteId: string, org: OrgInfo, now: number): Promise<boolean> {
		const site = org.sites.get(siteId)!;
		const day = siteDay(new Date(now), site.timeZone);
		const { fresh, open } = this.relay.read(controlDoc(siteId), (doc) => {
			let since = '';
			for (const raw of doc.getMap('digests').values()) {
				const read = readRecord(WarningDigest, raw);
				if (read.ok && read.record.createdAt > since) since = read.record.createdAt;
			}
			const all: CertificateWarning[] = [];
			for (const raw of doc.getMap('warnings').values()) {
				const read = readRecord(CertificateWarning, raw);
				if (read.ok) all.push(read.record);
			}
			return {
				fresh: all.filter((w) => w.createdAt > since),
				open: new Set(all.filter((w) => isOpen(w, day)).map((w) => w.certificateId)).size
			};
		});
		this.relay.storage.db
			.prepare('INSERT OR IGNORE INTO digest_days (site, day, at) VALUES (?, ?, ?)')
			.run(siteId, day, now);
		if (fresh.length === 0) return false;
		const digest = checkRecord(WarningDigest, {
			schema: 1,
			id: day,
			siteId,
			createdAt: new Date(now).toISOString(),
			newWarnings: fresh.map((w) => w.id).sort(),
			counts: countBy(fresh, (w) => w.kind),
			byContractor: countBy(fresh, (w) => w.contractorId),
			open
		});
		let written = false;
		this.relay.write(controlDoc(siteId), (doc) => {
			const digests = doc.getMap('digests');
			if (digests.has(day)) return;
			digests.set(day, digest);
			written = true;
		});
		if (!written) return false;
		const siteName = site.name;
		await this.send(
			{ site: siteId, roles: ['staff'] },
			{
				title: `证书预警日报 · ${siteName}`,
				body: `新增 ${fresh.length} 条：${describeCounts(digest.counts)}。`,
				url: '/notifications',
				tag: `digest-${siteId}-${day}`
			}
		);
		for (const [c, n] of Object.entries(digest.byContractor)) {
			await this.send(
				{ contractor: c, roles: ['contractor'] },
				{
					title: `证书预警 · ${siteName}`,
					body: `贵单位有 ${n} 条新的证书预警，请及时办理复审或换证。`,
					url: '/notifications',
					tag: `digest-${siteId}-${day}-${c}`
				}
			);
		}
		return true;
	}

	private async send(audience: PushAudience, payload: PushPayload): Promise<void> {
		try {
			await this.opts.push?.(audience, payload);
		} catch (err) {
			this.o.log(`verification: push failed: ${String(err)}`);
		}
	}
}

/** Evidence as recorded: the registry's reference and answer digest, or why it had none. */
function evidenceOf(result: VerifyResult): VerificationRecord['evidence'] {
	const e = result.evidence;
	return {
		...(e.reference ? { reference: e.reference.slice(0, 200) } : {}),
		...(e.responseSha256 ? { responseSha256: e.responseSha256 } : {}),
		...(e.error ? { error: e.error.slice(0, 300) } : {}),
		attempts: e.attempts
	};
}

const KIND_ZH: Record<WarningKind, string> = {
	expiring: '即将到期',
	review_due: '即将复审',
	expired: '已过期',
	review_overdue: '复审逾期',
	revoked: '已吊销',
	not_found: '查无此证',
	mismatch: '持证人不符'
};

function describeCounts(counts: Record<string, number>): string {
	return Object.entries(counts)
		.map(([k, n]) => `${KIND_ZH[k as WarningKind] ?? k} ${n}`)
		.join('，');
}

function countBy<T>(items: T[], key: (t: T) => string): Record<string, number> {
	const out: Record<string, number> = {};
	for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
	return out;
}

/** Still calls for action today: the date it is about has not been superseded. */
function isOpen(w: CertificateWarning, day: string): boolean {
	return w.kind !== 'expiring' && w.kind !== 'review_due' ? true : !w.dueOn || w.dueOn >= day;
}

function localHour(at: number, timeZone: string): number {
	const hour = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', hourCycle: 'h23' })
		.formatToParts(new Date(at))
		.find((p) => p.type === 'hour')!.value;
	return Number(hour);
}
