// The integration API under /api/v1/ (issue 9): door controllers, turnstiles, machine interlocks
// and other systems ask the relay, with `integration` tokens, whether a worker may enter or operate
// (authorize), who is on site (muster), and subscribe to webhooks. The route table below is the
// one place routes are declared; the OpenAPI document is checked against it by a test.
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as v from 'valibot';
import type { Claims } from '../../src/lib/data/access';
import { ID_PATTERN } from '../../src/lib/data/documents';
import { sendJson } from '../api';
import type { Relay } from '../relay';
import { answerAuthorize, AuthorizeBody, checkAuthorize, localeOf } from './authorize';
import { ApiError, parseBody, readJson, requireRole, requireSite, requireToken } from './http';
import { openApiDocument } from './openapi';
import { IntegrationReplica } from './replica';
import { Outbox, urlProblem, WEBHOOK_EVENTS } from './webhooks';

export interface IntegrationContext {
	relay: Relay;
	orgId: string;
	replica: IntegrationReplica;
	outbox: Outbox;
	log: (line: string) => void;
	now?: () => number;
}

type Handler = (
	ctx: IntegrationContext,
	req: IncomingMessage,
	params: Record<string, string>
) => Promise<{ status: number; body: unknown; headers?: Record<string, string> }>;

interface Route {
	method: 'GET' | 'POST' | 'DELETE';
	/** OpenAPI path template, e.g. /api/v1/sites/{site}/onsite. */
	path: string;
	handle: Handler;
}

const WebhookBody = v.strictObject({
	url: v.pipe(v.string(), v.minLength(1)),
	site: v.pipe(v.string(), v.regex(ID_PATTERN, 'not an id')),
	events: v.pipe(
		v.array(v.picklist(WEBHOOK_EVENTS, `one of ${WEBHOOK_EVENTS.join(', ')}`)),
		v.minLength(1, 'name at least one event'),
		v.maxLength(WEBHOOK_EVENTS.length)
	)
});

function knownSite(ctx: IntegrationContext, site: string): void {
	if (!ctx.replica.siteRecord(site))
		throw new ApiError(404, 'SITE_UNKNOWN', `no site "${site}" in this org`);
}

/** The receiver, when the token may manage it (admin: any; integration: its own sites). */
function ownReceiver(ctx: IntegrationContext, claims: Claims, id: string) {
	const receiver = ctx.outbox.get(id);
	if (!receiver || (claims.role !== 'admin' && !claims.sites?.includes(receiver.site)))
		throw new ApiError(404, 'WEBHOOK_UNKNOWN', `no webhook "${id}"`);
	return receiver;
}

export const ROUTES: Route[] = [
	{
		method: 'GET',
		path: '/api/v1/openapi.json',
		handle: async () => ({ status: 200, body: openApiDocument() })
	},
	{
		method: 'POST',
		path: '/api/v1/authorize',
		handle: async (ctx, req) => {
			const claims = requireToken(ctx.relay, req);
			requireRole(claims, false);
			const body = parseBody(AuthorizeBody, await readJson(req));
			requireSite(claims, body.site);
			const at = checkAuthorize(body, new Date((ctx.now ?? Date.now)()));
			const site = ctx.replica.site(body.site);
			if (!site) throw new ApiError(404, 'SITE_UNKNOWN', `no site "${body.site}" in this org`);
			const locale = localeOf(req.headers['accept-language']);
			return {
				status: 200,
				body: answerAuthorize(ctx.replica, site, body, at, locale),
				headers: { 'content-language': locale }
			};
		}
	},
	{
		method: 'GET',
		path: '/api/v1/sites/{site}/onsite',
		handle: async (ctx, req, { site: siteId }) => {
			const claims = requireToken(ctx.relay, req);
			requireRole(claims, false);
			requireSite(claims, siteId!);
			const site = ctx.replica.site(siteId!);
			if (!site) throw new ApiError(404, 'SITE_UNKNOWN', `no site "${siteId}" in this org`);
			const at = new Date((ctx.now ?? Date.now)());
			const people = site.onSite(at, ctx.replica.siteRecord(siteId!)!.timeZone);
			return {
				status: 200,
				body: { ok: true, site: siteId, at: at.toISOString(), count: people.length, people }
			};
		}
	},
	{
		method: 'POST',
		path: '/api/v1/webhooks',
		handle: async (ctx, req) => {
			const claims = requireToken(ctx.relay, req);
			requireRole(claims, true);
			const body = parseBody(WebhookBody, await readJson(req));
			requireSite(claims, body.site);
			knownSite(ctx, body.site);
			const problem = urlProblem(body.url);
			if (problem) throw new ApiError(400, 'INVALID_REQUEST', problem);
			const { receiver, secret } = ctx.outbox.create({
				url: body.url,
				site: body.site,
				events: [...new Set(body.events)],
				by: claims.sub
			});
			ctx.log(`webhooks: ${claims.sub} added ${receiver.id} for ${receiver.site}`);
			return { status: 201, body: { ok: true, ...receiver, secret } };
		}
	},
	{
		method: 'GET',
		path: '/api/v1/webhooks',
		handle: async (ctx, req) => {
			const claims = requireToken(ctx.relay, req);
			requireRole(claims, true);
			const webhooks = ctx.outbox.list(claims.role === 'admin' ? undefined : (claims.sites ?? []));
			return { status: 200, body: { ok: true, webhooks } };
		}
	},
	{
		method: 'DELETE',
		path: '/api/v1/webhooks/{id}',
		handle: async (ctx, req, { id }) => {
			const claims = requireToken(ctx.relay, req);
			requireRole(claims, true);
			ownReceiver(ctx, claims, id!);
			ctx.outbox.remove(id!);
			ctx.log(`webhooks: ${claims.sub} removed ${id}`);
			return { status: 200, body: { ok: true, id } };
		}
	},
	{
		method: 'GET',
		path: '/api/v1/webhooks/{id}/deliveries',
		handle: async (ctx, req, { id }) => {
			const claims = requireToken(ctx.relay, req);
			requireRole(claims, true);
			ownReceiver(ctx, claims, id!);
			return { status: 200, body: { ok: true, deliveries: ctx.outbox.deliveries(id!) } };
		}
	}
];

function matcher(template: string): (pathname: string) => Record<string, string> | null {
	const names: string[] = [];
	const pattern = template.replace(/\{(\w+)\}/g, (_m, name: string) => {
		names.push(name);
		return '([^/]+)';
	});
	const re = new RegExp(`^${pattern}$`);
	return (pathname) => {
		const m = re.exec(pathname);
		if (!m) return null;
		const params: Record<string, string> = {};
		try {
			names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
		} catch {
			return null;
		}
		return params;
	};
}

const MATCHERS = ROUTES.map((r) => ({ route: r, match: matcher(r.path) }));

/** Answers /api/v1/… requests; every failure is a JSON error, 4xx for anything the caller did. */
export function createIntegrationApi(ctx: IntegrationContext) {
	return async (req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> => {
		try {
			const found = MATCHERS.map((m) => ({ route: m.route, params: m.match(pathname) })).filter(
				(m) => m.params !== null
			);
			if (found.length === 0)
				throw new ApiError(
					404,
					'NOT_FOUND',
					`No such endpoint: ${pathname} (see /api/v1/openapi.json)`
				);
			const hit = found.find((m) => m.route.method === req.method);
			if (!hit) {
				const allow = found.map((m) => m.route.method).join(', ');
				throw new ApiError(
					405,
					'METHOD_NOT_ALLOWED',
					`${req.method} is not allowed here; use ${allow}`,
					{
						allow
					}
				);
			}
			const out = await hit.route.handle(ctx, req, hit.params!);
			for (const [k, value] of Object.entries(out.headers ?? {})) res.setHeader(k, value);
			sendJson(res, out.status, out.body);
		} catch (err) {
			if (err instanceof ApiError) {
				for (const [k, value] of Object.entries(err.headers)) res.setHeader(k, value);
				// A body we refused to read must not be left half-read on a keep-alive connection.
				if (err.status === 413) res.setHeader('connection', 'close');
				return sendJson(res, err.status, {
					ok: false,
					error: { code: err.code, message: err.message }
				});
			}
			throw err;
		}
	};
}
