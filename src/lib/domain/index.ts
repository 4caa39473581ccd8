// Public API of the domain core: pure rules shared by the PWA, the gate, the relay and its REST API.

export * from './dates';
export * from './resident-id';
export * from './catalogue';
export * from './certificate-status';
export * from './work-scope';
export * from './entry';
export * from './permits';
export * from './geo';
export * from './scorecard';
