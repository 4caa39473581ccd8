// The `sitepass` command line: `sitepass serve` runs the relay and serves the app.
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serve } from './server';
import { VERSION } from './version';

const DEFAULT_STATIC = fileURLToPath(new URL('../build', import.meta.url));

const HELP = `SitePass ${VERSION} — 特种作业外包人员管控

Usage:
  sitepass serve [--host 127.0.0.1] [--port 8787] [--data ./data]
                 [--static DIR] [--tls-cert FILE --tls-key FILE]
  sitepass --version
  sitepass help

serve   Runs the site relay and serves the SitePass app on the same address.
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
	process.stderr.write(`sitepass: unknown command "${command}"\n\n${HELP}`);
	return 2;
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
				'tls-key': { type: 'string' }
			},
			strict: true
		}));
	} catch (err) {
		process.stderr.write(`sitepass serve: ${(err as Error).message}\n`);
		return 2;
	}
	const port = Number(values.port);
	if (!Number.isInteger(port) || port < 0 || port > 65535) {
		process.stderr.write(
			`sitepass serve: --port must be a number from 0 to 65535, got "${values.port}"\n`
		);
		return 2;
	}
	if (!!values['tls-cert'] !== !!values['tls-key']) {
		process.stderr.write('sitepass serve: --tls-cert and --tls-key go together\n');
		return 2;
	}
	if (!existsSync(values.static)) {
		process.stderr.write(
			`sitepass serve: the app is not built (${values.static} is missing). Run "npm run build" first.\n`
		);
		return 1;
	}
	const running = await serve({
		host: values.host,
		port,
		dataDir: values.data,
		staticDir: values.static,
		tls: values['tls-cert'] ? { cert: values['tls-cert'], key: values['tls-key']! } : undefined
	});
	process.stdout.write(
		`SitePass ${VERSION} 已启动 / running at ${running.url}  (data: ${values.data})\n`
	);
	const stop = async () => {
		await running.close();
		process.exit(0);
	};
	process.once('SIGINT', stop);
	process.once('SIGTERM', stop);
	return undefined;
}
