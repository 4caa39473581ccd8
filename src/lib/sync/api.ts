// The relay's small REST API as the app uses it: enrolment and revocation. Errors carry the
// relay's code so the UI can say what went wrong.
import type { Claims, Role, StaffRole } from '../data/access';

export class ApiError extends Error {
	constructor(
		readonly code: string,
		message: string,
		readonly status: number
	) {
		super(message);
	}
}

async function call<T>(path: string, body: unknown, token?: string): Promise<T> {
	let res: Response;
	try {
		res = await fetch(path, {
			method: 'POST',
			headers: {
				'content-type': 'application/json',
				...(token ? { authorization: `Bearer ${token}` } : {})
			},
			body: JSON.stringify(body)
		});
	} catch {
		throw new ApiError('OFFLINE', 'relay unreachable', 0);
	}
	const json = (await res.json().catch(() => null)) as
		({ ok: true } & T) | { ok: false; error: { code: string; message: string } } | null;
	if (!res.ok || !json || !json.ok) {
		const error =
			json && !json.ok ? json.error : { code: `HTTP_${res.status}`, message: res.statusText };
		throw new ApiError(error.code, error.message, res.status);
	}
	return json;
}

export function enrol(code: string, deviceName: string) {
	return call<{ token: string; claims: Claims }>('/api/enrol', { code, deviceName });
}

export interface EnrolmentRequest {
	role: Role;
	staffRole?: StaffRole;
	sub?: string;
	name: string;
	sites?: string[];
	contractor?: string;
	ttl?: string;
}

export function createEnrolment(token: string, request: EnrolmentRequest) {
	return call<{ code: string; link: string; expiresAt: string }>('/api/enrolments', request, token);
}

export function revokeToken(token: string, jti: string, reason?: string) {
	return call<object>('/api/revoke', { jti, reason }, token);
}
