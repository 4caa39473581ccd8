// The OpenAPI 3.1 description of /api/v1 (served at /api/v1/openapi.json, no token): endpoints,
// bodies, answers, the error shape, every reason code an answer can carry, and the webhooks with
// their signature. Reason codes come from the domain, so a new code appears here by itself.
import { ACCESS_REASON_CODES, REASON_CODES } from '../../src/lib/domain';
import { VERSION } from '../version';
import { MAX_BODY_BYTES } from './http';
import { WEBHOOK_EVENTS } from './webhooks';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown, description: string) => ({
	description,
	content: { 'application/json': { schema } }
});
const error = (description: string) => json(ref('Error'), description);
const id = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' };
const bearer = [{ bearer: [] }];

const AUTH_ERRORS = {
	'401': error('TOKEN_MISSING, TOKEN_INVALID, TOKEN_EXPIRED, TOKEN_REVOKED, PRINCIPAL_DISABLED'),
	'403': error('FORBIDDEN (not an integration token), FORBIDDEN_SITE (token not for this site)')
};

export function openApiDocument(): Record<string, unknown> {
	return {
		openapi: '3.1.0',
		info: {
			title: 'SitePass integration API',
			version: VERSION,
			description:
				'Door controllers, turnstiles, machine interlocks and other systems ask the site relay whether a worker may enter or operate a machine, using the same rules as the gate tablets (entry approval, certificates and their registry checks, work scope, training, medical, blacklist, work permits). Tokens: `sitepass token --role integration --sub <name> --site <S>`; admins may also manage webhooks. Errors are `{ok:false, error:{code, message}}` with a 4xx status. Reason messages are zh-CN unless Accept-Language prefers English.'
		},
		servers: [{ url: '/' }],
		security: bearer,
		paths: {
			'/api/v1/openapi.json': {
				get: {
					summary: 'This document',
					security: [],
					responses: { '200': json({ type: 'object' }, 'OpenAPI 3.1 document') }
				}
			},
			'/api/v1/authorize': {
				post: {
					summary: 'May this worker enter (the site or a zone) or operate this machine now?',
					description: `A refusal is an answer (200, allow false, with reasons), not an error: unknown workers (WORKER_UNKNOWN) and bad passes (PASS_INVALID) included. Bodies over ${MAX_BODY_BYTES} bytes are refused (413). Zones with requiresPermit and machines with permitKinds need an active, approved permit naming the worker (in a role whose work covers the machine).`,
					parameters: [
						{
							name: 'Accept-Language',
							in: 'header',
							required: false,
							schema: { type: 'string', example: 'en' }
						}
					],
					requestBody: { required: true, ...json(ref('AuthorizeRequest'), 'The question') },
					responses: {
						'200': json(ref('AuthorizeResponse'), 'The answer'),
						'400': error(
							'INVALID_REQUEST (wrong types, not exactly one of worker.id/idNumber/pass, operate without equipment), INVALID_AT, BAD_JSON'
						),
						...AUTH_ERRORS,
						'404': error('SITE_UNKNOWN'),
						'413': error('BODY_TOO_LARGE'),
						'415': error('UNSUPPORTED_MEDIA_TYPE (send application/json)')
					}
				}
			},
			'/api/v1/sites/{site}/onsite': {
				get: {
					summary: 'Who is on site now (last admitted passage an entry; this and last month)',
					parameters: [{ name: 'site', in: 'path', required: true, schema: id }],
					responses: {
						'200': json(ref('OnSite'), 'Everyone on site'),
						...AUTH_ERRORS,
						'404': error('SITE_UNKNOWN')
					}
				}
			},
			'/api/v1/webhooks': {
				post: {
					summary: 'Register a webhook receiver (admin, or integration for its own sites)',
					description:
						'The secret is shown only in this answer; keep it to check `x-sitepass-signature`.',
					requestBody: { required: true, ...json(ref('WebhookRequest'), 'The receiver') },
					responses: {
						'201': json(
							{
								allOf: [
									ref('Webhook'),
									{
										type: 'object',
										required: ['secret'],
										properties: { secret: { type: 'string' } }
									}
								]
							},
							'Registered'
						),
						'400': error('INVALID_REQUEST (bad URL, unknown event), BAD_JSON'),
						...AUTH_ERRORS,
						'404': error('SITE_UNKNOWN'),
						'413': error('BODY_TOO_LARGE'),
						'415': error('UNSUPPORTED_MEDIA_TYPE')
					}
				},
				get: {
					summary: 'Webhook receivers this token may manage (no secrets)',
					responses: {
						'200': json(
							{
								type: 'object',
								properties: {
									ok: { const: true },
									webhooks: { type: 'array', items: ref('Webhook') }
								}
							},
							'Receivers'
						),
						...AUTH_ERRORS
					}
				}
			},
			'/api/v1/webhooks/{id}': {
				delete: {
					summary: 'Remove a receiver; its undelivered deliveries are cancelled',
					parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
					responses: {
						'200': json(
							{ type: 'object', properties: { ok: { const: true }, id: { type: 'string' } } },
							'Removed'
						),
						...AUTH_ERRORS,
						'404': error('WEBHOOK_UNKNOWN')
					}
				}
			},
			'/api/v1/webhooks/{id}/deliveries': {
				get: {
					summary: 'The latest 100 deliveries to a receiver, with attempts and last error',
					parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
					responses: {
						'200': json(
							{
								type: 'object',
								properties: {
									ok: { const: true },
									deliveries: { type: 'array', items: ref('Delivery') }
								}
							},
							'Deliveries'
						),
						...AUTH_ERRORS,
						'404': error('WEBHOOK_UNKNOWN')
					}
				}
			}
		},
		webhooks: Object.fromEntries(
			WEBHOOK_EVENTS.map((event) => [
				event,
				{
					post: {
						summary: `${event}: POSTed to each receiver subscribed to it`,
						description:
							'Headers: `x-sitepass-event` (the event), `x-sitepass-delivery` (the delivery id, the same on every retry: deduplicate on it), `x-sitepass-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. Answer 2xx to acknowledge; anything else (or no answer in 10 s) is retried with exponential backoff (2 s doubling, capped at 1 h, with jitter) until acknowledged or given up (20 attempts by default). Reject signatures whose t is far from your clock.',
						parameters: [
							{ name: 'x-sitepass-event', in: 'header', required: true, schema: { const: event } },
							{
								name: 'x-sitepass-delivery',
								in: 'header',
								required: true,
								schema: { type: 'string' }
							},
							{
								name: 'x-sitepass-signature',
								in: 'header',
								required: true,
								schema: { type: 'string' }
							}
						],
						requestBody: { required: true, ...json(ref('WebhookPayload'), 'The event') },
						responses: { '2XX': { description: 'Acknowledged; never sent again' } }
					}
				}
			])
		),
		components: {
			securitySchemes: {
				bearer: {
					type: 'http',
					scheme: 'bearer',
					bearerFormat: 'JWT (EdDSA), role integration'
				}
			},
			schemas: {
				Error: {
					type: 'object',
					required: ['ok', 'error'],
					properties: {
						ok: { const: false },
						error: {
							type: 'object',
							required: ['code', 'message'],
							properties: { code: { type: 'string' }, message: { type: 'string' } }
						}
					}
				},
				AuthorizeRequest: {
					type: 'object',
					additionalProperties: false,
					required: ['site', 'action', 'worker'],
					properties: {
						site: id,
						action: { enum: ['enter', 'operate'] },
						worker: {
							description:
								'Exactly one of id (worker id), idNumber (identity document number), pass (signed QR pass SP1.…)',
							oneOf: [
								{
									type: 'object',
									additionalProperties: false,
									required: ['id'],
									properties: { id }
								},
								{
									type: 'object',
									additionalProperties: false,
									required: ['idNumber'],
									properties: { idNumber: { type: 'string', minLength: 2, maxLength: 40 } }
								},
								{
									type: 'object',
									additionalProperties: false,
									required: ['pass'],
									properties: { pass: { type: 'string', maxLength: 2048 } }
								}
							]
						},
						contractor: { ...id, description: 'Narrows a worker id to one contractor' },
						zone: { oneOf: [id, { type: 'null' }], description: 'A zone door (control.zones)' },
						equipment: {
							oneOf: [id, { type: 'null' }],
							description: 'The machine (required for operate)'
						},
						workType: {
							oneOf: [{ type: 'string', maxLength: 40 }, { type: 'null' }],
							description:
								"Work about to be done (work-scope code); default: the machine's, else the approval's"
						},
						at: { type: 'string', format: 'date-time', description: 'Default: now' },
						ppe: {
							oneOf: [
								{
									type: 'object',
									required: ['worn', 'confidence'],
									properties: {
										worn: { oneOf: [{ type: 'boolean' }, { const: 'unknown' }] },
										confidence: { type: 'number', minimum: 0, maximum: 1 }
									}
								},
								{ type: 'null' }
							],
							description: 'A hard-hat reading; without one the hard-hat rule is not applied'
						}
					}
				},
				Reason: {
					type: 'object',
					required: ['code', 'severity', 'message'],
					additionalProperties: true,
					description:
						'Further fields depend on the code (certificateId, workType, required, permitId, …). Any deny reason means allow is false; warnings never deny.',
					properties: {
						code: { enum: [...REASON_CODES, ...ACCESS_REASON_CODES] },
						severity: { enum: ['deny', 'warn'] },
						message: { type: 'string' }
					}
				},
				Clash: {
					type: 'object',
					properties: {
						kind: { enum: ['incompatible_work', 'person_double_booked'] },
						a: { type: 'string' },
						b: { type: 'string' },
						zone: { type: 'string' },
						otherZone: { type: 'string' },
						workerId: { type: 'string' },
						from: { type: 'string', format: 'date-time' },
						until: { type: 'string', format: 'date-time' },
						message: { type: 'string' }
					}
				},
				AuthorizeResponse: {
					type: 'object',
					required: ['ok', 'allow', 'reasons', 'worker', 'workType', 'permit', 'clashes', 'at'],
					properties: {
						ok: { const: true },
						allow: { type: 'boolean' },
						reasons: { type: 'array', items: ref('Reason') },
						worker: {
							oneOf: [
								{
									type: 'object',
									properties: {
										id: { type: 'string' },
										contractorId: { type: 'string' },
										name: { type: ['string', 'null'] }
									}
								},
								{ type: 'null' }
							]
						},
						workType: { type: ['string', 'null'] },
						permit: { type: ['string', 'null'], description: 'The permit that let the worker in' },
						clashes: {
							type: 'array',
							items: ref('Clash'),
							description: "That permit's clashes with other live permits"
						},
						at: { type: 'string', format: 'date-time' }
					}
				},
				OnSite: {
					type: 'object',
					properties: {
						ok: { const: true },
						site: { type: 'string' },
						at: { type: 'string', format: 'date-time' },
						count: { type: 'integer' },
						people: {
							type: 'array',
							items: {
								type: 'object',
								properties: {
									workerId: { type: 'string' },
									contractorId: { type: ['string', 'null'] },
									name: { type: ['string', 'null'] },
									since: { type: 'string', format: 'date-time' },
									via: { enum: ['face', 'qr', 'id_pin', 'manual', null] }
								}
							}
						}
					}
				},
				WebhookRequest: {
					type: 'object',
					additionalProperties: false,
					required: ['url', 'events', 'site'],
					properties: {
						url: { type: 'string', format: 'uri', description: 'http(s), no credentials' },
						site: id,
						events: { type: 'array', minItems: 1, items: { enum: [...WEBHOOK_EVENTS] } }
					}
				},
				Webhook: {
					type: 'object',
					properties: {
						id: { type: 'string' },
						url: { type: 'string' },
						site: { type: 'string' },
						events: { type: 'array', items: { enum: [...WEBHOOK_EVENTS] } },
						createdAt: { type: 'string', format: 'date-time' },
						createdBy: { type: 'string' }
					}
				},
				Delivery: {
					type: 'object',
					properties: {
						id: { type: 'string' },
						event: { enum: [...WEBHOOK_EVENTS] },
						eventKey: { type: 'string' },
						status: { enum: ['pending', 'delivered', 'failed', 'cancelled'] },
						attempts: { type: 'integer' },
						nextAt: { type: ['string', 'null'] },
						lastError: { type: ['string', 'null'] },
						lastStatus: { type: ['integer', 'null'] },
						createdAt: { type: 'string' },
						deliveredAt: { type: ['string', 'null'] }
					}
				},
				WebhookPayload: {
					type: 'object',
					required: ['id', 'event', 'site', 'at', 'data'],
					properties: {
						id: { type: 'string', description: 'Delivery id (= x-sitepass-delivery)' },
						event: { enum: [...WEBHOOK_EVENTS] },
						site: { type: 'string' },
						at: { type: 'string', format: 'date-time', description: 'When it happened' },
						data: {
							type: 'object',
							description:
								'entry.decision: eventId, workerId, contractorId, direction, at, method, allow, reasons, deviceId. alert.raised: alertId, kind, at, workerId, zoneId, zoneName, zoneKind, cameraId, deviceId, message. permit.changed: permitId, number, kind, grade, zone, lifecycle, approval, status, validFrom, until, people [{workerId, contractorId, role}], actions, clashes.'
						}
					}
				}
			}
		}
	};
}
