// The monitor (issue 8): cameras with their warning zones (`site:<S>:control` map `cameras`), the
// site's monitor settings (`settings['monitor']`), alerts raised by the zone rule
// (`site:<S>:events:<YYYY-MM>` map `alerts`) and what safety staff did about them (`alertActions`,
// append-only: the latest action counts). The rule itself is the domain's (domain/zones.ts).
import * as v from 'valibot';
import type * as Y from 'yjs';
import {
	MAX_ZONE_POINTS,
	polygonProblem,
	type PolygonProblem,
	type RuleAlert,
	type Zone
} from '../domain/zones';
import { authorizeChange } from './access';
import { AccessError, putRecord, type Actor } from './commands';
import { parseDocName } from './documents';
import { newUlid } from './event-commands';
import { Alert, AlertAction, type AlertActionKind, type PpeRecord, PPE_LABELS } from './events';
import { putPpeLabel } from './ppe-learning';
import { checkRecord, defineRecord, id, isoTime, readRecord, text } from './records';

const unit = v.pipe(v.number(), v.minValue(0), v.maxValue(1));
const url = v.pipe(
	v.string(),
	v.maxLength(1000),
	v.check((s) => {
		try {
			const u = new URL(s);
			return u.protocol === 'http:' || u.protocol === 'https:';
		} catch {
			return false;
		}
	}, 'not an http(s) URL')
);

export const CameraSource = v.variant('kind', [
	/** This device's own camera (getUserMedia). */
	v.object({ kind: v.literal('device') }),
	/** An MJPEG stream shown by an <img>. */
	v.object({ kind: v.literal('mjpeg'), url }),
	/** An HLS stream (plays where the browser plays HLS itself). */
	v.object({ kind: v.literal('hls'), url })
]);
export type CameraSource = v.InferOutput<typeof CameraSource>;

export const ZoneRecord = v.object({
	id,
	name: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
	kind: v.picklist(['danger', 'hardhat']),
	/** The site zone (control.zones) it shows: an active permit there covers intrusions. */
	siteZone: v.optional(v.nullable(id)),
	polygon: v.pipe(
		v.array(v.object({ x: unit, y: unit })),
		v.minLength(3),
		v.maxLength(MAX_ZONE_POINTS)
	)
});

/** cameras[id]: one camera and the zones drawn on its image. */
export const Camera = defineRecord({
	name: 'Camera',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		id,
		siteId: id,
		name: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
		source: CameraSource,
		zones: v.pipe(v.array(ZoneRecord), v.maxLength(32)),
		updatedAt: isoTime,
		updatedBy: text(64)
	})
});
export type Camera = v.InferOutput<typeof Camera.validate>;

/** settings['monitor']: the site's choices for the monitor. */
export const MonitorSettings = defineRecord({
	name: 'MonitorSettings',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		/** Blur faces and heads in alert snapshots (default on). */
		blurFaces: v.boolean(),
		updatedAt: isoTime,
		updatedBy: text(64)
	})
});
export type MonitorSettings = v.InferOutput<typeof MonitorSettings.validate>;

export const DEFAULT_MONITOR_SETTINGS = { blurFaces: true } as const;

export interface DocLike {
	getMap(name: string): Y.Map<unknown>;
}

/** The site's monitor settings (defaults where none were saved or they cannot be read). */
export function monitorSettings(control: DocLike): { blurFaces: boolean } {
	const read = readRecord(MonitorSettings, control.getMap('settings').get('monitor'));
	return read.ok ? { blurFaces: read.record.blurFaces } : { ...DEFAULT_MONITOR_SETTINGS };
}

export function saveMonitorSettings(
	control: Y.Doc,
	controlName: string,
	actor: Actor,
	settings: { blurFaces: boolean },
	at = new Date()
): MonitorSettings {
	return putRecord(control, controlName, actor, 'settings', 'monitor', MonitorSettings, {
		schema: 1,
		blurFaces: settings.blurFaces,
		updatedAt: at.toISOString(),
		updatedBy: actor.claims.sub
	});
}

/** Cameras of a site, by name. Unreadable records are left out here (the page lists them apart). */
export function cameras(control: DocLike): Camera[] {
	const out: Camera[] = [];
	for (const raw of control.getMap('cameras').values()) {
		const read = readRecord(Camera, raw);
		if (read.ok) out.push(read.record);
	}
	return out.sort((a, b) => a.name.localeCompare(b.name, 'zh-CN') || (a.id < b.id ? -1 : 1));
}

export type CameraProblem =
	| { code: 'NAME_REQUIRED' }
	| { code: 'URL_INVALID' }
	| { code: 'ZONE_NAME_REQUIRED'; zone: number }
	| { code: 'ZONE_NAME_DUPLICATE'; zone: number }
	| { code: 'ZONE_POLYGON'; zone: number; problem: PolygonProblem };

/** What is wrong with a camera as typed/drawn, in order; empty when it can be saved. */
export function cameraProblems(input: {
	name: string;
	source: CameraSource;
	zones: readonly Zone[];
}): CameraProblem[] {
	const out: CameraProblem[] = [];
	if (!input.name.trim()) out.push({ code: 'NAME_REQUIRED' });
	if (input.source.kind !== 'device' && !v.is(url, input.source.url))
		out.push({ code: 'URL_INVALID' });
	const names = new Set<string>();
	input.zones.forEach((z, zone) => {
		const name = z.name.trim();
		if (!name) out.push({ code: 'ZONE_NAME_REQUIRED', zone });
		else if (names.has(name)) out.push({ code: 'ZONE_NAME_DUPLICATE', zone });
		names.add(name);
		const problem = polygonProblem(z.polygon);
		if (problem) out.push({ code: 'ZONE_POLYGON', zone, problem });
	});
	return out;
}

export class CameraError extends Error {
	readonly code = 'INVALID_CAMERA';
	constructor(readonly problems: CameraProblem[]) {
		super(`camera cannot be saved: ${problems.map((p) => p.code).join(', ')}`);
	}
}

const round = (n: number) => Math.round(n * 10000) / 10000;

/** Adds or replaces a camera with its zones (checked first; nothing is written on a problem). */
export function saveCamera(
	control: Y.Doc,
	controlName: string,
	actor: Actor,
	camera: { id?: string; siteId: string; name: string; source: CameraSource; zones: Zone[] },
	at = new Date()
): Camera {
	const problems = cameraProblems(camera);
	if (problems.length) throw new CameraError(problems);
	const cameraId = camera.id ?? `cam-${newUlid(at.getTime()).toLowerCase()}`;
	return putRecord(control, controlName, actor, 'cameras', cameraId, Camera, {
		schema: 1,
		id: cameraId,
		siteId: camera.siteId,
		name: camera.name.trim(),
		source: camera.source,
		zones: camera.zones.map((z) => ({
			id: z.id,
			name: z.name.trim(),
			kind: z.kind,
			...(z.siteZone ? { siteZone: z.siteZone } : {}),
			polygon: z.polygon.map((p) => ({ x: round(p.x), y: round(p.y) }))
		})),
		updatedAt: at.toISOString(),
		updatedBy: actor.claims.sub
	});
}

export function deleteCamera(control: Y.Doc, controlName: string, actor: Actor, cameraId: string) {
	const map = control.getMap('cameras');
	if (!map.has(cameraId)) return false;
	const ref = parseDocName(controlName);
	if (!ref) throw new Error(`not a document name: ${controlName}`);
	// The same access check a put makes (staff of the site only).
	const refusal = authorizeChange(
		actor.claims,
		ref,
		{ map: 'cameras', key: cameraId, action: 'delete' },
		actor.org
	);
	if (refusal) throw new AccessError(refusal);
	control.transact(() => map.delete(cameraId));
	return true;
}

/** A new zone id (unique within a camera, stable when the zone is renamed). */
export function newZoneId(at = Date.now()): string {
	return `z-${newUlid(at).toLowerCase().slice(-12)}`;
}

// ---------------------------------------------------------------------------------------------
// Alerts.

export interface RaiseAlertInput {
	siteId: string;
	cameraId: string;
	deviceId: string;
	rule: RuleAlert;
	/** The frame size the observation's pixels refer to (to store normalised positions). */
	box?: { x: number; y: number; width: number; height: number } | null;
	ppe?: PpeRecord | null;
	snapshot?: string | null;
	blurred?: boolean;
	at?: Date;
}

const clamp01 = (n: number) => (n < 0 ? 0 : n > 1 ? 1 : round(n));

/** The alert record for one rule alert, validated, not yet written. */
export function buildAlert(input: RaiseAlertInput): Alert {
	const at = input.at ?? new Date(input.rule.at);
	const { rule } = input;
	const alertId = newUlid(at.getTime());
	return checkRecord(Alert, {
		schema: 1,
		id: alertId,
		siteId: input.siteId,
		kind: rule.kind === 'intrusion' ? 'zone' : 'ppe',
		at: at.toISOString(),
		workerId: null,
		zoneId: rule.zone.id,
		zoneName: rule.zone.name.slice(0, 64),
		zoneKind: rule.zone.kind,
		cameraId: input.cameraId,
		deviceId: input.deviceId.slice(0, 64),
		trackId: rule.trackId,
		feet: { x: clamp01(rule.observation.feet.x), y: clamp01(rule.observation.feet.y) },
		box: input.box
			? {
					x: clamp01(input.box.x),
					y: clamp01(input.box.y),
					width: clamp01(input.box.width),
					height: clamp01(input.box.height)
				}
			: null,
		ppe: input.ppe ?? null,
		snapshot: input.snapshot ?? null,
		blurred: input.blurred ?? true
	});
}

/** Writes an alert into the site's events document of its month (append-only, ULID key). */
export function raiseAlert(events: Y.Doc, eventsName: string, actor: Actor, alert: Alert): Alert {
	if (events.getMap('alerts').has(alert.id)) return alert;
	return putRecord(events, eventsName, actor, 'alerts', alert.id, Alert, alert);
}

export interface ActInput {
	alert: Pick<Alert, 'id' | 'siteId'>;
	action: AlertActionKind;
	label?: (typeof PPE_LABELS)[number] | null;
	note?: string;
}

/** Records what an officer did about an alert (into the events document holding the alert). */
export function actOnAlert(
	events: Y.Doc,
	eventsName: string,
	actor: Actor,
	input: ActInput,
	at = new Date()
): AlertAction {
	const actionId = newUlid(at.getTime());
	const note = input.note?.trim();
	return putRecord(events, eventsName, actor, 'alertActions', actionId, AlertAction, {
		schema: 1,
		id: actionId,
		alertId: input.alert.id,
		siteId: input.alert.siteId,
		action: input.action,
		label: input.label ?? null,
		...(note ? { note: note.slice(0, 500) } : {}),
		by: actor.claims.sub,
		at: at.toISOString()
	});
}

/**
 * An officer's action on an alert, and — for a PPE alert with features and a label the action
 * implies (learningLabel) — the label for the site's hard-hat learning (control.ppeLabels, source
 * 'alert', relabelling replaces). The action is written first; it stands even if the label cannot
 * be (returned as `labelError`).
 */
export function actOnAlertAndLearn(
	target: {
		events: Y.Doc;
		eventsName: string;
		control: Y.Doc;
		controlName: string;
	},
	actor: Actor,
	alert: Alert,
	input: Omit<ActInput, 'alert'>,
	featureNames: readonly string[],
	at = new Date()
): { action: AlertAction; label: string | null; labelError: Error | null } {
	const action = actOnAlert(target.events, target.eventsName, actor, { ...input, alert }, at);
	const learn = learningLabel(alert, action);
	if (!learn) return { action, label: null, labelError: null };
	try {
		const label = putPpeLabel(
			target.control,
			{
				source: 'alert',
				ref: alert.id,
				snapshot: alert.ppe?.crop ?? alert.snapshot ?? null,
				features: learn.features,
				featureNames: [...featureNames],
				label: learn.label,
				by: actor.claims.sub,
				at: at.toISOString()
			},
			{ ...actor, docName: target.controlName }
		);
		return { action, label, labelError: null };
	} catch (err) {
		return { action, label: null, labelError: err as Error };
	}
}

export interface AlertView {
	alert: Alert;
	/** Every action on it, oldest first. */
	actions: AlertAction[];
	latest: AlertAction | null;
	/** No action yet, or only acknowledged: still to be closed (false alarm or resolved). */
	open: boolean;
	/** Nobody has acted on it at all. */
	unhandled: boolean;
}

/** Alerts of the given events documents with their actions, newest first. */
export function alertViews(docs: readonly DocLike[]): AlertView[] {
	const actions = new Map<string, AlertAction[]>();
	const alerts: Alert[] = [];
	for (const doc of docs) {
		for (const raw of doc.getMap('alertActions').values()) {
			const read = readRecord(AlertAction, raw);
			if (!read.ok) continue;
			const list = actions.get(read.record.alertId) ?? [];
			list.push(read.record);
			actions.set(read.record.alertId, list);
		}
		for (const raw of doc.getMap('alerts').values()) {
			const read = readRecord(Alert, raw);
			if (read.ok) alerts.push(read.record);
		}
	}
	return alerts
		.map((alert) => {
			const list = (actions.get(alert.id) ?? []).sort((a, b) =>
				a.at < b.at ? -1 : a.at > b.at ? 1 : a.id < b.id ? -1 : 1
			);
			const latest = list.at(-1) ?? null;
			return {
				alert,
				actions: list,
				latest,
				open: !latest || latest.action === 'ack',
				unhandled: !latest
			};
		})
		.sort((a, b) => (a.alert.id < b.alert.id ? 1 : -1));
}

/**
 * The label an officer's action gives a PPE alert for site learning (null when it teaches
 * nothing: not a PPE alert, no features, or no label). A false alarm without an explicit label
 * on a "no hard hat" alert means the person did wear one.
 */
export function learningLabel(
	alert: Alert,
	action: Pick<AlertAction, 'action' | 'label'>
): { label: (typeof PPE_LABELS)[number]; features: number[] } | null {
	if (alert.kind !== 'ppe' || !alert.ppe?.features?.length) return null;
	const label =
		action.label ??
		(action.action === 'false_alarm' ? 'hardhat' : action.action === 'resolved' ? 'none' : null);
	return label ? { label, features: alert.ppe.features } : null;
}

/**
 * Head regions to blur in a snapshot (frame pixels): each person's head box grown by 0.8 of its
 * size on every side, or the top quarter of the person when no head was found.
 */
export function blurRegions(
	people: readonly {
		box: { x: number; y: number; width: number; height: number };
		head: { x: number; y: number; width: number; height: number } | null;
	}[]
): { x: number; y: number; width: number; height: number }[] {
	return people.map(({ box, head }) => {
		if (head) {
			// Landmarks 0–10 span eyes, ears and mouth: grown to take in hair, chin and a hat brim.
			const grow = Math.max(head.width, head.height) * 0.8;
			return {
				x: head.x - grow,
				y: head.y - grow,
				width: head.width + 2 * grow,
				height: head.height + 2 * grow
			};
		}
		return { x: box.x, y: box.y - box.height * 0.05, width: box.width, height: box.height * 0.25 };
	});
}
