// Federation messages (issue 11: site relays replicating to headquarters), spread into the
// catalogue in messages.ts. zh-CN first; `federationEn` must carry every key of `federationZhCN`.

export const federationZhCN = {
	'role.relay': '工地中继（联邦）',
	'admin.role.relay': '工地中继（向总部同步）'
};

export const federationEn: Record<keyof typeof federationZhCN, string> = {
	'role.relay': 'Site relay (federation)',
	'admin.role.relay': 'Site relay (syncs to headquarters)'
};
