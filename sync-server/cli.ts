// The `sitepass` command line: `sitepass serve` runs the relay and serves the app; `sitepass token`
// signs a token for this relay's org (bootstrap and tooling; people get theirs by enrolment);
// `sitepass registry-sim` runs a stand-in certificate registry for demos and tests.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ROLES, STAFF_ROLES, type Claims, type Role, type StaffRole } from '../src/lib/data/access';
import { claimProblems, parseClaims, parseTtl } from '../src/lib/data/claims';
import { ID_PATTERN } from '../src/lib/data/documents';
import { openDataDir } from './datadir';
import {
	loadSeedFile,
	SeedError,
	SIMULATOR_MODES,
	startRegistrySimulator,
	type SimulatorMode
} from './registry/simulator';
import { insecureUpstreamProblem, parseUpstreamUrl, upstreamClaims } from './federation/upstream';
import { DEFAULT_MAX_MESSAGE_BYTES, serve } from './server';
import { newJti, signToken } from './tokens';
import { VERSION } from './version';
import { runBundle } from './bundle/cli';

/** Default lifetime of a `--role relay` token (federation: set once in a site relay's config). */
const RELAY_TOKEN_TTL = '365d';

const DEFAULT_STATIC = fileURLToPath(new URL('../build', import.meta.url));

const HELP = `SitePass ${VERSION} — 特种作业外包人员管控

Usage:
  sitepass serve [--host 127.0.0.1] [--port 8787] [--data ./data] [--static DIR]
                 [--tls-cert FILE --tls-key FILE] [--org-name NAME] [--public-url URL]
                 [--max-message-bytes N] [--registry-url URL] [--registry-rate 5]
                 [--verify-every 7d] [--verify-near 1d] [--digest-hour 7]
                 [--upstream wss://hq.example/sync --upstream-token TOKEN] [--insecure-upstream]
  sitepass token --role ROLE --sub ID [--staff-role project_lead|safety|director]
                 [--site S]... [--contractor C] [--ttl 30d] [--data ./data]
  sitepass registry-sim --seed FILE [--port 8790] [--host 127.0.0.1]
                 [--mode normal|slow|down|refuse|flaky|wrong] [--delay-ms N]
                 [--fail-rate P] [--api-key KEY]
  sitepass bundle export|import|state …   (offline transfer; "sitepass bundle help")
  sitepass --version
  sitepass help

serve   Runs the site relay and serves the SitePass app on the same address. On its first start
        in an empty data folder it creates the org and prints a one-time admin enrolment link.
        With --registry-url (or SITEPASS_REGISTRY_URL; key in SITEPASS_REGISTRY_KEY) it asks
        that certificate registry proxy about every certificate on registration, on change,
        every --verify-every and daily (--verify-near) within 60 days of expiry or review.
        With --upstream and --upstream-token (or SITEPASS_UPSTREAM, SITEPASS_UPSTREAM_TOKEN)
        it replicates its sites' documents to the headquarters relay, resuming after outages,
        and takes HQ's org and blacklist. The token comes from HQ:
        "sitepass token --role relay --site S". Start a federated site on a new --data folder.
        A plain ws:// or http:// upstream on another machine is refused unless
        --insecure-upstream is given (the token and all data would cross unencrypted).
token   Prints a signed token for this org (roles: ${ROLES.join(', ')}); creates the org
        first if the data folder is empty. Staff need --staff-role, a contractor admin
        --contractor, a gate, worker or relay at least one --site. At headquarters,
        "sitepass token --role relay --site S" makes the token a site relay federates with
        (--sub defaults to relay-S, --ttl to 365d).
registry-sim
        Runs a certificate registry simulator speaking SitePass's registry protocol
        (sync-server/registry/README.md), answering from a seed file; for demos and tests, not
        a real registry. Its mode can be switched while it runs: POST /_sim/mode.
`;

export async function main(argv: string[]): Promise<number | undefined> {
	const [command, ...rest] = argv;
	if (!command || command === 'help' || command === '--help' || command === '-h') {
		process.stdout.write(HELP);
		return command ? 0 : 1;
	}
	if (command === '--version' || command === 'version') {
		process.stdout.write(VERSION + '\n');
		return 0;
	}
	if (command === 'serve') return runServe(rest);
	if (command === 'token') return runToken(rest);
	if (command === 'registry-sim') return runRegistrySim(rest);
	if (command === 'bundle') return runBundle(rest);
	process.stderr.write(`sitepass: unknown command "${command}"\n\n${HELP}`);
	return 2;
}

function fail(command: string, message: string, code = 2): number {
	process.stderr.write(`sitepass ${command}: ${message}\n`);
	return code;
}

async function runServe(argv: string[]): Promise<number | undefined> {
	let values;
	try {
		({ values } = parseArgs({
			args: argv,
			options: {
				host: { type: 'string', default: '127.0.0.1' },
				port: { type: 'string', default: '8787' },
				data: { type: 'string', default: './data' },
				static: { type: 'string', default: DEFAULT_STATIC },
				'tls-cert': { type: 'string' },
				'tls-key': { type: 'string' },
				'org-name': { type: 'string' },
				'public-url': { type: 'string' },
				'max-message-bytes': { type: 'string', default: String(DEFAULT_MAX_MESSAGE_BYTES) },
				'registry-url': { type: 'string' },
				'registry-rate': { type: 'string', default: '5' },
				'verify-every': { type: 'string', default: '7d' },
				'verify-near': { type: 'string', default: '1d' },
				'digest-hour': { type: 'string', default: '7' },
				upstream: { type: 'string' },
				'upstream-token': { type: 'string' },
				'insecure-upstream': { type: 'boolean', default: false }
			},
			strict: true
		}));
	} catch (err) {
		return fail('serve', (err as Error).message);
	}
	const port = Number(values.port);
	if (!Number.isInteger(port) || port < 0 || port > 65535) {
		return fail('serve', `--port must be a number from 0 to 65535, got "${values.port}"`);
	}
	const maxMessageBytes = Number(values['max-message-bytes']);
	if (!Number.isInteger(maxMessageBytes) || maxMessageBytes < 64 * 1024) {
		return fail('serve', '--max-message-bytes must be a whole number of bytes, at least 65536');
	}
	if (!!values['tls-cert'] !== !!values['tls-key']) {
		return fail('serve', '--tls-cert and --tls-key go together');
	}
	const orgName = values['org-name']?.trim();
	if (orgName !== undefined && (orgName.length < 1 || orgName.length > 100)) {
		return fail('serve', '--org-name must be 1 to 100 characters');
	}
	if (values['public-url'] && !/^https?:\/\/[^/\s]+\/?$/.test(values['public-url'])) {
		return fail('serve', '--public-url must look like https://host[:port]');
	}
	const registryUrl = values['registry-url'] ?? process.env.SITEPASS_REGISTRY_URL;
	if (registryUrl && !/^https?:\/\/[^\s]+$/.test(registryUrl)) {
		return fail('serve', '--registry-url must be an http(s) URL of the registry proxy');
	}
	const registryRate = Number(values['registry-rate']);
	if (!(registryRate > 0 && registryRate <= 10_000)) {
		return fail('serve', '--registry-rate must be requests per second, above 0 and at most 10000');
	}
	const every = parseTtl(values['verify-every']);
	const near = parseTtl(values['verify-near']);
	if (every === null || near === null) {
		return fail('serve', '--verify-every and --verify-near take a period like 7d, 1d or 12h');
	}
	const digestHour = Number(values['digest-hour']);
	if (!Number.isInteger(digestHour) || digestHour < 0 || digestHour > 23) {
		return fail('serve', '--digest-hour must be an hour from 0 to 23 (site time)');
	}
	const upstreamUrl = values.upstream ?? process.env.SITEPASS_UPSTREAM;
	const upstreamToken = values['upstream-token'] ?? process.env.SITEPASS_UPSTREAM_TOKEN;
	if (!!upstreamUrl !== !!upstreamToken) {
		return fail(
			'serve',
			'--upstream 和 --upstream-token 要一起给出 / --upstream and --upstream-token go together'
		);
	}
	const upstreamTarget = upstreamUrl ? parseUpstreamUrl(upstreamUrl) : null;
	if (upstreamUrl && !upstreamTarget) {
		return fail(
			'serve',
			`--upstream "${upstreamUrl}" 不是总部中继的地址 / must look like wss://hq.example/sync`
		);
	}
	const insecure = upstreamTarget
		? insecureUpstreamProblem(upstreamTarget, values['insecure-upstream'])
		: null;
	if (insecure) return fail('serve', insecure);
	if (upstreamToken) {
		const up = upstreamClaims(upstreamToken);
		if (!up.ok) return fail('serve', `--upstream-token: ${up.message}`);
	}
	if (!existsSync(values.static)) {
		return fail(
			'serve',
			`the app is not built (${values.static} is missing). Run "npm run build" first.`,
			1
		);
	}
	let running;
	try {
		running = await serve({
			host: values.host,
			port,
			dataDir: values.data,
			staticDir: values.static,
			tls: values['tls-cert'] ? { cert: values['tls-cert'], key: values['tls-key']! } : undefined,
			orgName,
			publicUrl: values['public-url'],
			maxMessageBytes,
			// The key stays out of the command line (and so out of `ps`): environment only.
			registry: registryUrl
				? {
						endpoint: registryUrl,
						apiKey: process.env.SITEPASS_REGISTRY_KEY || undefined,
						ratePerSecond: registryRate
					}
				: null,
			verification: { everyMs: every * 1000, nearMs: near * 1000, digestHour },
			upstream: upstreamUrl
				? { url: upstreamUrl, token: upstreamToken!, insecure: values['insecure-upstream'] }
				: null
		});
	} catch (err) {
		return fail('serve', (err as Error).message, 1);
	}
	process.stdout.write(
		`SitePass ${VERSION} 已启动 / running at ${running.url}  (data: ${values.data}, org: ${running.orgId})\n`
	);
	// Last resort: a bug outside the per-socket guards is logged rather than taking the site down;
	// all state changes are synchronous and stored transactionally, so nothing is half-written.
	process.on('uncaughtException', (err) => {
		console.error(`sitepass: uncaught error (relay keeps running): ${err.stack ?? err}`);
	});
	process.on('unhandledRejection', (err) => {
		console.error(`sitepass: unhandled rejection (relay keeps running): ${String(err)}`);
	});
	const stop = async (signal: string) => {
		process.stdout.write(`sitepass: ${signal}, closing sockets and storing snapshots\n`);
		try {
			await running.close();
		} finally {
			process.exit(0);
		}
	};
	process.once('SIGINT', () => void stop('SIGINT'));
	process.once('SIGTERM', () => void stop('SIGTERM'));
	return undefined;
}

function runToken(argv: string[]): number {
	let values;
	try {
		({ values } = parseArgs({
			args: argv,
			options: {
				data: { type: 'string', default: './data' },
				role: { type: 'string' },
				'staff-role': { type: 'string' },
				sub: { type: 'string' },
				site: { type: 'string', multiple: true },
				contractor: { type: 'string' },
				ttl: { type: 'string' },
				'org-name': { type: 'string' }
			},
			strict: true
		}));
	} catch (err) {
		return fail('token', (err as Error).message);
	}
	const problems: string[] = [];
	const role = values.role as Role | undefined;
	if (!role) problems.push(`--role is required (${ROLES.join(', ')})`);
	else if (!ROLES.includes(role)) problems.push(`--role must be one of ${ROLES.join(', ')}`);
	const staffRole = values['staff-role'] as StaffRole | undefined;
	if (staffRole && !STAFF_ROLES.includes(staffRole)) {
		problems.push(`--staff-role must be one of ${STAFF_ROLES.join(', ')}`);
	}
	// A site relay federated to this (headquarters) relay is named after its sites by default.
	if (!values.sub && role === 'relay' && values.site?.length)
		values.sub = `relay-${values.site[0]}`;
	if (!values.sub) problems.push('--sub is required (the user or device id)');
	else if (!ID_PATTERN.test(values.sub)) problems.push(`--sub "${values.sub}" is not an id`);
	for (const site of values.site ?? []) {
		if (!ID_PATTERN.test(site)) problems.push(`--site "${site}" is not an id`);
	}
	if (values.contractor && !ID_PATTERN.test(values.contractor)) {
		problems.push(`--contractor "${values.contractor}" is not an id`);
	}
	// A relay token lives in a site relay's configuration: a year, unless --ttl says otherwise.
	const ttl = parseTtl(values.ttl ?? (role === 'relay' ? RELAY_TOKEN_TTL : '30d'));
	if (ttl === null) problems.push('--ttl must be like 30d, 12h or 90m (1 minute to 5 years)');
	if (role && ROLES.includes(role)) {
		const flag = { staffRole: '--staff-role', contractor: '--contractor', sites: '--site' };
		const shape = { role, staffRole, sites: values.site, contractor: values.contractor };
		for (const p of claimProblems(shape)) problems.push(`${flag[p.field]}: ${p.message}`);
	}
	if (problems.length) return fail('token', problems.join('\n  '));

	let data;
	try {
		data = openDataDir(values.data, { orgName: values['org-name'] });
	} catch (err) {
		return fail('token', (err as Error).message, 1);
	}
	try {
		if (data.created) {
			process.stderr.write(
				`sitepass token: created org ${data.orgId} in ${data.dir}. One-time admin enrolment code ` +
					`(valid 24 h, shown only now): open <relay address>/enrol#code=${data.created.adminCode}\n`
			);
		}
		const iat = Math.floor(Date.now() / 1000);
		const claims: Claims = {
			iss: data.orgId,
			sub: values.sub!,
			role: role!,
			...(staffRole ? { staffRole } : {}),
			...(values.site?.length ? { sites: values.site } : {}),
			...(values.contractor ? { contractor: values.contractor } : {}),
			jti: newJti(),
			iat,
			exp: iat + ttl!
		};
		const checked = parseClaims(claims);
		if (!checked.ok) return fail('token', checked.problems.join('; '));
		process.stdout.write(signToken(claims, data.keys.privateKey) + '\n');
		return 0;
	} finally {
		data.close();
	}
}

async function runRegistrySim(argv: string[]): Promise<number | undefined> {
	let values;
	try {
		({ values } = parseArgs({
			args: argv,
			options: {
				seed: { type: 'string' },
				host: { type: 'string', default: '127.0.0.1' },
				port: { type: 'string', default: '8790' },
				mode: { type: 'string', default: 'normal' },
				'delay-ms': { type: 'string' },
				'fail-rate': { type: 'string' },
				'api-key': { type: 'string' }
			},
			strict: true
		}));
	} catch (err) {
		return fail('registry-sim', (err as Error).message);
	}
	const problems: string[] = [];
	if (!values.seed) problems.push('--seed FILE is required (see sync-server/registry/fixtures)');
	const port = Number(values.port);
	if (!Number.isInteger(port) || port < 0 || port > 65535) {
		problems.push(`--port must be a number from 0 to 65535, got "${values.port}"`);
	}
	const mode = values.mode as SimulatorMode;
	if (!SIMULATOR_MODES.includes(mode)) {
		problems.push(`--mode must be one of ${SIMULATOR_MODES.join(', ')}`);
	}
	const delayMs = values['delay-ms'] === undefined ? undefined : Number(values['delay-ms']);
	if (delayMs !== undefined && !(Number.isInteger(delayMs) && delayMs >= 0 && delayMs <= 600_000)) {
		problems.push('--delay-ms must be a whole number of ms from 0 to 600000');
	}
	const failRate = values['fail-rate'] === undefined ? undefined : Number(values['fail-rate']);
	if (failRate !== undefined && !(failRate >= 0 && failRate <= 1)) {
		problems.push('--fail-rate must be a fraction from 0 to 1');
	}
	if (values['api-key'] !== undefined && !/^[\x21-\x7e]{8,200}$/.test(values['api-key'])) {
		problems.push('--api-key must be 8 to 200 printable ASCII characters without spaces');
	}
	if (problems.length) return fail('registry-sim', problems.join('\n  '));

	let seed;
	try {
		seed = loadSeedFile(values.seed!);
	} catch (err) {
		if (err instanceof SeedError) return fail('registry-sim', `bad seed: ${err.message}`);
		throw err;
	}
	let sim;
	try {
		sim = await startRegistrySimulator({
			seed,
			host: values.host,
			port,
			mode,
			modeOptions: {
				...(delayMs !== undefined ? { delayMs } : {}),
				...(failRate !== undefined ? { failRate } : {})
			},
			apiKey: values['api-key']
		});
	} catch (err) {
		return fail('registry-sim', (err as Error).message, 1);
	}
	process.stdout.write(
		`SitePass registry simulator running at ${sim.url}  (${seed.certificates.length} certificates, ` +
			`mode ${mode}). Not a real registry. Switch modes: POST ${sim.url}/_sim/mode\n`
	);
	const stop = async (signal: string) => {
		process.stdout.write(`sitepass registry-sim: ${signal}, stopping\n`);
		try {
			await sim.close();
		} finally {
			process.exit(0);
		}
	};
	process.once('SIGINT', () => void stop('SIGINT'));
	process.once('SIGTERM', () => void stop('SIGTERM'));
	return undefined;
}
