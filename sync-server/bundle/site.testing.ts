// A site relay of headquarters' org for the bundle tests: federated to headquarters with its relay
// token until HQ's org has come down (as a site relay is set up before it goes where there is no
// network), then cut off (the link suspended) so everything after that travels only by bundle.
import { readRecord } from '../../src/lib/data/records';
import { OrgMeta } from '../../src/lib/data/org';
import { startRelay, waitFor, type TestRelay } from '../testing';

function orgMetaOf(relay: TestRelay) {
	return relay.server.relay.read('org', (doc) =>
		readRecord(OrgMeta, doc.getMap('meta').get('org'))
	);
}

export async function startSite(
	hq: TestRelay,
	relayToken: string
): Promise<{ site: TestRelay; close: () => Promise<void> }> {
	const site = await startRelay({
		upstream: {
			url: hq.server.url,
			token: relayToken,
			minBackoffMs: 50,
			maxBackoffMs: 300,
			listEveryMs: 200
		}
	});
	const hqMeta = orgMetaOf(hq);
	await waitFor(() => {
		const meta = orgMetaOf(site);
		return (
			meta.ok &&
			hqMeta.ok &&
			meta.record.relayKey === hqMeta.record.relayKey &&
			site.server.relay.read('org', (doc) => doc.getMap('contractors').size) > 0
		);
	}, 'headquarters’ org to reach the site relay');
	await site.server.upstream!.suspend();
	return { site, close: () => site.server.close() };
}
