// How ground positions (WGS-84) become coordinates on the Leaflet map and back, for each base:
// the site plan (CRS.Simple in plan pixels, through the control-point fit: a turned plan works),
// web tiles (plain latitude/longitude) and a blank metric canvas around the site's centre.
import { fromLocal, toLocal, type LatLng, type PlanFit } from '../../domain';

/** A point in the map's own CRS, Leaflet's [lat, lng] order. */
export type MapPoint = [number, number];

export interface Projection {
	kind: 'plan' | 'geo' | 'metric';
	toMap(p: LatLng): MapPoint;
	toGeo(m: MapPoint): [number, number];
}

/** Plan pixel (x right, y down) → CRS.Simple point; the image spans [[-height, 0], [0, width]]. */
export const planPixelToMap = (x: number, y: number): MapPoint => [-y, x];
export const mapToPlanPixel = (m: MapPoint): [number, number] => [m[1], -m[0]];

export function planProjection(fit: PlanFit): Projection {
	return {
		kind: 'plan',
		toMap: (p) => {
			const [x, y] = fit.toPlan(p);
			return planPixelToMap(x, y);
		},
		toGeo: (m) => fit.toGeo(...mapToPlanPixel(m))
	};
}

export const geoProjection: Projection = {
	kind: 'geo',
	toMap: (p) => [p[0], p[1]],
	toGeo: (m) => [m[0], m[1]]
};

/** Metres north and east of `centre`, for a site with neither plan nor tiles. */
export function metricProjection(centre: LatLng): Projection {
	return {
		kind: 'metric',
		toMap: (p) => {
			const [e, n] = toLocal(centre, p);
			return [n, e];
		},
		toGeo: (m) => fromLocal(centre, m[1], m[0])
	};
}
