// One colour per kind of zone on the map, shared by the map, its legend and the zone list.
import type { MapZoneKind } from '../../domain';

export const ZONE_COLOURS: Record<MapZoneKind, string> = {
	danger: '#d92d20',
	restricted: '#ef6c00',
	work: '#1570ef',
	hardhat: '#d4a106',
	muster: '#12a150',
	gate: '#7a3fc0'
};
