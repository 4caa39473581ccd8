// `sitepass bundle …`: offline transfer for sites with no network at all.
//   export  — at the site: the documents its relay token may read, signed with the site relay's key
//   import  — at headquarters, into a stopped relay's data folder (a running one: POST
//             /api/federation/bundle)
//   state   — at headquarters: what it already holds of a site, so the next export carries only
//             the difference (--since)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FEDERATED_SETTING, openDataDir, type DataDir } from '../datadir';
import { Storage } from '../storage';
import { isRevoked } from '../../src/lib/data/org';
import { Relay } from '../relay';
import { verifyToken } from '../tokens';
import { upstreamClaims } from '../federation/upstream';
import { exportBundle, parseStateVectors, stateVectors } from './export';
import { BundleError } from './format';
import { importBundle } from './import';

export const BUNDLE_HELP = `Usage:
  sitepass bundle export --data DIR --out FILE [--token T | --token-file F]
                         [--passphrase-file F] [--since STATE_FILE] [--to-site]
  sitepass bundle import --data DIR FILE [--passphrase-file F] [--token T | --token-file F]
  sitepass bundle state  --data DIR --out STATE_FILE (--token T | --token-file F)

export  At a site without network: writes the documents the site relay's token (role relay, made
        at headquarters) may read, each as its full state, signed with this relay's key. The
        token defaults to SITEPASS_UPSTREAM_TOKEN. With --passphrase-file the content is
        encrypted (scrypt + AES-256-GCM); with --since only what headquarters lacks goes in.
        The relay may keep running. At headquarters, --to-site with the site's relay token
        writes what that site reads here (org, blacklist, …), signed with HQ's key, for a site
        that never had a network; the site imports it with "bundle import".
import  At headquarters, with its relay stopped: checks the signature, the token (signed here,
        not revoked, role relay), the exporting key (pinned per token on first use) and every
        document before writing anything, then merges the documents as if they had synced.
        A running relay takes the same file at POST /api/federation/bundle. At a site, a
        --to-site bundle is checked against headquarters' key in the org document and needs
        the site relay's own token (--token, --token-file or SITEPASS_UPSTREAM_TOKEN): the
        bundle must be for the same sites, and only what that token may read is applied.
state   At headquarters: the state vectors of what it holds for that site's token, to carry to
        the site for "export --since".
`;

function fail(message: string, code = 2): number {
	process.stderr.write(`sitepass bundle: ${message}\n`);
	return code;
}

function readSecretFile(path: string, what: string): string {
	if (!existsSync(path)) throw new BundleCliError(`${what} file ${path} does not exist`);
	const text = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
	if (!text) throw new BundleCliError(`${what} file ${path} is empty`);
	return text;
}

class BundleCliError extends Error {}

/** A relay data folder that must already exist (never creates an org by accident). */
function openExisting(dir: string, lock: boolean): DataDir {
	if (!existsSync(join(dir, 'sitepass.db'))) {
		throw new BundleCliError(`${dir} is not a relay data folder (no sitepass.db in it)`);
	}
	// A federated site relay's folder opens as such (its org id is headquarters').
	const probe = new Storage(join(dir, 'sitepass.db'));
	const federated = probe.getSetting(FEDERATED_SETTING);
	probe.close();
	return openDataDir(dir, {
		lock,
		...(federated ? { federation: { orgId: federated, firstAdminId: 'admin' } } : {})
	});
}

function tokenFrom(values: { token?: string; 'token-file'?: string }): string | undefined {
	if (values.token) return values.token.trim();
	if (values['token-file']) return readSecretFile(values['token-file'], 'token');
	return process.env.SITEPASS_UPSTREAM_TOKEN?.trim() || undefined;
}

export async function runBundle(argv: string[]): Promise<number> {
	const [sub, ...rest] = argv;
	if (!sub || sub === 'help' || sub === '--help') {
		process.stdout.write(BUNDLE_HELP);
		return sub ? 0 : 2;
	}
	try {
		if (sub === 'export') return runExport(rest);
		if (sub === 'import') return await runImport(rest);
		if (sub === 'state') return runState(rest);
	} catch (err) {
		if (err instanceof BundleError || err instanceof BundleCliError) return fail(err.message, 1);
		return fail(err instanceof Error ? err.message : String(err), 1);
	}
	return fail(`unknown subcommand "${sub}"\n\n${BUNDLE_HELP}`);
}

function runExport(argv: string[]): number {
	const { values } = parseArgs({
		args: argv,
		options: {
			data: { type: 'string', default: './data' },
			out: { type: 'string' },
			token: { type: 'string' },
			'token-file': { type: 'string' },
			'passphrase-file': { type: 'string' },
			since: { type: 'string' },
			'to-site': { type: 'boolean', default: false }
		},
		strict: true
	});
	if (!values.out) return fail('export needs --out FILE');
	const token = tokenFrom(values);
	if (!token) {
		return fail(
			"export needs the site relay's token: --token, --token-file or SITEPASS_UPSTREAM_TOKEN"
		);
	}
	const passphrase = values['passphrase-file']
		? readSecretFile(values['passphrase-file'], 'passphrase')
		: undefined;
	const since = values.since ? parseStateVectors(readFileSync(values.since, 'utf8')) : undefined;
	const data = openExisting(values.data, false);
	try {
		const result = exportBundle({
			storage: data.storage,
			keys: data.keys,
			token,
			passphrase,
			since,
			direction: values['to-site'] ? 'hq-to-site' : 'site-to-hq'
		});
		writeFileSync(values.out, result.file, { mode: 0o600 });
		const total = result.docs.reduce((n, d) => n + d.bytes, 0);
		process.stdout.write(
			`sitepass bundle: wrote ${values.out} (${result.docs.length} documents, ${total} bytes${
				passphrase ? ', encrypted' : ''
			}${since ? ', differences only' : ''})\n`
		);
		for (const d of result.docs) process.stdout.write(`  ${d.name}  ${d.bytes} B\n`);
		return 0;
	} finally {
		data.close();
	}
}

async function runImport(argv: string[]): Promise<number> {
	const { values, positionals } = parseArgs({
		args: argv,
		options: {
			data: { type: 'string', default: './data' },
			'passphrase-file': { type: 'string' },
			token: { type: 'string' },
			'token-file': { type: 'string' }
		},
		allowPositionals: true,
		strict: true
	});
	if (positionals.length !== 1) return fail('import needs exactly one bundle FILE');
	const path = positionals[0]!;
	if (!existsSync(path)) return fail(`${path} does not exist`);
	const file = readFileSync(path);
	const passphrase = values['passphrase-file']
		? readSecretFile(values['passphrase-file'], 'passphrase')
		: undefined;
	// A site relay's own token: what headquarters' bundle may bring here (unused at headquarters).
	const siteToken = tokenFrom(values);
	const site = siteToken ? upstreamClaims(siteToken) : undefined;
	if (site && !site.ok && (values.token || values['token-file'])) {
		throw new BundleCliError(`the site relay's token: ${site.message}`);
	}
	// The lock: a running relay holds it; it takes bundles at POST /api/federation/bundle.
	let data: DataDir;
	try {
		data = openExisting(values.data, true);
	} catch (err) {
		if (err instanceof BundleCliError) throw err;
		throw new BundleCliError(
			`${(err as Error).message}. Stop that relay first, or POST the file to its /api/federation/bundle with an admin token.`
		);
	}
	const relay = new Relay({
		storage: data.storage,
		keys: data.keys,
		orgId: data.orgId,
		log: (line) => process.stderr.write(line + '\n'),
		maxMessageBytes: Number.MAX_SAFE_INTEGER,
		compactAfter: 500,
		pendingTimeoutMs: 10_000,
		pingIntervalMs: 24 * 3600 * 1000
	});
	try {
		const result = await importBundle(
			{ relay, keys: data.keys, orgId: data.orgId, siteClaims: site?.ok ? site.claims : undefined },
			file,
			{ passphrase }
		);
		const changed = result.docs.filter((d) => d.changed).length;
		process.stdout.write(
			`sitepass bundle: imported ${path} from ${result.subject} (sites ${result.sites.join(', ')}, made ${result.createdAt}): ${result.docs.length} documents, ${changed} with new content${result.pinned ? '; exporting key pinned for this token' : ''}\n`
		);
		for (const d of result.docs) {
			const what = d.skipped
				? "skipped (this site's token may not read it)"
				: d.changed
					? 'merged'
					: 'unchanged';
			process.stdout.write(`  ${d.name}  ${what}\n`);
		}
		return 0;
	} finally {
		await relay.close();
		data.close();
	}
}

function runState(argv: string[]): number {
	const { values } = parseArgs({
		args: argv,
		options: {
			data: { type: 'string', default: './data' },
			out: { type: 'string' },
			token: { type: 'string' },
			'token-file': { type: 'string' }
		},
		strict: true
	});
	if (!values.out) return fail('state needs --out FILE');
	const token =
		values.token?.trim() || (values['token-file'] && readSecretFile(values['token-file'], 'token'));
	if (!token) return fail("state needs the site relay's token (--token or --token-file)");
	const data = openExisting(values.data, false);
	try {
		// Read-only (the relay may be running): signature, org, lifetime and revocation.
		const check = verifyToken(token, data.keys.publicKey, data.orgId);
		const org = data.storage.loadDoc('org');
		const revoked = check.ok && isRevoked(org, check.claims.jti);
		org.destroy();
		if (revoked) return fail('the token has been revoked at this relay', 1);
		if (!check.ok) return fail(`the token is not valid at this relay (${check.message})`, 1);
		const sv = stateVectors(data.storage, data.orgId, check.claims);
		writeFileSync(values.out, JSON.stringify(sv, null, '\t') + '\n');
		process.stdout.write(
			`sitepass bundle: wrote ${values.out} (${Object.keys(sv.docs).length} documents)\n`
		);
		return 0;
	} finally {
		data.close();
	}
}
