// POST /api/federation/bundle: a running relay (headquarters) takes a site's offline bundle. The
// caller needs a relay or admin token of this relay (who may hand in a file); what the bundle may
// write is decided by the relay token inside it, exactly as `sitepass bundle import` does. Body: the
// bundle file (application/octet-stream). An encrypted bundle's passphrase goes in the
// `x-sitepass-passphrase` header, percent-encoded (use TLS). Answers carry a `code` and a Chinese
// `message` a person can act on; `detail` is the English sentence the CLI prints.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../api';
import type { Relay } from '../relay';
import type { RelayKeys } from '../tokens';
import { BundleError, type BundleErrorCode } from './format';
import { importBundle, type ImportTarget } from './import';

export const BUNDLE_PATH = '/api/federation/bundle';
/**
 * Largest bundle taken over HTTP (a bigger one: `sitepass bundle import` on the stopped relay). The
 * body is held in memory and copied a few times while it is checked (decryption, parts, the
 * rehearsal's documents), and one bundle is imported at a time, so this bounds what a POST costs.
 */
export const MAX_BUNDLE_BYTES = 32 * 1024 * 1024;
const MAX_MIB = Math.round(MAX_BUNDLE_BYTES / (1024 * 1024));

export interface BundleApiContext {
	relay: Relay;
	keys: RelayKeys;
	orgId: string;
	log: (line: string) => void;
	maxBytes?: number;
	downstream?: ImportTarget['downstream'];
	/** At a federated site relay: its upstream token's claims (headquarters' bundles need them). */
	siteClaims?: ImportTarget['siteClaims'];
}

/** What people read when a bundle is refused, per code. */
export const BUNDLE_MESSAGES_ZH: Record<
	BundleErrorCode | 'UNAUTHORIZED' | 'FORBIDDEN' | 'BODY_TOO_LARGE' | 'BODY_INCOMPLETE' | 'BUSY',
	string
> = {
	BUNDLE_MALFORMED: '这不是 SitePass 数据包文件，或文件不完整。请重新从现场导出并完整复制。',
	BUNDLE_VERSION: '数据包的格式版本与本系统不符。请先升级导入端的 SitePass。',
	BUNDLE_TAMPERED:
		'数据包内容与签名的校验值不符：文件在导出后被改动或复制不完整。请重新从现场导出。',
	BUNDLE_SIGNATURE: '数据包签名无效：文件在导出后被改动。请重新从现场导出。',
	BUNDLE_PASSPHRASE_NEEDED: '数据包已加密，请提供导出时设置的口令。',
	BUNDLE_ENCRYPTION:
		'数据包的加密参数不是 SitePass 使用的参数，已拒绝（不会为它计算密钥）。请在现场用 SitePass 重新导出。',
	BUNDLE_PASSPHRASE_WRONG: '口令错误，无法解密数据包。请向导出人员核对口令。',
	BUNDLE_OTHER_ORG: '数据包属于另一个组织，不能导入本中继。',
	BUNDLE_TOKEN_INVALID:
		'数据包中的中继令牌在本中继无效（非本中继签发或已过期）。请为现场重新签发中继令牌后再导出。',
	BUNDLE_TOKEN_MAC:
		'数据包的令牌校验码不符：文件在导出后被改动，或其中的中继令牌不是本中继签发的。请在现场用总部签发的中继令牌重新导出。',
	BUNDLE_TOKEN_REVOKED:
		'数据包中的中继令牌已被吊销，数据包被拒绝。如现场仍需上报，请重新签发令牌。',
	BUNDLE_TOKEN_ROLE: '数据包中的令牌不是现场中继令牌（角色 relay），不能携带数据包。',
	BUNDLE_KEY_MISMATCH:
		'数据包的签名密钥与此令牌先前数据包的密钥不同，已拒绝。如现场中继确实重装，请吊销其令牌并重新签发。',
	BUNDLE_DOC_FORBIDDEN: '数据包中包含该现场中继令牌无权写入的文档，整个数据包未导入。',
	BUNDLE_DOC_REFUSED: '数据包中的某个文档未通过中继的规则检查，整个数据包未导入。',
	BUNDLE_DIRECTION: '这是总部发往现场的数据包，请在现场中继导入。',
	BUNDLE_PARTIAL:
		'导入中途因存储出错而停止，部分文档已写入、其余未写入。请排除故障（如磁盘空间）后重新提交同一个数据包，已写入的内容不会重复。',
	BUNDLE_SITE_UNKNOWN:
		'导入总部数据包需要本工地中继的上级令牌。请停止中继后用 sitepass bundle import --token-file <上级令牌文件> 导入。',
	BUNDLE_OTHER_SITE:
		'这个总部数据包是为其他工地制作的，不能导入本工地中继。请让总部用本工地的中继令牌重新导出。',
	UNAUTHORIZED: '请使用本中继的管理员或中继令牌提交数据包。',
	FORBIDDEN: '只有管理员或中继令牌可以提交数据包。',
	BODY_TOO_LARGE: `数据包超过 ${MAX_MIB} MiB，不能通过网页提交。请把文件复制到总部中继所在的服务器，停止中继后用 sitepass bundle import 导入。`,
	BODY_INCOMPLETE: '数据包上传中断，请重新提交。',
	BUSY: '中继正在导入另一个数据包，请稍后再提交。'
};

const STATUS: Partial<Record<BundleErrorCode, number>> = {
	BUNDLE_OTHER_ORG: 403,
	BUNDLE_TOKEN_INVALID: 403,
	BUNDLE_TOKEN_MAC: 403,
	BUNDLE_TOKEN_REVOKED: 403,
	BUNDLE_TOKEN_ROLE: 403,
	BUNDLE_KEY_MISMATCH: 403,
	BUNDLE_DOC_FORBIDDEN: 403,
	BUNDLE_DOC_REFUSED: 422,
	BUNDLE_OTHER_SITE: 403,
	BUNDLE_PARTIAL: 500
};

function refuse(
	res: ServerResponse,
	status: number,
	code: keyof typeof BUNDLE_MESSAGES_ZH,
	detail: string,
	doc?: string
) {
	sendJson(res, status, {
		ok: false,
		error: {
			code,
			message: BUNDLE_MESSAGES_ZH[code] + (doc ? `（文档：${doc}）` : ''),
			detail,
			...(doc ? { doc } : {})
		}
	});
}

/**
 * The request body, or why there is none. Past `max` bytes (declared or received) it stops reading
 * and answers at once; the socket stays open for the 413 and is closed after it.
 */
function readFile(req: IncomingMessage, max: number): Promise<Buffer | 'too-large' | 'cut'> {
	return new Promise((resolve) => {
		let settled = false;
		const done = (result: Buffer | 'too-large' | 'cut') => {
			if (settled) return;
			settled = true;
			resolve(result);
		};
		const declared = Number(req.headers['content-length']);
		if (Number.isFinite(declared) && declared > max) return done('too-large');
		const chunks: Buffer[] = [];
		let size = 0;
		const onData = (chunk: Buffer) => {
			size += chunk.length;
			if (size > max) {
				chunks.length = 0;
				req.off('data', onData);
				req.pause();
				done('too-large');
			} else chunks.push(chunk);
		};
		req.on('data', onData);
		req.on('error', () => done('cut'));
		req.on('close', () => {
			if (!req.complete) done('cut');
		});
		req.on('end', () => done(Buffer.concat(chunks, size)));
	});
}

/** The handler; false when the path is not ours. */
export function createBundleApi(ctx: BundleApiContext) {
	const max = ctx.maxBytes ?? MAX_BUNDLE_BYTES;
	let busy = false;
	return async (req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> => {
		if (pathname !== BUNDLE_PATH) return false;
		if (req.method !== 'POST') {
			res.setHeader('allow', 'POST');
			sendJson(res, 405, {
				ok: false,
				error: { code: 'METHOD_NOT_ALLOWED', message: '只接受 POST 提交数据包。' }
			});
			return true;
		}
		const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
		const check = ctx.relay.verify(bearer);
		if (!check.ok) {
			refuse(res, 401, 'UNAUTHORIZED', check.message);
			return true;
		}
		if (!['admin', 'relay'].includes(check.claims.role)) {
			refuse(res, 403, 'FORBIDDEN', `role ${check.claims.role} may not hand in bundles`);
			return true;
		}
		if (busy) {
			res.setHeader('connection', 'close');
			res.setHeader('retry-after', '10');
			refuse(res, 503, 'BUSY', 'another bundle is being imported');
			return true;
		}
		busy = true;
		try {
			await handIn(req, res, check.claims.sub);
		} finally {
			busy = false;
		}
		return true;
	};

	async function handIn(req: IncomingMessage, res: ServerResponse, by: string): Promise<void> {
		const body = await readFile(req, max);
		if (body === 'too-large') {
			res.setHeader('connection', 'close');
			res.on('finish', () => req.destroy());
			refuse(
				res,
				413,
				'BODY_TOO_LARGE',
				`bundles over HTTP are at most ${max} bytes; import a bigger one with "sitepass bundle import" on the stopped relay`
			);
			return;
		}
		if (body === 'cut') {
			refuse(res, 400, 'BODY_INCOMPLETE', 'the upload was cut short');
			return;
		}
		let passphrase: string | undefined;
		const raw = req.headers['x-sitepass-passphrase'];
		if (typeof raw === 'string' && raw) {
			try {
				passphrase = decodeURIComponent(raw);
			} catch {
				passphrase = raw;
			}
		}
		try {
			const result = await importBundle(ctx, body, { passphrase });
			ctx.log(
				`bundle: imported ${result.id.slice(0, 12)} from ${result.subject} (${result.docs.length} documents, ${result.docs.filter((d) => d.changed).length} changed), handed in by ${by}`
			);
			sendJson(res, 200, { ok: true, result });
		} catch (err) {
			if (err instanceof BundleError) {
				ctx.log(`bundle: refused from ${by}: ${err.message}`);
				refuse(res, STATUS[err.code] ?? 400, err.code, err.message, err.doc);
			} else {
				ctx.log(`bundle: import failed: ${String((err as Error)?.stack ?? err)}`);
				sendJson(res, 500, {
					ok: false,
					error: {
						code: 'INTERNAL',
						message: '导入数据包时中继内部出错。请查看中继日志，排除故障后重新提交同一个数据包。'
					}
				});
			}
		}
	}
}
