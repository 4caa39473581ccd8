// The `site:<S>:events:<YYYY-MM>` documents: append-only logs keyed by ULID (never array
// positions), so events recorded offline on many devices merge without loss or reordering.
import * as v from 'valibot';
import { defineRecord, id, isoTime, text } from './records';

const position = v.object({
	lat: v.pipe(v.number(), v.minValue(-90), v.maxValue(90)),
	lng: v.pipe(v.number(), v.minValue(-180), v.maxValue(180)),
	accuracy: v.optional(v.pipe(v.number(), v.minValue(0)))
});

export const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;
export const ulidSchema = v.pipe(v.string(), v.regex(ULID_PATTERN, 'not a ULID'));
const sha256Hex = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/));
const unit = v.pipe(v.number(), v.minValue(0), v.maxValue(1));
const normPoint = v.object({ x: unit, y: unit });
const normBox = v.object({ x: unit, y: unit, width: unit, height: unit });

/**
 * A hard-hat reading as recorded with a gate decision or an alert (types.ts PpeObservation, minus
 * the region): the features let safety staff's labels train the site's model later; `crop` is a
 * blob of the head-top region with the face blurred, for the person labelling it.
 */
export const PpeRecord = v.object({
	worn: v.union([v.boolean(), v.literal('unknown')]),
	confidence: v.pipe(v.number(), v.minValue(0), v.maxValue(1)),
	reason: v.optional(v.nullable(v.string())),
	model: text(64),
	features: v.optional(v.nullable(v.pipe(v.array(v.number()), v.maxLength(256)))),
	crop: v.optional(v.nullable(sha256Hex))
});
export type PpeRecord = v.InferOutput<typeof PpeRecord>;

/** attendance[ulid]: one gate decision, written locally before the gate says anything. */
export const AttendanceEvent = defineRecord({
	name: 'AttendanceEvent',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		id: ulidSchema,
		siteId: id,
		workerId: v.nullable(id),
		contractorId: v.optional(v.nullable(id)),
		direction: v.picklist(['in', 'out']),
		/** Device clock; the relay's receive time is recorded separately when it sees the event. */
		at: isoTime,
		deviceId: text(64),
		method: v.picklist(['face', 'qr', 'id_pin', 'manual']),
		matchScore: v.optional(v.nullable(v.number())),
		liveness: v.optional(v.nullable(v.picklist(['passed', 'failed', 'not_checked']))),
		allow: v.boolean(),
		/** The decision's reasons, as data (codes and their fields). */
		reasons: v.array(v.looseObject({ code: v.string(), severity: v.picklist(['deny', 'warn']) })),
		position: v.optional(v.nullable(position)),
		snapshot: v.optional(v.nullable(sha256Hex)),
		/** The hard-hat check, when the site requires it at this gate. */
		ppe: v.optional(v.nullable(PpeRecord))
	})
});
export type AttendanceEvent = v.InferOutput<typeof AttendanceEvent.validate>;

export const Alert = defineRecord({
	name: 'Alert',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		id: ulidSchema,
		siteId: id,
		kind: v.picklist(['ppe', 'zone', 'geofence', 'gate', 'other']),
		at: isoTime,
		workerId: v.optional(v.nullable(id)),
		zoneId: v.optional(v.nullable(id)),
		deviceId: text(64),
		message: v.optional(text(500)),
		snapshot: v.optional(v.nullable(v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)))),
		// The monitor's alerts (issue 8); all optional, so older alerts stay valid.
		/** The camera (control.cameras) that saw it. */
		cameraId: v.optional(v.nullable(id)),
		/** The zone's name and kind when the alert was raised (zones can be renamed or deleted). */
		zoneName: v.optional(v.nullable(text(64))),
		zoneKind: v.optional(v.nullable(v.picklist(['danger', 'hardhat']))),
		/** The monitor's track id of the person (per camera session, not an identity). */
		trackId: v.optional(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(0)))),
		/** The hard-hat reading of a PPE alert (its features feed site learning when labelled). */
		ppe: v.optional(v.nullable(PpeRecord)),
		/** The person's bounds and where they stood, normalised to the image (0..1). */
		box: v.optional(v.nullable(normBox)),
		feet: v.optional(v.nullable(normPoint)),
		/** Whether faces/heads in the snapshot were blurred (the site's choice, default yes). */
		blurred: v.optional(v.boolean())
	})
});
export type Alert = v.InferOutput<typeof Alert.validate>;

/** What safety staff did about an alert. `label` says what the picture showed (site learning). */
export const ALERT_ACTIONS = ['ack', 'false_alarm', 'resolved'] as const;
export type AlertActionKind = (typeof ALERT_ACTIONS)[number];
export const PPE_LABELS = ['hardhat', 'none', 'not_person'] as const;

/** alertActions[ulid]: one action on one alert, append-only (the latest one counts). */
export const AlertAction = defineRecord({
	name: 'AlertAction',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		id: ulidSchema,
		alertId: ulidSchema,
		siteId: id,
		action: v.picklist(ALERT_ACTIONS),
		label: v.optional(v.nullable(v.picklist(PPE_LABELS))),
		note: v.optional(text(500)),
		by: id,
		at: isoTime
	})
});
export type AlertAction = v.InferOutput<typeof AlertAction.validate>;

/** pings[ulid]: a worker phone's position (opt-in, between entry and exit only). */
export const LocationPing = defineRecord({
	name: 'LocationPing',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		id: ulidSchema,
		workerId: id,
		at: isoTime,
		...position.entries
	})
});
export type LocationPing = v.InferOutput<typeof LocationPing.validate>;

/** A job rating's scale: 1 (poor) to 5 (excellent), whole numbers. */
const grade = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(5));

/**
 * ratings[ulid]: a supervisor's rating of one finished job of a contractor (issue 11). Append-only:
 * a correction is a new rating of the same job by the same person, and the latest one (by `at`,
 * then key) counts (ratings.ts `currentRatings`). A job is a closed permit (`job.permitId`) or a
 * job named freely by its title.
 */
export const JobRating = defineRecord({
	name: 'JobRating',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		siteId: id,
		contractorId: id,
		job: v.object({ permitId: v.optional(id), title: v.pipe(text(200), v.minLength(1)) }),
		/** Task quality (作业质量). */
		quality: grade,
		/** Safety conduct (安全行为). */
		safety: grade,
		/** Tidiness (文明施工/现场整洁). */
		tidiness: grade,
		comment: v.optional(text(500)),
		workerIds: v.optional(v.pipe(v.array(id), v.maxLength(500))),
		at: isoTime,
		by: id,
		byName: text(50)
	})
});
export type JobRating = v.InferOutput<typeof JobRating.validate>;

export const INCIDENT_SEVERITIES = ['near_miss', 'minor', 'serious'] as const;
export type IncidentSeverity = (typeof INCIDENT_SEVERITIES)[number];

/** incidents[ulid]: a safety incident of a contractor's people, recorded by site staff (append-only). */
export const SafetyIncident = defineRecord({
	name: 'SafetyIncident',
	version: 1,
	validate: v.object({
		schema: v.literal(1),
		siteId: id,
		contractorId: id,
		workerIds: v.pipe(v.array(id), v.maxLength(500)),
		severity: v.picklist(INCIDENT_SEVERITIES),
		title: v.pipe(text(200), v.minLength(1)),
		note: v.optional(text(2000)),
		/** When it happened (not when it was written down). */
		at: isoTime,
		by: id,
		byName: text(50)
	})
});
export type SafetyIncident = v.InferOutput<typeof SafetyIncident.validate>;

/** How far ahead of the relay's clock an event may be dated (devices' clocks drift a little). */
export const EVENT_FUTURE_ALLOWANCE_MS = 10 * 60_000;

/**
 * The relay's check of an event's time against its own clock: a ping, tick, muster or alert
 * dated ahead would escape the retention, or win every "latest counts" comparison (a roll-call
 * tick nobody could override). Null when fine or not an event with a time.
 */
export function eventTimeRefusal(
	kind: string,
	change: { map: string; key: string; action: string; value?: unknown },
	now: number
): { code: 'INVALID_RECORD'; message: string; map: string; key: string } | null {
	if (kind !== 'events' || change.action === 'delete') return null;
	const v = (change.value ?? {}) as Record<string, unknown>;
	const times =
		change.map === 'musters'
			? [v.startedAt, v.endedAt]
			: ['pings', 'rollcall', 'alerts', 'alertActions', 'ratings', 'incidents'].includes(change.map)
				? [v.at]
				: [];
	for (const t of times) {
		if (typeof t !== 'string') continue;
		if (Date.parse(t) > now + EVENT_FUTURE_ALLOWANCE_MS)
			return {
				code: 'INVALID_RECORD',
				message: `${change.map} cannot be dated in the future (${t}); check this device’s clock`,
				map: change.map,
				key: change.key
			};
	}
	return null;
}
