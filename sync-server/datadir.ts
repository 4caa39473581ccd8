// Opening a relay data directory: the database, the signing keys, a lock that keeps two relays off
// one directory, and on first use the org itself (id, meta record, the first admin enrolment code).
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as Y from 'yjs';
import { OrgMeta, Principal } from '../src/lib/data/org';
import { checkRecord } from '../src/lib/data/records';
import { Storage } from './storage';
import { loadOrCreateKeys, type RelayKeys } from './tokens';

/** One-time enrolment codes are good for a day. */
export const ENROLMENT_CODE_TTL_MS = 24 * 3600 * 1000;
/** Lifetime of the token the first admin's code turns into. */
export const DEFAULT_TOKEN_TTL_SECONDS = 180 * 86400;
/** The principal id of the org's first admin. */
export const FIRST_ADMIN_ID = 'admin';

export interface DataDir {
	dir: string;
	storage: Storage;
	keys: RelayKeys;
	orgId: string;
	/** Set when this call created the org: the first admin's one-time enrolment code. */
	created: { adminCode: string; expiresAt: number } | null;
	/** Closes the database and gives up the lock. */
	close(): void;
}

export interface OpenOptions {
	orgName?: string;
	/** Take the directory's lock (the relay does; one-shot commands that only read keys do not). */
	lock?: boolean;
	now?: number;
	/**
	 * A site relay federated to headquarters (sync-server/federation): the org is HQ's (`orgId`,
	 * from the upstream token's `iss`); no org meta record of its own is written (HQ's comes down)
	 * and the first admin gets `firstAdminId`, so it is not HQ's admin in the shared org.
	 */
	federation?: { orgId: string; firstAdminId: string };
}

/** The setting that marks a data folder as a federated site relay's (the HQ org id). */
export const FEDERATED_SETTING = 'federation_org';

/** A random id matching ID_PATTERN (lowercase base32-ish, so it reads well in logs and links). */
export function randomId(prefix: string, length = 12): string {
	const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
	const bytes = randomBytes(length);
	let out = prefix;
	for (const b of bytes) out += alphabet[b % alphabet.length];
	return out;
}

export function hashCode(code: string): string {
	return createHash('sha256').update(code).digest('hex');
}

/** Creates a one-time enrolment code for `principal`; only its hash is stored. */
export function createEnrolmentCode(
	storage: Storage,
	principal: Principal,
	tokenTtl: number,
	createdBy: string,
	now = Date.now()
): { code: string; expiresAt: number } {
	const code = randomBytes(24).toString('base64url');
	const expiresAt = now + ENROLMENT_CODE_TTL_MS;
	storage.addEnrolment({
		codeHash: hashCode(code),
		principal: JSON.stringify(principal),
		tokenTtl,
		createdAt: now,
		expiresAt,
		createdBy
	});
	return { code, expiresAt };
}

/** Folders locked by this process (a lock file naming our own pid may be a stale one from a
 * previous run that had the same pid, as in a container where the relay is always pid 1). */
const heldHere = new Set<string>();

function acquireLock(dir: string): () => void {
	const file = join(dir, 'relay.lock');
	if (heldHere.has(dir)) throw new Error(`another relay in this process is using ${dir}`);
	try {
		writeFileSync(file, String(process.pid), { flag: 'wx' });
	} catch (err) {
		if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
		const pid = Number(readFileSync(file, 'utf8').trim());
		if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
			throw new Error(`another relay (pid ${pid}) is using ${dir}`);
		}
		// Left behind by a relay that was killed: ours now.
		writeFileSync(file, String(process.pid));
	}
	heldHere.add(dir);
	let released = false;
	return () => {
		if (released) return;
		released = true;
		heldHere.delete(dir);
		try {
			if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
		} catch {
			// Already gone.
		}
	};
}

function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (err) {
		return (err as NodeJS.ErrnoException).code === 'EPERM';
	}
}

export function openDataDir(path: string, options: OpenOptions = {}): DataDir {
	const dir = resolve(path);
	mkdirSync(dir, { recursive: true, mode: 0o700 });
	const release = options.lock ? acquireLock(dir) : () => {};
	let storage: Storage | undefined;
	try {
		const { keys } = loadOrCreateKeys(dir);
		storage = new Storage(join(dir, 'sitepass.db'));
		let orgId = storage.getSetting('org_id');
		let created: DataDir['created'] = null;
		const federated = storage.getSetting(FEDERATED_SETTING);
		if (orgId && options.federation && orgId !== options.federation.orgId) {
			throw new Error(
				federated
					? `这个数据目录属于总部组织 ${federated}，而上级令牌来自组织 ${options.federation.orgId}；请换用那个总部签发的令牌，或用新的 --data 目录。/ This data folder is federated to org ${federated}, the upstream token is from ${options.federation.orgId}.`
					: `这个数据目录已有自己的组织 ${orgId}（独立运行时创建），不能再接入总部组织 ${options.federation.orgId}：两个组织的人员、令牌和密钥无法合并。请用一个新的空 --data 目录启动联邦工地中继。/ This data folder has its own org ${orgId}; a federated site relay needs a new, empty --data folder.`
			);
		}
		if (orgId && !options.federation && federated && options.lock) {
			throw new Error(
				`这个数据目录是联邦工地中继的（总部组织 ${federated}），请带上 --upstream 和 --upstream-token 启动。/ This data folder belongs to a site relay federated to ${federated}: start it with --upstream and --upstream-token.`
			);
		}
		if (!orgId && options.federation) {
			const init = createFederatedOrg(storage, options.federation, options.now);
			orgId = init.orgId;
			created = { adminCode: init.adminCode, expiresAt: init.expiresAt };
		} else if (!orgId) {
			const init = createOrg(storage, keys, options.orgName ?? 'SitePass', options.now);
			orgId = init.orgId;
			created = { adminCode: init.adminCode, expiresAt: init.expiresAt };
		}
		const opened = storage;
		return {
			dir,
			storage: opened,
			keys,
			orgId,
			created,
			close() {
				opened.close();
				release();
			}
		};
	} catch (err) {
		storage?.close();
		release();
		throw err;
	}
}

/**
 * A federated site relay's first state: HQ's org id, no org document content of its own (HQ's
 * meta record and the org come down on the first sync), the site's first admin's code.
 */
function createFederatedOrg(
	storage: Storage,
	federation: { orgId: string; firstAdminId: string },
	now = Date.now()
) {
	const admin = checkRecord(Principal, {
		schema: 1,
		id: federation.firstAdminId,
		name: 'Administrator',
		role: 'admin',
		sites: [],
		createdAt: new Date(now).toISOString()
	});
	return storage.transaction(() => {
		storage.setSetting('org_id', federation.orgId);
		storage.setSetting(FEDERATED_SETTING, federation.orgId);
		const { code, expiresAt } = createEnrolmentCode(
			storage,
			admin,
			DEFAULT_TOKEN_TTL_SECONDS,
			'relay',
			now
		);
		return { orgId: federation.orgId, adminCode: code, expiresAt };
	});
}

/** The org's first state, in one transaction: id, the meta record, the first admin's code. */
function createOrg(storage: Storage, keys: RelayKeys, name: string, now = Date.now()) {
	const orgId = randomId('org-', 10);
	const at = new Date(now).toISOString();
	const meta = checkRecord(OrgMeta, {
		schema: 1,
		id: orgId,
		name,
		createdAt: at,
		relayKey: keys.publicKeySpki
	});
	const doc = new Y.Doc();
	doc.getMap('meta').set('org', meta);
	const update = Y.encodeStateAsUpdate(doc);
	doc.destroy();
	const admin = checkRecord(Principal, {
		schema: 1,
		id: FIRST_ADMIN_ID,
		name: 'Administrator',
		role: 'admin',
		sites: [],
		createdAt: at
	});
	return storage.transaction(() => {
		storage.append('org', update);
		storage.setSetting('org_id', orgId);
		const { code, expiresAt } = createEnrolmentCode(
			storage,
			admin,
			DEFAULT_TOKEN_TTL_SECONDS,
			'relay',
			now
		);
		return { orgId, adminCode: code, expiresAt };
	});
}
