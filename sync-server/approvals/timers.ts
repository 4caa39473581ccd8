// Approval deadlines (issue 6): reminders before a step's deadline, and escalation when it passes
// — the step's approvers are told it is overdue and the next level is notified (and, where the
// chain allows, may now decide). Each reminder and escalation fires once: what fired is kept in the
// relay's database, so a restart neither repeats nor loses them (anything that came due while the
// relay was off fires at its first pass). Time comes from `now()` for tests.
import { Site } from '../../src/lib/data/org';
import { Contractor } from '../../src/lib/data/org';
import { controlDoc, contractorDoc } from '../../src/lib/data/documents';
import { readRecord } from '../../src/lib/data/records';
import { keyBindings } from '../../src/lib/data/signing';
import { siteApprovals, type WorkerApproval } from '../../src/lib/data/approvals';
import { sitePermits } from '../../src/lib/data/permits';
import type { StaffRole } from '../../src/lib/data/access';
import type { Relay } from '../relay';
import type { PushAudience, PushPayload } from '../verification/scheduler';

export interface TimerOptions {
	relay: Relay;
	now?: () => number;
	push?: (
		audience: PushAudience & { staffRoles?: StaffRole[] },
		payload: PushPayload
	) => Promise<unknown>;
	log?: (line: string) => void;
	tickMs?: number;
}

/** 'turn': a permit's step became current (its approvers are told at once: work is waiting). */
export type TimerKind = 'turn' | 'reminder' | 'overdue' | 'escalation';

export interface Fired {
	site: string;
	application: string;
	worker: string;
	step: number;
	kind: TimerKind;
	/** Who is told: the step's role, or the next level's. */
	role: StaffRole;
}

const ROLE_ZH: Record<StaffRole, string> = {
	project_lead: '项目负责人',
	safety: '安全部门',
	director: '负责人'
};

export class ApprovalTimers {
	private readonly now: () => number;
	private timer: NodeJS.Timeout | null = null;
	private running: Promise<Fired[]> | null = null;
	/**
	 * A pass reads every application at every site; it runs only when something changed since the
	 * last one (an org, contractor or control document was stored) or a reminder or deadline it
	 * saw has come due — not every minute regardless.
	 */
	private dirty = true;
	private nextDue = Infinity;
	private readonly unlisten: () => void;

	constructor(private readonly opts: TimerOptions) {
		this.now = opts.now ?? Date.now;
		this.unlisten = opts.relay.onCommit((name) => {
			if (name === 'org' || name.startsWith('contractor:') || name.endsWith(':control'))
				this.dirty = true;
		});
		opts.relay.storage.db.exec(`
			CREATE TABLE IF NOT EXISTS approval_timers (
				site TEXT NOT NULL, application TEXT NOT NULL, worker TEXT NOT NULL, round TEXT NOT NULL,
				step INTEGER NOT NULL, kind TEXT NOT NULL, at INTEGER NOT NULL,
				PRIMARY KEY (site, application, worker, round, step, kind)) WITHOUT ROWID;
		`);
	}

	start(): void {
		this.timer = setInterval(() => void this.tick(), this.opts.tickMs ?? 60_000);
		this.timer.unref();
		void this.tick();
	}

	async stop(): Promise<void> {
		this.unlisten();
		if (this.timer) clearInterval(this.timer);
		await this.running?.catch(() => {});
	}

	/** One pass over every site; returns what fired (each at most once, ever). */
	tick(): Promise<Fired[]> {
		this.running ??= this.pass()
			.catch((err: unknown) => {
				this.dirty = true;
				this.opts.log?.(`approvals: a pass failed: ${String(err)}`);
				return [];
			})
			.finally(() => (this.running = null));
		return this.running;
	}

	private async pass(): Promise<Fired[]> {
		if (!this.dirty && this.now() < this.nextDue) return [];
		this.dirty = false;
		let nextDue = Infinity;
		const relay = this.opts.relay;
		const org = relay.orgDoc();
		const keys = keyBindings(org.getMap('keys'));
		const now = new Date(this.now()).toISOString();
		const fired: Fired[] = [];
		const db = relay.storage.db;
		const mark = db.prepare(
			'INSERT OR IGNORE INTO approval_timers (site, application, worker, round, step, kind, at) VALUES (?, ?, ?, ?, ?, ?, ?)'
		);
		const siteNames = new Map<string, string>();
		const timeZones = new Map<string, string>();
		for (const raw of org.getMap('sites').values()) {
			const read = readRecord(Site, raw);
			if (read.ok) {
				siteNames.set(read.record.id, read.record.name);
				timeZones.set(read.record.id, read.record.timeZone);
			}
		}
		const due = (siteId: string, a: WorkerApproval, kinds: readonly TimerKind[]) => {
			if (a.status !== 'pending' || a.current === null || a.round === null) return;
			const s = a.steps[a.current]!;
			const next = a.steps[a.current + 1];
			const when: Record<TimerKind, [string | null, StaffRole | undefined]> = {
				turn: [s.since, s.step.role],
				reminder: [s.remindAt, s.step.role],
				overdue: [s.deadline, s.step.role],
				escalation: [s.deadline, next?.step.role]
			};
			for (const kind of kinds) {
				const [at, role] = when[kind];
				if (!at || !role) continue;
				if (now < at) {
					nextDue = Math.min(nextDue, Date.parse(at));
					continue;
				}
				const info = mark.run(
					siteId,
					a.application,
					a.worker,
					a.round,
					a.current,
					kind,
					Date.parse(now)
				);
				if (info.changes === 1)
					fired.push({
						site: siteId,
						application: a.application,
						worker: a.worker,
						step: a.current,
						kind,
						role
					});
			}
		};
		for (const siteId of siteNames.keys()) {
			const contractors: string[] = [];
			for (const raw of org.getMap('contractors').values()) {
				const read = readRecord(Contractor, raw);
				if (read.ok && read.record.sites.includes(siteId)) contractors.push(read.record.id);
			}
			const items = relay.read(controlDoc(siteId), (control) => {
				const docs = contractors.map((c) => relay.read(contractorDoc(c), (d) => snapshot(d)));
				return siteApprovals(siteId, control, docs, keys, this.opts.relay.verdicts);
			});
			for (const { workers } of items)
				for (const a of workers) due(siteId, a, ['reminder', 'overdue', 'escalation']);
			// Work permits: the same chain machinery, and each step's approvers are told at once.
			const permits = relay.read(controlDoc(siteId), (control) =>
				sitePermits(
					{
						control,
						org,
						timeZone: timeZones.get(siteId) ?? 'Asia/Shanghai',
						keys,
						cache: this.opts.relay.verdicts
					},
					new Date(this.now())
				)
			);
			for (const p of permits)
				due(siteId, p.approval, ['turn', 'reminder', 'overdue', 'escalation']);
		}
		this.nextDue = nextDue;
		await this.notify(fired, siteNames);
		return fired;
	}

	private async notifyPermits(list: Fired[], where: string) {
		const { site, role, kind } = list[0]!;
		const one = list.length === 1 ? list[0]!.worker : null;
		try {
			await this.opts.push!(
				{ site, roles: ['staff'], staffRoles: [role] },
				{
					title: '作业票审批',
					body: PERMIT_TEXT[kind](where, list.length),
					url: one ? `/permits/${site}/${one}` : '/permits',
					tag: `permit-${kind}-${site}-${role}`
				}
			);
		} catch (err) {
			this.opts.log?.(`approvals: push failed: ${String(err)}`);
		}
	}

	/** One push per site, role and kind — not one per worker. */
	private async notify(fired: Fired[], siteNames: Map<string, string>) {
		const push = this.opts.push;
		if (!push || fired.length === 0) return;
		const groups = new Map<string, Fired[]>();
		for (const f of fired) {
			const key = `${f.site}|${f.role}|${f.kind}|${f.application.startsWith('permit:')}`;
			(groups.get(key) ?? groups.set(key, []).get(key)!).push(f);
		}
		for (const list of groups.values()) {
			const { site, role, kind } = list[0]!;
			const n = list.length;
			const where = siteNames.get(site) ?? site;
			if (list[0]!.application.startsWith('permit:')) {
				await this.notifyPermits(list, where);
				continue;
			}
			const body =
				kind === 'reminder'
					? `${where}：${n} 项进场审批即将超过时限，请尽快处理。`
					: kind === 'overdue'
						? `${where}：${n} 项进场审批已超过时限。`
						: `${where}：${n} 项进场审批在上一环节超时，已提交${ROLE_ZH[role]}知悉。`;
			try {
				await push(
					{ site, roles: ['staff'], staffRoles: [role] },
					{ title: '进场审批提醒', body, url: '/review', tag: `approval-${kind}-${site}-${role}` }
				);
			} catch (err) {
				this.opts.log?.(`approvals: push failed: ${String(err)}`);
			}
		}
	}
}

/** Work permits: one push per site, role and kind, linking the permit when there is one. */
const PERMIT_TEXT: Record<TimerKind, (where: string, n: number) => string> = {
	turn: (where, n) => `${where}：${n} 张作业票等待您审批。`,
	reminder: (where, n) => `${where}：${n} 张作业票审批即将超过时限，请尽快处理。`,
	overdue: (where, n) => `${where}：${n} 张作业票审批已超过时限。`,
	escalation: (where, n) => `${where}：${n} 张作业票在上一环节超时，请知悉。`
};

/** A detached copy of the maps the approval state needs (the temporary doc is destroyed after). */
function snapshot(doc: { getMap(name: string): { values(): Iterable<unknown> } }) {
	const applications = [...doc.getMap('applications').values()];
	return { getMap: () => ({ values: () => applications }) };
}
