// What each role may see of a worker's sensitive fields (个人信息保护法): full ID numbers and
// health data are shown only to roles that need them; everyone else sees a masked number.
import { maskIdNumber, type IdentityDocumentType } from '../domain';
import type { Claims } from './access';

/** Full identity numbers: the contractor that registered the worker, and safety staff (blacklist checks). */
export function mayReadFullIdNumber(claims: Claims, contractorId: string): boolean {
	if (claims.role === 'contractor') return claims.contractor === contractorId;
	return claims.role === 'staff' && claims.staffRole === 'safety';
}

/** Blood type, allergies, medical results: the worker's contractor and site staff (emergencies). */
export function mayReadHealth(claims: Claims, contractorId: string): boolean {
	if (claims.role === 'contractor') return claims.contractor === contractorId;
	return claims.role === 'staff';
}

export function shownIdNumber(
	claims: Claims,
	contractorId: string,
	docNumber: string,
	docType: IdentityDocumentType
): string {
	return mayReadFullIdNumber(claims, contractorId) ? docNumber : maskIdNumber(docNumber, docType);
}
