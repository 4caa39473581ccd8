// Federation, both ends' HTTP side. At headquarters: `GET /api/federation/docs` tells a site relay
// (its `relay` token) which documents it reads here, including ones that exist only at HQ (a
// contractor created at HQ, the blacklist), and remembers which sites are served by a downstream
// relay (HQ's own timers leave those sites' findings to it). At any relay:
// `GET /api/federation/status` (admin or hq token) shows the upstream links and the downstream
// sites.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { docAccess } from '../../src/lib/data/access';
import { sendJson } from '../api';
import type { Relay } from '../relay';
import type { Upstream } from './upstream';

const SETTING = 'federation_downstream';
/**
 * A site relay lists its documents here every minute; one not seen for this long is taken as
 * retired (HQ's own certificate watch then serves its site again).
 */
export const DOWNSTREAM_EXPIRY_MS = 3 * 86_400_000;

/** A site served by a downstream relay, as HQ last saw it. */
export interface DownstreamSite {
	/** The relay token's subject. */
	relay: string;
	lastSeen: string;
}

/** Sites whose own relay federates to this one (kept across restarts in the relay's settings). */
export class DownstreamSites {
	private sites: Record<string, DownstreamSite>;

	constructor(private readonly relay: Relay) {
		let parsed: unknown = null;
		try {
			parsed = JSON.parse(relay.storage.getSetting(SETTING) ?? 'null');
		} catch {
			parsed = null;
		}
		this.sites =
			parsed && typeof parsed === 'object' ? (parsed as Record<string, DownstreamSite>) : {};
	}

	/** Whether a downstream relay serves `siteId` (seen in the last three days). */
	has(siteId: string, now = Date.now()): boolean {
		const entry = Object.hasOwn(this.sites, siteId) ? this.sites[siteId] : undefined;
		return !!entry && now - Date.parse(entry.lastSeen) < DOWNSTREAM_EXPIRY_MS;
	}

	/** The sites served downstream now (expired entries are forgotten). */
	list(now = Date.now()): Record<string, DownstreamSite> {
		this.forget(now);
		return { ...this.sites };
	}

	/** Drops expired entries, from the stored copy too. */
	private forget(now: number): void {
		const gone = Object.keys(this.sites).filter((s) => !this.has(s, now));
		for (const s of gone) delete this.sites[s];
		if (gone.length > 0) this.relay.storage.setSetting(SETTING, JSON.stringify(this.sites));
	}

	note(sites: readonly string[], relaySub: string, at = new Date()): void {
		const day = at.toISOString().slice(0, 10);
		// Written when something changed, and once a day for lastSeen (not on every listing).
		const stale = sites.some(
			(s) => this.sites[s]?.relay !== relaySub || this.sites[s]?.lastSeen.slice(0, 10) !== day
		);
		for (const s of sites) this.sites[s] = { relay: relaySub, lastSeen: at.toISOString() };
		if (stale) this.relay.storage.setSetting(SETTING, JSON.stringify(this.sites));
		this.forget(at.getTime());
	}
}

export interface FederationApiOptions {
	relay: Relay;
	downstream: DownstreamSites;
	/** This relay's own upstream link, when it is a federated site relay. */
	upstream: Upstream | null;
	log: (line: string) => void;
}

/** Handles /api/federation/*; false for other paths. */
export function createFederationApi(opts: FederationApiOptions) {
	const { relay } = opts;
	const fail = (res: ServerResponse, status: number, code: string, message: string) =>
		sendJson(res, status, { ok: false, error: { code, message } });

	return async (req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> => {
		if (!pathname.startsWith('/api/federation/')) return false;
		if (req.method !== 'GET') {
			res.setHeader('allow', 'GET');
			fail(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed here`);
			return true;
		}
		const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
		const check = relay.verify(match?.[1]);
		if (!check.ok) {
			fail(res, 401, check.code, check.message);
			return true;
		}
		const claims = check.claims;
		if (pathname === '/api/federation/docs') {
			if (claims.role !== 'relay') {
				fail(res, 403, 'FORBIDDEN', 'only a site relay’s token (role relay) lists documents here');
				return true;
			}
			const org = relay.orgView();
			const names = new Set(['org', 'blacklist', ...relay.docNames()]);
			const docs = [...names].filter((name) => docAccess(claims, name, org).read).sort();
			opts.downstream.note(claims.sites ?? [], claims.sub);
			sendJson(res, 200, { ok: true, docs });
			return true;
		}
		if (pathname === '/api/federation/status') {
			if (claims.role !== 'admin' && claims.role !== 'hq') {
				fail(res, 403, 'FORBIDDEN', 'only an admin or headquarters sees the federation status');
				return true;
			}
			sendJson(res, 200, {
				ok: true,
				upstream: opts.upstream?.status() ?? null,
				downstream: opts.downstream.list()
			});
			return true;
		}
		fail(res, 404, 'NOT_FOUND', `No such endpoint: ${pathname}`);
		return true;
	};
}
