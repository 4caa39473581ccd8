// The worker phone's one question (issue 10): `GET /api/worker/geofence` answers its *pass* — the
// site's zones, the permits naming this worker (their own line only), the gates' last word on
// whether they are on site, their latest location consent and the ping retention. The phone keeps
// it and judges each position fix against it offline (src/lib/data/geofence-pass.ts). A worker
// token reads nothing else: the site's documents hold everyone's records.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { currentConsent } from '../src/lib/data/consent-commands';
import { Worker } from '../src/lib/data/contractor';
import { controlDoc, contractorDoc } from '../src/lib/data/documents';
import { Contractor } from '../src/lib/data/org';
import { buildGeofencePass } from '../src/lib/data/geofence-pass';
import { permitCalendar } from '../src/lib/data/permits';
import { readRecord } from '../src/lib/data/records';
import { geoZones, pingRetentionDays } from '../src/lib/data/sitemap';
import { sendJson } from './api';
import { ApiError, requireToken } from './integration/http';
import type { IntegrationReplica } from './integration/replica';
import type { Relay } from './relay';

export function createWorkerApi(deps: {
	relay: Relay;
	replica: IntegrationReplica;
	now?: () => Date;
}): (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<boolean> {
	const now = deps.now ?? (() => new Date());
	return async (req, res, pathname) => {
		if (pathname !== '/api/worker/geofence') return false;
		try {
			if (req.method !== 'GET')
				throw new ApiError(
					405,
					'METHOD_NOT_ALLOWED',
					`${req.method} is not allowed here; use GET`,
					{
						allow: 'GET'
					}
				);
			if (!req.headers.authorization)
				throw new ApiError(
					401,
					'TOKEN_MISSING',
					'send Authorization: Bearer <worker token> (the phone gets one when it is enrolled)',
					{ 'www-authenticate': 'Bearer' }
				);
			const claims = requireToken(deps.relay, req);
			if (claims.role !== 'worker' || !claims.contractor)
				throw new ApiError(403, 'FORBIDDEN', 'this needs a worker token');
			const wanted = new URL(req.url ?? '/', 'http://relay').searchParams.get('site');
			const siteId = wanted ?? claims.sites?.[0];
			if (!siteId || !claims.sites?.includes(siteId))
				throw new ApiError(
					403,
					'FORBIDDEN_SITE',
					`this token is not for site ${siteId ?? '(none)'}`
				);
			const contractorRecord = readRecord(
				Contractor,
				deps.relay.orgDoc().getMap('contractors').get(claims.contractor)
			);
			if (!contractorRecord.ok || !contractorRecord.record.sites.includes(siteId))
				throw new ApiError(
					403,
					'FORBIDDEN_SITE',
					`contractor ${claims.contractor} does not work at site ${siteId}`
				);
			const site = deps.replica.siteRecord(siteId);
			const replica = deps.replica.site(siteId);
			if (!site || !replica) throw new ApiError(404, 'SITE_UNKNOWN', `no site ${siteId}`);
			const at = now();
			const worker = { contractorId: claims.contractor, workerId: claims.sub };
			const control = replica.doc(controlDoc(siteId));
			const contractor = deps.relay.read(contractorDoc(claims.contractor), (d) => {
				const w = readRecord(Worker, d.getMap('workers').get(claims.sub));
				const c = currentConsent(d, claims.sub, 'location');
				const consent = c ? { granted: c.granted, at: c.at, textVersion: c.textVersion } : null;
				return { name: w.ok ? w.record.name : null, consent };
			});
			const passage = replica.lastPassage(claims.sub, at, site.timeZone);
			const pass = buildGeofencePass({
				site: { id: site.id, name: site.name, timeZone: site.timeZone },
				worker: { id: claims.sub, contractorId: claims.contractor, name: contractor.name },
				zones: geoZones(control),
				permits: replica.permits(at, site.timeZone, worker),
				calendar: permitCalendar(control, site.timeZone),
				passage: passage ? { direction: passage.direction, at: passage.at } : null,
				consent: contractor.consent,
				pingRetentionDays: pingRetentionDays(control),
				now: at
			});
			res.setHeader('cache-control', 'no-store');
			sendJson(res, 200, pass);
		} catch (err) {
			if (!(err instanceof ApiError)) throw err;
			for (const [k, value] of Object.entries(err.headers)) res.setHeader(k, value);
			sendJson(res, err.status, { ok: false, error: { code: err.code, message: err.message } });
		}
		return true;
	};
}
