// A site relay of headquarters' org for the bundle tests, cut off from headquarters: its data folder
// starts with headquarters' org document and org id (what a site relay holds once it has been
// federated, or has imported headquarters' org), then it runs on its own.
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Storage } from '../storage';
import { makeRoot, startRelay, type TestRelay } from '../testing';

export async function startSite(
	hq: TestRelay,
	_relayToken: string
): Promise<{ site: TestRelay; close: () => Promise<void> }> {
	const root = makeRoot();
	mkdirSync(root.dataDir, { recursive: true });
	// PROVISIONAL until the federation's org identity lands: the site shares headquarters' keys,
	// because a relay (ensureOrgMeta) rewrites org.meta to its own key on start.
	cpSync(join(hq.dataDir, 'keys'), join(root.dataDir, 'keys'), { recursive: true });
	const storage = new Storage(join(root.dataDir, 'sitepass.db'));
	storage.append('org', hq.server.relay.encodeState('org'));
	storage.setSetting('org_id', hq.server.orgId);
	storage.close();
	const site = await startRelay({ root });
	return { site, close: () => site.server.close() };
}
