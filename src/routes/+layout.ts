// The whole app renders on the client: it runs from local replicas, offline, from one shell.
export const ssr = false;
export const prerender = false;
