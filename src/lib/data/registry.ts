// Which record type lives in which map of which document, and the check the relay runs on every
// incoming value: a plain JSON record with a version, valid if this build knows that version.
// A record from a newer build passes (sites run mixed versions during an upgrade).
import * as v from 'valibot';
import type { RecordChange, Refusal } from './access';
import { SignedDecision } from './approvals';
import { BlacklistEntry } from './blacklist';
import {
	CertificateRecord,
	ConsentRecord,
	EmergencyContact,
	EntryApplication,
	HealthRecord,
	MedicalRecord,
	TrainingRecord,
	Worker
} from './contractor';
import type { DocKind } from './documents';
import {
	Alert,
	AlertAction,
	AttendanceEvent,
	JobRating,
	LocationPing,
	SafetyIncident
} from './events';
import { Camera } from './monitor';
import { Muster, RollCallMark } from './muster';
import { Equipment, Permit, PermitAction, PermitReading, SiteZone } from './permits';
import { PpeLabel, PpeModelRecord } from './ppe-learning';
import { Contractor, Device, OrgMeta, Principal, Revoked, Site } from './org';
import { isoTime, readRecord, type RecordType } from './records';
import { KeyBinding } from './signing';
import { CertificateCheck, VerificationRecord } from './verification';
import { Acknowledgement, CertificateWarning, WarningDigest } from './warnings';

export const RECORD_TYPES: { [K in DocKind]?: Record<string, RecordType<unknown>> } = {
	org: {
		meta: OrgMeta,
		sites: Site,
		contractors: Contractor,
		users: Principal,
		devices: Device,
		keys: KeyBinding,
		revoked: Revoked
	},
	contractor: {
		workers: Worker,
		certificates: CertificateRecord,
		training: TrainingRecord,
		medical: MedicalRecord,
		health: HealthRecord,
		emergency: EmergencyContact,
		consents: ConsentRecord,
		applications: EntryApplication
	},
	control: {
		decisions: SignedDecision,
		verifications: VerificationRecord,
		checks: CertificateCheck,
		warnings: CertificateWarning,
		digests: WarningDigest,
		acks: Acknowledgement,
		cameras: Camera,
		ppeLabels: PpeLabel,
		ppeModels: PpeModelRecord,
		permits: Permit,
		permitActions: PermitAction,
		permitReadings: PermitReading,
		zones: SiteZone,
		equipment: Equipment
	},
	blacklist: { entries: BlacklistEntry },
	events: {
		attendance: AttendanceEvent,
		alerts: Alert,
		alertActions: AlertAction,
		pings: LocationPing,
		musters: Muster,
		rollcall: RollCallMark,
		ratings: JobRating,
		incidents: SafetyIncident
	}
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
	if (typeof value !== 'object' || value === null) return false;
	const proto = Object.getPrototypeOf(value);
	return proto === Object.prototype || proto === null;
}

/** Null when the change may be stored; else why not. Deletions carry no value to check. */
export function checkRecordValue(kind: DocKind, change: RecordChange): Refusal | null {
	if (change.action === 'delete') return null;
	const at = { map: change.map, key: change.key };
	if (kind === 'events' && change.map === 'received') {
		// The receiving relay's stamp (an ISO time, not a record): only the relay writes it, and a
		// site relay forwards it to headquarters (federation, offline bundles).
		return v.is(isoTime, change.value)
			? null
			: { code: 'INVALID_RECORD', message: 'a receive stamp is an ISO time', ...at };
	}
	if (!isPlainObject(change.value)) {
		return { code: 'INVALID_RECORD', message: 'a record must be a plain JSON object', ...at };
	}
	const schema = change.value.schema;
	if (typeof schema !== 'number' || !Number.isInteger(schema) || schema < 1) {
		return { code: 'INVALID_RECORD', message: 'a record must carry its schema version', ...at };
	}
	const type = RECORD_TYPES[kind]?.[change.map];
	if (!type || schema > type.version) return null;
	const read = readRecord(type, change.value);
	if (read.ok) return null;
	return {
		code: 'INVALID_RECORD',
		message: `invalid ${type.name}: ${read.issues?.[0] ?? read.code}`,
		...at
	};
}
